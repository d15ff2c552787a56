"""Errors of data quality."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound
from omniretail.platform.i18n import N_


class QuarantineNotFound(NotFound):
    title = "Quarantined record not found"


class StillRejected(InvalidInput):
    """A fixed row that the data contract still refuses (nothing is saved)."""

    type_suffix = "quarantine-still-rejected"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the fixed row is still rejected: {reason}",
            field="raw",
            message=N_("The fixed row is still rejected: %(reason)s"),
            params={"reason": reason},
        )
        self.reason = reason


class AlreadyHandled(Conflict):
    type_suffix = "quarantine-already-handled"
