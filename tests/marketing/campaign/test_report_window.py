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


def test_a_stores_effect_is_measured_against_that_stores_holdout(sqlite_session) -> None:  # type: ignore[no-untyped-def]
    """Store A's members all buy, in both arms; store B's never do. Against the whole holdout
    store A would show a spurious +50 points; against its own holdout there is no effect."""
    from omniretail.marketing.campaign.models import CampaignMember
    from omniretail.marketing.campaign.report import campaign_report

    s = sqlite_session
    c = Campaign(
        code="ST", name="stores", goal="reactivation", status="running", window_days=7,
        launched_at=datetime(2026, 3, 1, 0, 30, tzinfo=UTC), audience={"segment": "x"},
        content={"title": "t", "body": "b"}, channels=["sms"],
    )  # fmt: skip
    s.add(c)
    s.flush()
    rows = []
    for store in ("A", "B"):
        for arm in ("treatment", "holdout"):
            for i in range(4):
                rows.append((f"{store}{arm[0]}{i}", arm, store))
    s.add_all(
        CampaignMember(campaign_id=c.id, customer_id=cid, arm=arm, store_code=store)
        for cid, arm, store in rows
    )
    s.flush()
    engine = DuckDBEngine()
    buyers = ", ".join(f"('{cid}')" for cid, _arm, store in rows if store == "A")
    engine.execute(
        "CREATE TABLE orders AS SELECT customer_id, TIMESTAMP '2026-03-02 10:00:00' AS ordered_at,"
        f" 25.0 AS paid_amount, 'paid' AS status FROM (VALUES {buyers}) b(customer_id)"
    )
    report = campaign_report(s, engine, code="ST").as_json()
    engine.close()
    a = report["by_store_code"]["A"]
    assert (a["members"], a["holdout"]) == (4, 4)
    assert a["conversion_effect"]["lift"] == 0
    assert report["overall"]["conversion_effect"]["lift"] == 0
