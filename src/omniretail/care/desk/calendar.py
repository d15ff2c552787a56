"""Business-hours clocks for SLAs: counted only inside opening hours on working days, where
working days follow the Chinese calendar — statutory holidays off, 调休 make-up weekend days
on (the ``chinese-calendar`` package) — and never while a ticket is paused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHAIN_TZ = ZoneInfo("Asia/Shanghai")  # until platform/timezone.py lands (CONTEXT interface 7)


def as_utc(value: datetime) -> datetime:
    """Aware UTC; a naive value (SQLite returns stored instants naive) is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_workday(day: date) -> bool:
    """Chinese working day (holidays and 调休 known to chinese-calendar; beyond its years,
    Monday–Friday)."""
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (NotImplementedError, ImportError):
        return day.weekday() < 5


@dataclass(frozen=True)
class BusinessHours:
    opens: time = time(9, 0)
    closes: time = time(21, 0)
    workdays_only: bool = True  # False: every day (a 7×12 service team)

    def open_on(self, day: date) -> bool:
        return is_workday(day) if self.workdays_only else True

    def _day_span(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, CHAIN_TZ),
            datetime.combine(day, self.closes, CHAIN_TZ),
        )

    def seconds_between(
        self, start: datetime, end: datetime, pauses: Sequence[tuple[datetime, datetime]] = ()
    ) -> float:
        """Business seconds in [start, end), minus paused intervals."""
        start, end = as_utc(start), as_utc(end)
        pauses = [(as_utc(a), as_utc(b)) for a, b in pauses]
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(CHAIN_TZ).date()
        last = end.astimezone(CHAIN_TZ).date()
        while day <= last:
            if self.open_on(day):
                lo, hi = self._day_span(day)
                a, b = max(lo, start), min(hi, end)
                if b > a:
                    total += (b - a).total_seconds()
                    for p0, p1 in pauses:
                        x, y = max(a, p0), min(b, p1)
                        if y > x:
                            total -= (y - x).total_seconds()
            day += timedelta(days=1)
        return max(total, 0.0)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` of business time after ``start`` (aware, UTC)."""
        start = as_utc(start)
        left = seconds
        day = start.astimezone(CHAIN_TZ).date()
        for _ in range(3660):  # ten years of days at most
            if self.open_on(day):
                lo, hi = self._day_span(day)
                a = max(lo, start)
                if hi > a:
                    span = (hi - a).total_seconds()
                    if left <= span:
                        return as_utc(a + timedelta(seconds=left))
                    left -= span
            day += timedelta(days=1)
        raise ValueError("SLA target beyond ten years")
