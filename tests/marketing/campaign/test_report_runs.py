"""The report's per-run breakdown of a recurring campaign: each run's audience, messages,
redemptions, conversion and revenue in its own window, and its effect versus that run's holdout
(a member's arm is the same in every run; the whole-campaign blocks count a member once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from omniretail.marketing.campaign.models import Campaign, CampaignMember, CampaignRun
from omniretail.marketing.campaign.report import campaign_report
from omniretail.marketing.campaign.schedule import run_due_campaigns
from omniretail.marketing.campaign.stats import mean_effect, proportion_effect
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.models import Coupon
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.platform import db
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.engine.snapshot import run_on_published
from omniretail.platform.messaging.models import Message, MessageEvent
from tests.marketing.campaign.conftest import publish_with_template

RUN1 = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
RUN2 = RUN1 + timedelta(days=3)
RUN3 = RUN1 + timedelta(days=20)
TREAT = [f"T{i:02d}" for i in range(30)]
HOLD = [f"H{i:02d}" for i in range(30)]


def _orders(engine: DuckDBEngine, rows: list[tuple[str, str, float]]) -> None:
    values = ", ".join(f"('{c}', TIMESTAMP '{t}', {v}, 'paid')" for c, t, v in rows)
    engine.execute(
        "CREATE TABLE orders AS SELECT * FROM (VALUES "
        + values
        + ") o(customer_id, ordered_at, paid_amount, status)"
    )


def _recurring(s: Session) -> Campaign:
    coupon_service.create_template(
        s,
        data=TemplateCreate(
            code="RR10",
            name="满50减10",
            kind="spend_save",
            rules={"tiers": [{"spend": "50", "save": "10"}]},
            valid_days=14,
            face_value=Decimal("10"),
        ),
    )
    tpl = coupon_service.get_template(s, code="RR10")
    c = Campaign(
        code="RR", name="weekly", goal="repurchase", kind="recurring", status="running",
        window_days=7, launched_at=RUN1, audience={"rule": {}}, content={"title": "t"},
        channels=["sms"], schedule={"at": "2026-03-01T08:30:00+08:00", "every_days": 3},
    )  # fmt: skip
    s.add(c)
    s.flush()
    for run, at, treat, hold in ((1, RUN1, TREAT, HOLD), (2, RUN2, TREAT, HOLD)):
        s.add(CampaignRun(campaign_id=c.id, run=run, scheduled_for=at, launched_at=at))
        s.add_all(
            CampaignMember(campaign_id=c.id, customer_id=cid, arm=arm, run=run)
            for ids, arm in ((treat, "treatment"), (hold, "holdout"))
            for cid in ids
        )
    # run 3: too few members for an effect
    s.add(CampaignRun(campaign_id=c.id, run=3, scheduled_for=RUN3, launched_at=RUN3))
    s.add_all(
        CampaignMember(campaign_id=c.id, customer_id=cid, arm=arm, run=3)
        for cid, arm in (("T00", "treatment"), ("T01", "treatment"), ("H00", "holdout"))
    )
    sent = {1: TREAT, 2: TREAT[:25]}
    for run, ids in sent.items():
        for i, cid in enumerate(ids):
            m = Message(
                key=f"rr:{run}:{cid}", campaign_id=c.id, customer_id=cid, channel="sms",
                origin_kind="campaign", origin_ref=f"RR:{run}", purpose="marketing",
                recipient="+8613800000000", payload={}, status="sent", due_at=RUN1,
            )  # fmt: skip
            s.add(m)
            s.flush()
            if i < (10 if run == 1 else 4):
                s.add(MessageEvent(message_id=m.id, kind="delivered", at=RUN1))
    for run, redeemed in ((1, 7), (2, 2)):
        for i, cid in enumerate(TREAT):
            s.add(
                Coupon(
                    code=f"RR{run}X{cid}",
                    template_id=tpl.id,
                    customer_id=cid,
                    campaign_id=f"RR:{run}",
                    status="redeemed" if i < redeemed else "issued",
                )  # fmt: skip
            )
    s.flush()
    return c


def test_each_run_is_reported_in_its_own_window_against_its_own_holdout(
    sqlite_session: Session,
) -> None:
    s = sqlite_session
    _recurring(s)
    engine = DuckDBEngine()
    run1 = [(c, "2026-03-02 12:00:00", 10.0) for c in TREAT[:15]]
    run1 += [(c, "2026-03-02 12:00:00", 10.0) for c in HOLD[:3]]
    run2 = [(c, "2026-03-05 12:00:00", 20.0) for c in TREAT[:6]]
    run2 += [(c, "2026-03-05 12:00:00", 20.0) for c in HOLD[:6]]
    outside = [
        ("T29", "2026-03-01 08:00:00", 99.0),  # before run 1's launch (08:30 local)
        ("T29", "2026-03-12 12:00:00", 99.0),  # after run 2's 7-day window
    ]
    _orders(engine, run1 + run2 + outside)
    report = campaign_report(s, engine, code="RR").as_json()
    engine.close()

    runs = report["runs"]
    assert [r["run"] for r in runs] == [1, 2, 3]
    r1, r2, r3 = runs
    assert datetime.fromisoformat(r1["launched_at"]) == RUN1
    assert datetime.fromisoformat(r1["window_end"]) == RUN2  # cut at the next run's launch
    assert datetime.fromisoformat(r2["window_end"]) == RUN3
    assert (r1["audience"], r1["members"], r1["holdout"]) == (60, 30, 30)
    assert (r1["sent"], r1["delivered"], r1["coupons_redeemed"]) == (30, 10, 7)
    assert (r2["sent"], r2["delivered"], r2["coupons_redeemed"]) == (25, 4, 2)
    # run 1: 15 of 30 treated bought vs 3 of 30 held out; run 2's orders are not run 1's
    assert (r1["converted"], r1["conversion"], r1["revenue"]) == (15, 0.5, 150.0)
    assert r1["conversion_effect"] == proportion_effect(15, 30, 3, 30).as_dict()
    assert r1["conversion_effect"]["significant"] is True
    rev_t = [10.0] * 15 + [0.0] * 15
    rev_h = [10.0] * 3 + [0.0] * 27
    assert r1["revenue_per_member_effect"] == mean_effect(rev_t, rev_h).as_dict()
    assert r1["incremental_revenue"] == pytest.approx((150 - 30) / 30 * 30, abs=0.01)
    # run 2: 6 of 30 in both arms — no lift
    assert (r2["converted"], r2["revenue"]) == (6, 120.0)
    assert r2["conversion_effect"]["lift"] == 0
    assert r2["conversion_effect"]["significant"] is False
    # run 3: 2 treated, 1 held out — counted, but too few members for an effect
    assert r3["audience"] == 3
    assert "conversion_effect" not in r3
    assert "incremental_revenue" not in r3
    # the whole campaign counts each member once (their arm is the same in every run)
    assert (report["audience"], report["treatment"], report["holdout"]) == (60, 30, 30)
    assert report["overall"]["members"] == 30


def test_a_run_without_a_snapshot_still_has_its_counts(sqlite_session: Session) -> None:
    _recurring(sqlite_session)
    report = campaign_report(sqlite_session, None, code="RR").as_json()
    r1 = report["runs"][0]
    assert (r1["audience"], r1["sent"], r1["coupons_redeemed"]) == (60, 30, 7)
    assert r1["converted"] == 0
    assert "conversion_effect" not in r1


def test_the_api_report_has_one_row_per_scheduled_run(client: Any, snapshot_file: Path) -> None:
    publish_with_template(snapshot_file, "BACK10")
    body = {
        "code": "WK",
        "name": "每周回购",
        "goal": "repurchase",
        "kind": "recurring",
        "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
        "offer_template": "BACK10",
        "channels": ["webhook"],
        "holdout_share": 0.2,
        "schedule": {"at": "2026-07-01T10:00", "every_days": 7},
    }
    r = client.post("/api/v1/campaigns", json=body)
    assert r.status_code == 201, r.text
    t0 = datetime(2026, 7, 1, 2, 1, tzinfo=UTC)
    launched = []
    for now in (t0, t0 + timedelta(days=7)):
        launched += run_on_published(
            lambda e, now=now: run_due_campaigns(db.session_factory(), e, now=now)
        )
    assert [x["run"] for x in launched] == [1, 2]
    r = client.get("/api/v1/campaigns/WK/report")
    assert r.status_code == 200, r.text
    runs = r.json()["runs"]
    assert [x["run"] for x in runs] == [1, 2]
    for row, out in zip(runs, launched, strict=True):
        assert row["audience"] == out["audience"]
        assert row["members"] == out["treatment"]
        assert row["holdout"] == out["holdout"]
        assert datetime.fromisoformat(row["scheduled_for"]) == datetime.fromisoformat(
            out["scheduled_for"]
        )
        for key in ("conversion", "revenue", "conversion_effect", "revenue_per_member_effect"):
            assert key in row
        low, high = row["conversion_effect"]["ci_low"], row["conversion_effect"]["ci_high"]
        assert low <= row["conversion_effect"]["lift"] <= high
    assert r.json()["treatment"] == launched[0]["treatment"]  # members once, not per run
