"""Errors of data quality."""

from __future__ import annotations

from omniretail.platform.errors import NotFound


class QuarantineNotFound(NotFound):
    title = "Quarantined record not found"
