"""The business clock: the wall clock, or a demo instance's world time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from omniretail.platform import config
from omniretail.platform.clock import business_now, world_end

WALL = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 2026-12-07 07:30 in Beijing


def _world(home: Path, end: str) -> None:
    (home / "demo-world").mkdir(parents=True, exist_ok=True)
    (home / "demo-world" / "world.json").write_text(json.dumps({"end": end}), "utf-8")


def test_a_real_instance_uses_the_wall_clock(home: Path) -> None:
    real = config.get_settings().model_copy(update={"demo": False})
    _world(home, "2026-10-31")  # ignored outside a demo instance
    assert world_end(real) is None
    assert business_now(real, wall=WALL) == WALL


def test_a_demo_instance_plays_the_day_after_its_world_ends(home: Path) -> None:
    assert business_now(wall=WALL) == WALL  # no world yet
    _world(home, "2026-10-31")
    assert world_end() == date(2026, 10, 31)
    # the world's next day, at the wall clock's local time of day (07:30 Beijing)
    assert business_now(wall=WALL) == datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    # a world that has not ended yet leaves the wall clock alone
    _world(home, "2027-01-31")
    assert business_now(wall=WALL) == WALL
