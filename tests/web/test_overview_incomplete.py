"""The overview leaves trailing days with incomplete data out of its period and comparison."""

from __future__ import annotations

from datetime import date, timedelta

from omniretail.web.overview import last_complete_day

END = date(2026, 10, 31)


def _days(start: date, n: int, orders: int) -> dict[date, int]:
    return {start + timedelta(days=i): orders for i in range(n)}


def test_a_sparse_tail_after_the_data_ends_is_left_out() -> None:
    # two months of ~100 orders a day, then two weeks of a few simulated responses
    counts = _days(END - timedelta(days=59), 60, 100) | _days(END + timedelta(days=1), 14, 3)
    assert last_complete_day(counts, END + timedelta(days=14)) == END


def test_ordinary_days_and_dips_are_complete() -> None:
    counts = _days(END - timedelta(days=59), 60, 100)
    assert last_complete_day(counts, END) == END
    counts[END] = 30  # a quiet day (a holiday), not missing data
    assert last_complete_day(counts, END) == END
    counts[END] = 0  # nothing at all
    assert last_complete_day(counts, END) == END - timedelta(days=1)


def test_short_history_keeps_its_last_day() -> None:
    assert last_complete_day({END: 5}, END) == END
