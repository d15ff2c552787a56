"""The published analytics snapshot, for readers (API, console, CLI): one reader, one error.

- :func:`run_on_published` calls ``fn(engine)`` on one cached read-only connection per
  published file (reopened when a new snapshot is published) — request handlers use it;
- :func:`published_engine` opens a connection of one's own (the caller closes it);
- :func:`open_published` is the same, but gives ``None`` when nothing is published yet, for
  readers with an empty state of their own;
- :class:`NoPublishedSnapshot` (503 problem+json) is THE "no snapshot yet" error, raised when
  nothing is published or (:func:`require_tables`) the snapshot lacks a table a reader needs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_

RUN_PIPELINE = "run `omniretail pipeline run` first"
# What the console shows (translated): the data is not there yet, and what makes it appear.
NOT_PUBLISHED = N_(
    "No analytics data has been published yet: it appears after the data pipeline has run."
)
NOT_COMPUTED = N_(
    "This has not been computed yet: it appears after the data pipeline has run again."
)

T = TypeVar("T")

# The OpenAPI ``responses=`` of every route that reads the published snapshot (and so answers
# NoPublishedSnapshot): ``@router.get(..., responses=NOT_COMPUTED_RESPONSES)`` or on the router.
NOT_COMPUTED_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Not computed yet: no analytics snapshot is published, or it lacks the "
        "tables this answer needs (missing_tables); it appears after the data pipeline has run"
    }
}


class NoPublishedSnapshot(DomainError):
    """Nothing is published yet, or the snapshot lacks the tables a reader needs (503)."""

    status = 503
    title = "No analytics snapshot yet"


def published_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).analytics_dir / "published.duckdb"


def require_tables(engine: AnalyticsEngine, *names: str) -> None:
    """Raise :class:`NoPublishedSnapshot` naming every table of ``names`` the snapshot lacks
    (a fresh instance, or a snapshot published before the step that writes them ran)."""
    missing = [n for n in dict.fromkeys(names) if not engine.table_exists(n)]
    if missing:
        raise NoPublishedSnapshot(
            f"the analytics snapshot has no {', '.join(missing)} yet: {RUN_PIPELINE}",
            message=NOT_COMPUTED,
            missing_tables=missing,
        )


class PublishedSnapshot(DuckDBEngine):
    """The published snapshot, read-only: its tables never change while it is open, so which
    tables exist is looked up once (a catalog query costs ~20 ms of wall time under load, and
    a count preview asks about half a dozen tables)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, read_only=True)
        self._exists: dict[str, bool] = {}

    def table_exists(self, name: str) -> bool:
        if name not in self._exists:
            self._exists[name] = super().table_exists(name)
        return self._exists[name]


def open_published(settings: Settings | None = None) -> DuckDBEngine | None:
    """Open the published snapshot read-only, or ``None`` when nothing is published yet."""
    path = published_path(settings)
    if not path.exists():
        return None
    return DuckDBEngine(path, read_only=True)


def published_engine(settings: Settings | None = None) -> DuckDBEngine:
    """Open the published snapshot read-only (the caller closes it); raise
    :class:`NoPublishedSnapshot` when nothing is published yet."""
    engine = open_published(settings)
    if engine is None:
        raise NoPublishedSnapshot(
            f"no analytics snapshot is published yet: {RUN_PIPELINE}", message=NOT_PUBLISHED
        )
    return engine


_lock = threading.Lock()
_cached: dict[str, tuple[float, DuckDBEngine]] = {}


def run_on_published(fn: Callable[[DuckDBEngine], T], settings: Settings | None = None) -> T:
    """Call ``fn(engine)`` on the published snapshot (one cached read-only connection per
    published file, reopened when a new snapshot is published); raise
    :class:`NoPublishedSnapshot` when nothing is published yet."""
    settings = settings or get_settings()
    path = published_path(settings)
    if not path.exists():
        raise NoPublishedSnapshot(
            f"no analytics snapshot is published yet: {RUN_PIPELINE}", message=NOT_PUBLISHED
        )
    mtime = path.stat().st_mtime
    with _lock:
        hit = _cached.get(str(path))
        if hit is None or hit[0] != mtime:
            if hit is not None:
                hit[1].close()
            _cached[str(path)] = (mtime, PublishedSnapshot(path))
            hit = _cached[str(path)]
        return fn(hit[1])
