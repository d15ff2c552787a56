"""Points and tier problems, rendered as RFC 9457 problems naming the field."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class InsufficientPoints(Conflict):
    type_suffix = "points-insufficient"


class RetryMismatch(Conflict):
    """The same idempotency key came back with different content."""

    type_suffix = "points-retry-mismatch"


class PointsInvalid(InvalidInput):
    type_suffix = "points-invalid"


class LoyaltyNotFound(NotFound):
    type_suffix = "loyalty-not-found"
