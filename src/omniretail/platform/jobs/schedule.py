"""When a job runs: a fixed interval ("30s", "10m", "1h", "1d") or a cron expression.

Cron arithmetic (day-of-week, month ends, ranges and steps) is croniter's; intervals are plain
``timedelta`` steps. Cron expressions are read in the chain's time zone, so ``"0 3 * * *"`` is
03:00 at the stores, whatever the server's clock says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from omniretail.platform.errors import InvalidInput

CRON_TZ = ZoneInfo("Asia/Shanghai")  # the chain's time zone: store opening hours are local
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Schedule:
    """Parsed ``every``: either ``interval`` (a fixed step) or ``cron`` (an expression)."""

    text: str
    interval: timedelta | None = None
    cron: str | None = None

    def next_after(self, at: datetime) -> datetime:
        """The first run time strictly after ``at`` (aware UTC in, aware UTC out)."""
        at = as_utc(at)
        if self.interval is not None:
            return at + self.interval
        assert self.cron is not None
        local = at.astimezone(CRON_TZ)
        nxt: datetime = croniter(self.cron, local).get_next(datetime)
        return nxt.astimezone(UTC)

    def first_run(self, now: datetime) -> datetime:
        """When a job seen for the first time is due: at once for an interval, at the next
        matching time for a cron expression (a nightly job waits for its night)."""
        return as_utc(now) if self.interval is not None else self.next_after(now)

    def describe(self) -> str:
        return self.text


def parse_every(every: str) -> Schedule:
    """``"30s"``, ``"10m"``, ``"1h"``, ``"1d"`` or a 5-field cron expression."""
    m = _INTERVAL.match(every)
    if m:
        seconds = int(m.group(1)) * _UNITS[m.group(2)]
        if seconds <= 0:
            raise InvalidInput(f"job interval must be positive: {every!r}", field="every")
        return Schedule(text=every.strip(), interval=timedelta(seconds=seconds))
    expr = " ".join(every.split())
    if len(expr.split(" ")) != 5 or not croniter.is_valid(expr):
        raise InvalidInput(
            f"not an interval (30s, 10m, 1h, 1d) or a 5-field cron expression: {every!r}",
            field="every",
        )
    return Schedule(text=expr, cron=expr)


def as_utc(at: datetime) -> datetime:
    """Aware UTC. A naive value is UTC (SQLite returns what it stored without the offset)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
