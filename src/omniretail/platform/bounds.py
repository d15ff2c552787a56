"""Domain bounds for numeric and date inputs, shared by every request schema.

An unbounded number or date reaches arithmetic that overflows (``occurred_at + 730 days`` past
year 9999), a database column it does not fit (a 64-bit id, ``2**62`` points) or a loop it
makes endless. Every input a client sends gets a range here, so a bad value is a 422 problem
naming its field instead of a 500 or a stored value that breaks later requests.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

__all__ = [
    "DB_ID_MAX",
    "EARLIEST",
    "BusinessDate",
    "DbId",
    "Instant",
    "PastInstant",
    "UtcDatetime",
    "as_utc",
    "check_business_date",
    "check_instant",
]

DB_ID_MAX = 2**63 - 1  # a BIGINT / SQLite INTEGER
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no retail record of this system is older
FUTURE = timedelta(days=3660)  # plans (coupon validity, schedules) reach at most 10 years ahead
CLOCK_SKEW = timedelta(days=1)  # a till's clock may run a little ahead

DbId = Annotated[int, Field(ge=1, le=DB_ID_MAX)]


def check_instant(value: datetime) -> datetime:
    """An aware instant between 2000 and ten years from now."""
    now = datetime.now(UTC)
    if value < EARLIEST:
        raise ValueError(f"must not be before {EARLIEST.date().isoformat()}")
    if value > now + FUTURE:
        raise ValueError("must be within ten years from now")
    return value


def check_past_instant(value: datetime) -> datetime:
    """An aware instant of something that happened: since 2000, not in the future."""
    check_instant(value)
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("must not be in the future")
    return value


def check_business_date(value: date) -> date:
    if not EARLIEST.date() <= value <= (datetime.now(UTC) + FUTURE).date():
        raise ValueError(f"must be between {EARLIEST.date().isoformat()} and ten years from now")
    return value


def as_utc(value: datetime | None) -> datetime | None:
    """A stored instant as an aware UTC datetime (SQLite returns them naive, in UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# an instant in a response: always with its offset, in UTC
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
Instant = Annotated[AwareDatetime, AfterValidator(check_instant)]
PastInstant = Annotated[AwareDatetime, AfterValidator(check_past_instant)]
BusinessDate = Annotated[date, AfterValidator(check_business_date)]
