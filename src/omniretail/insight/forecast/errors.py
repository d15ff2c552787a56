"""Errors of demand forecasting and replenishment (messages name the input at fault)."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, DomainError, InvalidInput, NotFound


class UnknownSource(NotFound):
    """No imported orders for the named source."""


class TooShortHistory(InvalidInput):
    """The series are too short for the requested windows."""


class UnknownMethod(InvalidInput):
    """A forecasting method name that is not in the catalogue."""


class BadReplenishmentInput(InvalidInput):
    """A lead time, pack size, service level or stock figure out of range."""


class SuggestionNotFound(NotFound):
    """No replenishment suggestion with that id."""


class SuggestionAlreadyDecided(Conflict):
    """The suggestion was already approved or rejected."""


__all__ = [
    "BadReplenishmentInput",
    "DomainError",
    "SuggestionAlreadyDecided",
    "SuggestionNotFound",
    "TooShortHistory",
    "UnknownMethod",
    "UnknownSource",
]
