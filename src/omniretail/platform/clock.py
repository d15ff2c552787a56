"""The instance's business clock: the time a campaign is launched at.

A real instance uses the wall clock. A demo instance plays in its demo world's time: the world
ends on a fixed day (2026-10-31), so a campaign launched in it starts the day after the
world's last day, at the wall clock's local time of day (quiet hours still apply). Responses
simulated after it (``omniretail demo-respond``, the ``demo.respond`` job) then stay in the
world's time, and the analytics "as of" day that follows them is not in the future.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.timezone import CHAIN_TZ


@lru_cache(maxsize=8)
def _world_end(path: Path, mtime_ns: int) -> date | None:
    try:
        info = json.loads(path.read_text("utf-8"))
        return date.fromisoformat(str(info["end"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def world_end(settings: Settings | None = None) -> date | None:
    """The last day of the demo world of a demo instance (None elsewhere)."""
    settings = settings or get_settings()
    if not settings.demo:
        return None
    path = settings.home / "demo-world" / "world.json"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _world_end(path, mtime)


def business_now(settings: Settings | None = None, *, wall: datetime | None = None) -> datetime:
    """Now for business actions (aware, UTC): the wall clock, or in a demo instance whose
    world has ended, the day after the world's last day at the wall clock's local time."""
    wall = (wall or datetime.now(UTC)).astimezone(UTC)
    end = world_end(settings)
    if end is None:
        return wall
    local = wall.astimezone(CHAIN_TZ)
    day = end + timedelta(days=1)
    if local.date() <= day:
        return wall
    return local.replace(year=day.year, month=day.month, day=day.day).astimezone(UTC)
