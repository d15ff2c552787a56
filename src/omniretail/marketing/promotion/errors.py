"""Promotion problems."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class PromotionNotFound(NotFound):
    type_suffix = "promotion-not-found"


class PromotionInvalid(InvalidInput):
    type_suffix = "promotion-invalid"


class SoldOut(Conflict):
    """The flash sale's stock cap (or the customer's quantity limit) is reached."""

    type_suffix = "flash-sale-sold-out"


class TeamBuyClosed(Conflict):
    """The team is full, expired, failed, or the customer is already in it."""

    type_suffix = "team-buy-closed"


class PromotionStateError(Conflict):
    """The promotion's state does not allow the change (it has ended or was stopped)."""

    type_suffix = "promotion-state"
