"""Errors of the voice-of-the-customer domain (Chinese first, naming the input at fault)."""

from __future__ import annotations

from omniretail.platform.errors import InvalidInput


class UnreadableTable(InvalidInput):
    """The input file is missing, of an unknown kind, or cannot be parsed."""


class MissingTextColumn(InvalidInput):
    """The named text column is not in the file."""


class BadReportInput(InvalidInput):
    """A report month or drill-down the report cannot take."""
