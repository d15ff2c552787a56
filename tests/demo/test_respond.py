"""A demo campaign's loop closes: members respond as the world's truth says, their orders come
back through the import and the pipeline, coupons through redeem, and the report measures it.

The instance (the session's small world imported, the pipeline run, a dormant-reactivation
campaign with a 满50减10 coupon launched and its messages sent) is built once per module and
copied for each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.cdp.ingest.models import LandingBatch
from omniretail.cdp.ingest.service import import_world
from omniretail.demo.respond import (
    AlreadyResponded,
    CampaignNotLaunched,
    MessagesNotSent,
    NotADemoInstance,
    RespondInvalid,
    respond_to_campaign,
)
from omniretail.marketing.campaign import service as campaign_service
from omniretail.marketing.campaign.errors import CampaignNotFound
from omniretail.marketing.campaign.launch import launch_campaign
from omniretail.marketing.campaign.report import campaign_report
from omniretail.marketing.campaign.schemas import CampaignCreate
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.models import Coupon, CouponRedemption
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.platform import config, db, migrate
from omniretail.platform.db import utcnow
from omniretail.platform.engine.snapshot import run_on_published
from omniretail.platform.messaging import config as mconfig
from omniretail.platform.messaging import service as messaging
from tests.demo.instance import AFTER_RESPONSE, BUILD_STEPS, run_pipeline


def _campaign(code: str) -> CampaignCreate:
    return CampaignCreate.model_validate(
        {
            "code": code,
            "name": "沉睡会员唤醒",
            "goal": "reactivation",
            "audience": {
                "rule": {"field": "lifecycle_stage", "op": "in", "value": ["dormant", "churned"]},
                # the same members as DORM: reach its holdout too (protected by default)
                "include_other_holdouts": True,
            },
            "offer_template": "BACK10",
            "channels": ["file"],
            "content": {"title": "好久不见", "body": "送您满50减10元券"},
            "holdout_share": 0.5,
        }
    )


def _use(home: Path, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("OMNIRETAIL_HOME", str(home))
    mp.setenv("OMNIRETAIL_DEMO", "1")
    mp.delenv("OMNIRETAIL_DATABASE_URL", raising=False)
    mp.delenv("OMNIRETAIL_MESSAGING_WEBHOOK_URL", raising=False)
    config.reset_settings()
    mconfig.get_messaging_settings.cache_clear()


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory, world_dir: Path) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("respond") / "home"
    with pytest.MonkeyPatch.context() as mp:
        _use(home, mp)
        config.get_settings().ensure_dirs()
        migrate.upgrade()
        shutil.copytree(world_dir, home / "demo-world")
        with db.session_scope() as s:
            import_world(s, world=home / "demo-world")
        run_pipeline(BUILD_STEPS)
        with db.session_scope() as s:
            coupon_service.create_template(
                s,
                data=TemplateCreate(
                    code="BACK10",
                    name="满50减10",
                    kind="spend_save",
                    rules={"tiers": [{"spend": "50", "save": "10"}]},
                    valid_days=14,
                    face_value=Decimal("10"),
                ),
            )
            campaign_service.create_campaign(s, data=_campaign("DORM"))
            campaign_service.create_campaign(s, data=_campaign("UNSENT"))
            campaign_service.create_campaign(s, data=_campaign("DRAFT"))
            run_on_published(lambda e: launch_campaign(s, e, code="DORM"))
        messaging.dispatch(db.session_factory(), now=utcnow() + timedelta(days=1), limit=100_000)
        with db.session_scope() as s:  # launched after the dispatch: its messages wait
            run_on_published(lambda e: launch_campaign(s, e, code="UNSENT"))
        db.reset_engine()
        yield home
    config.reset_settings()


@pytest.fixture
def instance(
    template_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    _use(home, monkeypatch)
    s = db.session_factory()()
    yield s
    s.close()
    config.reset_settings()


def _respond(s: Session, code: str = "DORM", **kw: Any) -> dict[str, Any]:
    return run_on_published(lambda e: respond_to_campaign(s, e, code=code, **kw))  # type: ignore[no-any-return]


def test_response_flows_back_and_the_report_recovers_the_true_effect(instance: Session) -> None:
    s = instance
    out = _respond(s, seed=3)
    s.commit()
    assert out["members"] == out["treatment"] + out["holdout"]
    assert out["mapped"] == out["members"]  # every customer comes from the world
    assert out["reached"] == out["treatment"]  # every message was sent (file channel)
    assert out["orders"] > 0
    assert out["coupons_redeemed"] > 0
    assert sum(out["orders_by_channel"].values()) == out["orders"]
    assert {r["status"] for r in out["imported"]} == {"landed"}

    # coupons: redeemed through the coupon service, one ledger row per redemption
    redeemed = s.scalar(
        select(func.count())
        .select_from(Coupon)
        .where(Coupon.campaign_id == "DORM", Coupon.status == "redeemed")
    )
    assert redeemed == out["coupons_redeemed"]
    ledger = list(s.scalars(select(CouponRedemption).where(CouponRedemption.kind == "redeem")))
    assert len(ledger) == redeemed
    assert all(r.order_id.startswith("DR-DORM-") for r in ledger)
    assert float(sum(r.discount for r in ledger)) == out["coupon_discount"]

    run_pipeline(AFTER_RESPONSE)
    rows = run_on_published(  # reopens the snapshot the pipeline just published
        lambda e: e.fetch_rows(
            "SELECT count(*) AS n, count(customer_id) AS known, sum(paid_amount)::DOUBLE AS paid,"
            " count(coupon_code) AS with_coupon FROM orders WHERE order_id LIKE 'DR-DORM-%'"
        )
    )[0]
    assert rows["n"] == out["orders"]  # every order was ingested ...
    assert rows["known"] == out["orders"]  # ... and resolved to a customer
    assert rows["paid"] == pytest.approx(out["revenue"], abs=0.01)
    assert rows["with_coupon"] == out["coupons_redeemed"]

    rep = run_on_published(lambda e: campaign_report(s, e, code="DORM")).as_json()
    overall = rep["overall"]
    assert rep["coupons_redeemed"] == out["coupons_redeemed"]
    assert rep["coupon_cost"] == pytest.approx(out["coupon_discount"])
    hold_rev = overall["revenue_per_member_effect"]["control"] * overall["holdout"]
    assert overall["revenue"] + hold_rev == pytest.approx(out["revenue"], abs=0.05)
    assert overall["converted"] >= out["coupons_redeemed"]  # a redeemer bought something
    # the measured effect covers the generator's true effect (fixed seed: deterministic)
    truth = out["true_effect"]
    conv, rev = overall["conversion_effect"], overall["revenue_per_member_effect"]
    assert conv["ci_low"] <= truth["conversion_lift"] <= conv["ci_high"]
    assert rev["ci_low"] <= truth["revenue_per_member_lift"] <= rev["ci_high"]
    assert truth["conversion_lift"] > 0


def test_a_second_response_applies_nothing(instance: Session) -> None:
    s = instance
    first = _respond(s, seed=1)
    s.commit()
    batches = s.scalar(select(func.count()).select_from(LandingBatch))
    with pytest.raises(AlreadyResponded, match="DORM"):
        _respond(s, seed=2)
    s.rollback()
    assert s.scalar(select(func.count()).select_from(LandingBatch)) == batches
    assert s.scalar(select(func.count()).select_from(CouponRedemption)) == first["coupons_redeemed"]


def test_refusals_name_the_problem(instance: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    s = instance
    with pytest.raises(CampaignNotFound, match="NOPE"):
        _respond(s, code="NOPE")
    with pytest.raises(CampaignNotLaunched, match="DRAFT"):
        _respond(s, code="DRAFT")
    with pytest.raises(MessagesNotSent, match="dispatch"):
        _respond(s, code="UNSENT")
    with pytest.raises(RespondInvalid) as bad:
        _respond(s, days=99)
    assert bad.value.field == "days"
    with pytest.raises(NotADemoInstance, match="world"):
        _respond(s, world=Path("no-such-world"))
    monkeypatch.setenv("OMNIRETAIL_DEMO", "0")
    monkeypatch.setenv("OMNIRETAIL_SECRET_KEY", "q8Vd3-Zr1Lx0nP4tY7uK2wE9sB6mJ5cH-test")
    config.get_settings.cache_clear()
    with pytest.raises(NotADemoInstance, match="not a demo instance"):
        _respond(s)
    s.rollback()
    assert s.scalar(select(func.count()).select_from(CouponRedemption)) == 0


def test_the_demo_plays_in_the_worlds_time_and_the_job_responds(instance: Session) -> None:
    """The campaign was launched on the world's clock (the day after its last day, not the
    wall clock); the demo.respond job (run from the 任务 page) answers every sent campaign once,
    and the coupons are redeemed inside the world's time after the launch."""
    from omniretail.demo.jobs import ready_campaigns, respond_to_campaigns
    from omniretail.platform.clock import world_end
    from omniretail.platform.jobs import JobContext
    from omniretail.platform.timezone import CHAIN_TZ

    s = instance
    end = world_end()
    assert end is not None
    c = campaign_service.get_campaign(s, code="DORM")
    assert c.launched_at is not None
    launched = c.launched_at.replace(tzinfo=c.launched_at.tzinfo or UTC)
    assert launched.astimezone(CHAIN_TZ).date() == end + timedelta(days=1)

    ctx = JobContext(session=s, now=utcnow(), factory=db.session_factory(), name="demo.respond")
    assert ready_campaigns(ctx) == ["DORM"]  # UNSENT waits for dispatch, DRAFT never launched
    assert respond_to_campaigns(ctx) == 1
    s.expire_all()
    assert ready_campaigns(ctx) == []
    times = [
        t.replace(tzinfo=t.tzinfo or UTC)
        for t in s.scalars(select(CouponRedemption.at).where(CouponRedemption.kind == "redeem"))
    ]
    assert times
    assert all(launched <= t < launched + timedelta(days=c.window_days) for t in times)
    assert max(times) < utcnow()  # never in the future
