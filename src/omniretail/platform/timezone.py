"""The chain's time zone, and the two conversions every domain needs.

The operational store keeps instants (UTC; SQLite drops the offset, so a naive value there is
UTC). The analytics store keeps the chain's local wall-clock time without offset: import
mappings convert source times to it, KPIs count days in it, the console shows times in it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHAIN_TZ_NAME = "Asia/Shanghai"
CHAIN_TZ = ZoneInfo(CHAIN_TZ_NAME)


def from_wall_clock(value: datetime) -> datetime:
    """A time of the analytics store (local wall clock, no offset) as an aware instant in the
    chain's zone; an aware time is converted to the chain's zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=CHAIN_TZ)
    return value.astimezone(CHAIN_TZ)


def to_wall_clock(value: datetime) -> datetime:
    """An instant of the operational store (naive = UTC) as the chain's local wall-clock time
    without offset, as the analytics store keeps it."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(CHAIN_TZ).replace(tzinfo=None)


def chain_now() -> datetime:
    """Now, aware, in the chain's zone (today's date for a store is ``chain_now().date()``)."""
    return datetime.now(CHAIN_TZ)
