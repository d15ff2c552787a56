"""Errors of the segment builder."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, DomainError, NotFound


class SegmentNotFound(NotFound):
    title = "Segment not found"


class SegmentNameTaken(Conflict):
    title = "Segment name taken"


class NoPublishedSnapshot(DomainError):
    status = 503
    title = "No analytics snapshot yet"
