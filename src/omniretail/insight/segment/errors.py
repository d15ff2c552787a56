"""Errors of the segment builder, and the check that a snapshot holds the tables a reader needs."""

from __future__ import annotations

from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import Conflict, DomainError, InvalidInput, NotFound

RUN_PIPELINE = "run `omniretail pipeline run` first"


class SegmentNotFound(NotFound):
    title = "Segment not found"


class SegmentNameTaken(Conflict):
    title = "Segment name taken"


class AudienceInvalid(InvalidInput):
    """An audience that names no way to find its members (or one this snapshot cannot read)."""

    title = "Invalid audience"


class NoPublishedSnapshot(DomainError):
    status = 503
    title = "No analytics snapshot yet"


def require_tables(engine: AnalyticsEngine, *names: str) -> None:
    """Raise :class:`NoPublishedSnapshot` naming every table of ``names`` the snapshot lacks
    (a fresh instance, or a snapshot published before the insight steps ran)."""
    missing = [n for n in dict.fromkeys(names) if not engine.table_exists(n)]
    if missing:
        raise NoPublishedSnapshot(
            f"the analytics snapshot has no {', '.join(missing)} yet: {RUN_PIPELINE}",
            missing_tables=missing,
        )
