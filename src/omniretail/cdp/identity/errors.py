"""Errors of identity resolution, rendered as problem details naming the field."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class CustomerNotResolved(NotFound):
    title = "Customer not found"


class InvalidMerge(InvalidInput):
    title = "Invalid merge"


class ConstraintConflict(Conflict):
    title = "Conflicting identity decision"


class TruthMissing(InvalidInput):
    title = "Ground truth not found"
