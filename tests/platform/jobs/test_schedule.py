"""Parsing ``every`` and computing the next run (intervals; cron in the chain's time zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omniretail.platform.errors import InvalidInput
from omniretail.platform.jobs.schedule import parse_every


@pytest.mark.parametrize(
    ("every", "step"),
    [("30s", 30), ("10m", 600), ("1h", 3600), ("1d", 86400), (" 2 h ", 7200)],
)
def test_intervals(every: str, step: int) -> None:
    s = parse_every(every)
    at = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert s.next_after(at) == at + timedelta(seconds=step)
    assert s.first_run(at) == at  # an interval job is due as soon as it is seen


def test_cron_is_read_in_the_chain_time_zone() -> None:
    s = parse_every("30 2 * * *")  # 02:30 in Shanghai = 18:30 UTC the day before
    assert s.next_after(datetime(2026, 12, 6, 10, 0, tzinfo=UTC)) == datetime(
        2026, 12, 6, 18, 30, tzinfo=UTC
    )
    assert s.next_after(datetime(2026, 12, 6, 18, 30, tzinfo=UTC)) == datetime(
        2026, 12, 7, 18, 30, tzinfo=UTC
    )
    # a nightly job seen for the first time waits for its night
    assert s.first_run(datetime(2026, 12, 6, 10, 0, tzinfo=UTC)) > datetime(
        2026, 12, 6, 10, 0, tzinfo=UTC
    )


def test_cron_weekday_and_naive_times_are_utc() -> None:
    s = parse_every("0 9 * * mon")
    nxt = s.next_after(datetime(2026, 12, 6, 0, 0))  # naive = UTC; 6 Dec 2026 is a Sunday
    assert nxt == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.mark.parametrize("every", ["", "0m", "10 minutes", "61 * * * *", "* * * *", "1w"])
def test_bad_schedules_name_the_field(every: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_every(every)
    assert err.value.field == "every"
