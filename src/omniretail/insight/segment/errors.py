"""Errors of the segment builder (a missing snapshot: ``platform.engine.snapshot``)."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class SegmentNotFound(NotFound):
    title = "Segment not found"


class SegmentNameTaken(Conflict):
    title = "Segment name taken"


class AudienceInvalid(InvalidInput):
    """An audience that names no way to find its members (or one this snapshot cannot read)."""

    title = "Invalid audience"
