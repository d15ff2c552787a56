"""The report's attribution window is the launch instant in the business's local time: the
snapshot's ``ordered_at`` is local wall-clock time, ``launched_at`` an instant (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from omniretail.marketing.campaign.models import Campaign
from omniretail.marketing.campaign.report import member_outcomes
from omniretail.platform.engine.duckdb import DuckDBEngine


def test_window_starts_at_the_local_launch_time_and_lasts_window_days() -> None:
    engine = DuckDBEngine()
    engine.execute(
        "CREATE TABLE orders AS SELECT * FROM (VALUES"
        " ('C1', TIMESTAMP '2026-03-01 07:00:00', 10.0, 'paid'),"  # before the launch (local)
        " ('C1', TIMESTAMP '2026-03-01 09:00:00', 20.0, 'paid'),"  # just after it
        " ('C2', TIMESTAMP '2026-03-08 08:00:00', 30.0, 'paid'),"  # last hour of the window
        " ('C2', TIMESTAMP '2026-03-08 09:00:00', 40.0, 'paid')"  # after the window
        ") o(customer_id, ordered_at, paid_amount, status)"
    )
    # 00:30 UTC is 08:30 in Shanghai; a naive value (SQLite) means UTC as well
    for launched in (datetime(2026, 3, 1, 0, 30, tzinfo=UTC), datetime(2026, 3, 1, 0, 30)):
        c = Campaign(code="TZ", name="tz", launched_at=launched, window_days=7)
        assert member_outcomes(engine, c, ["C1", "C2"]) == {"C1": (1, 20.0), "C2": (1, 30.0)}
    engine.close()
