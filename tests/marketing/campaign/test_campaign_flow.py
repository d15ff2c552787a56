"""A campaign from audience to report on a published snapshot, with messages delivered to a
real SMTP server (aiosmtpd) and a real HTTP webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign import report as report_mod
from omniretail.marketing.campaign import service
from omniretail.marketing.campaign.errors import CampaignInvalid, CampaignStateError
from omniretail.marketing.campaign.launch import launch_campaign
from omniretail.marketing.campaign.models import CampaignMember
from omniretail.marketing.campaign.schemas import CampaignCreate
from omniretail.marketing.coupon.models import Coupon
from omniretail.platform import db, migrate
from omniretail.platform.engine import DuckDBEngine, publish_snapshot, work_path
from omniretail.platform.engine.snapshot import run_on_published
from omniretail.platform.messaging import config as mconfig
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.models import Message
from tests.marketing.campaign.conftest import publish_with_template
from tests.receivers import Inbox, smtp_server, webhook_receiver


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict[str, Any]], int]]:
    with webhook_receiver() as hooks:
        yield hooks.bodies, hooks.port


@pytest.fixture
def instance(
    home: Path,
    snapshot_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp: tuple[Inbox, int],
    webhook: tuple[list[dict[str, Any]], int],
) -> Iterator[Session]:
    monkeypatch.setenv("OMNIRETAIL_MESSAGING_SMTP_PORT", str(smtp[1]))
    monkeypatch.setenv("OMNIRETAIL_MESSAGING_WEBHOOK_URL", f"http://127.0.0.1:{webhook[1]}/hook")
    mconfig.get_messaging_settings.cache_clear()
    migrate.upgrade()
    publish_with_template(snapshot_file, "BACK10")
    s = db.session_factory()()
    yield s
    s.close()
    mconfig.get_messaging_settings.cache_clear()


def _campaign(**kw: Any) -> CampaignCreate:
    data: dict[str, Any] = {
        "code": "REACT-1",
        "name": "沉睡会员唤醒",
        "goal": "reactivation",
        "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
        "offer_template": "BACK10",
        "channels": ["email", "webhook"],
        "content": {
            "title": "好久不见",
            "body": "送您满50减10元券",
            "link": "https://shop.example/c",
        },
        "holdout_share": 0.2,
        "budget": "100000",
    }
    data.update(kw)
    return CampaignCreate.model_validate(data)


def test_launch_delivers_measures_and_is_idempotent(instance: Session, smtp, webhook) -> None:  # type: ignore[no-untyped-def]
    s = instance
    service.create_campaign(s, data=_campaign())
    s.commit()
    risks = run_on_published(lambda e: service.assess_risks(s, e, code="REACT-1"))
    assert risks["ok"]
    assert risks["audience"] > 100
    out = run_on_published(lambda e: launch_campaign(s, e, code="REACT-1")).as_json()
    s.commit()
    assert out["holdout"] == pytest.approx(0.2 * out["audience"], abs=6)
    assert out["coupons"]["issued"] == out["treatment"]
    # holdout members get neither coupon nor message
    hold = set(s.scalars(select(CampaignMember.customer_id).where(CampaignMember.arm == "holdout")))
    assert not hold & set(
        s.scalars(select(Coupon.customer_id).where(Coupon.campaign_id == "REACT-1"))
    )
    assert not hold & set(s.scalars(select(Message.customer_id)))
    # every queued message respects consent: an email only to an opted-in address
    queued = list(s.scalars(select(Message)))
    assert queued
    assert all(m.channel in ("email", "webhook") for m in queued)

    r = messaging.dispatch(db.session_factory(), now=out_time(out), limit=10_000)
    assert r.sent == len(queued)
    assert r.failed == 0
    inbox, _ = smtp
    got, _ = webhook
    assert len(inbox.mails) == sum(m.channel == "email" for m in queued)
    assert len(got) == sum(m.channel == "webhook" for m in queued)
    assert all(g["link"].startswith("http") and "/r/react-1:1:" in g["link"] for g in got)

    # a retried launch adds nothing; a dispatch finds nothing left to send
    service.get_campaign(s, code="REACT-1").status = "completed"
    s.flush()
    with pytest.raises(CampaignStateError):
        run_on_published(lambda e: launch_campaign(s, e, code="REACT-1"))
    s.rollback()
    again = run_on_published(lambda e: launch_campaign(s, e, code="REACT-1")).as_json()
    s.commit()
    assert again["messages_queued"] == 0
    assert again["coupons"]["issued"] == 0
    assert messaging.dispatch(db.session_factory(), now=out_time(out)).claimed == 0
    assert s.scalar(select(func.count()).select_from(Message)) == len(queued)

    # receipts are recorded once; the report counts them
    first = queued[0]
    assert messaging.record_event(s, message_id=first.id, kind="delivered")
    assert not messaging.record_event(s, message_id=first.id, kind="delivered")
    s.commit()
    rep = run_on_published(lambda e: report_mod.campaign_report(s, e, code="REACT-1")).as_json()
    assert rep["sent"] == len(queued)
    assert rep["delivered"] == 1
    assert rep["coupons_issued"] == out["treatment"]
    assert rep["holdout"] == out["holdout"]
    assert "overall" in rep
    assert set(rep["by_channel"]) <= {"email", "webhook", "none"}


def out_time(out: dict[str, Any]):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(out["send_at"]) + timedelta(minutes=1)


def test_bad_campaigns_get_clear_errors(instance: Session) -> None:
    with pytest.raises(CampaignInvalid, match="NOPE"):
        service.create_campaign(instance, data=_campaign(code="X1", offer_template="NOPE"))
    with pytest.raises(CampaignInvalid, match="trigger"):
        service.create_campaign(instance, data=_campaign(code="X2", kind="journey"))
    with pytest.raises(ValueError, match="unknown channel"):
        _campaign(channels=["pigeon"])
    service.create_campaign(instance, data=_campaign(code="X3", budget="5"))
    instance.flush()
    with pytest.raises(CampaignInvalid, match="exceeds the budget"):
        run_on_published(lambda e: launch_campaign(instance, e, code="X3"))


def test_failed_sends_are_retried_then_given_up(
    instance: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIRETAIL_MESSAGING_WEBHOOK_URL", "http://127.0.0.1:9/closed")
    monkeypatch.setenv("OMNIRETAIL_MESSAGING_MAX_ATTEMPTS", "2")
    mconfig.get_messaging_settings.cache_clear()
    service.create_campaign(
        instance, data=_campaign(code="R1", channels=["webhook"], offer_template=None)
    )
    out = run_on_published(lambda e: launch_campaign(instance, e, code="R1")).as_json()
    instance.commit()
    t = out_time(out)
    r1 = messaging.dispatch(db.session_factory(), now=t, limit=10_000)
    assert r1.retried == r1.claimed > 0
    assert r1.sent == 0
    r2 = messaging.dispatch(db.session_factory(), now=t + timedelta(hours=1), limit=10_000)
    assert r2.failed == r1.claimed
    statuses = set(instance.scalars(select(Message.status)))
    assert statuses == {"failed"}


def test_birthday_journey_runs_daily_without_reentry(instance: Session) -> None:
    from datetime import date

    from omniretail.marketing.campaign.journeys import run_journey

    s = instance
    service.create_campaign(
        s,
        data=_campaign(
            code="BDAY",
            name="生日礼",
            goal="loyalty",
            kind="journey",
            trigger="birthday",
            audience={"rule": {"field": "orders_total", "op": "gte", "value": 0}},
            channels=["webhook"],
            holdout_share=0.1,
        ),
    )
    s.commit()
    # a plain launch of a journey would message the whole audience without the trigger
    with pytest.raises(CampaignInvalid, match="journey"):
        run_on_published(lambda e: launch_campaign(s, e, code="BDAY"))
    s.rollback()
    day1 = run_on_published(
        lambda e: run_journey(s, e, code="BDAY", today=date(2026, 11, 1))
    ).as_json()
    s.commit()
    assert day1["audience"] > 0
    same_day = run_on_published(
        lambda e: run_journey(s, e, code="BDAY", today=date(2026, 11, 1))
    ).as_json()
    s.commit()
    assert same_day["messages_queued"] == 0
    assert same_day["coupons"]["issued"] == 0
    next_day = run_on_published(
        lambda e: run_journey(s, e, code="BDAY", today=date(2026, 11, 2))
    ).as_json()
    s.commit()
    assert next_day["audience"] == 0  # the same members may not re-enter within the year
    members = s.scalar(select(func.count()).select_from(CampaignMember))
    assert members == day1["audience"]
    rep = run_on_published(lambda e: report_mod.campaign_report(s, e, code="BDAY")).as_json()
    assert rep["coupons_issued"] == day1["treatment"]
    from omniretail.marketing.campaign.journeys import run_due_journeys

    daily = run_on_published(lambda e: run_due_journeys(s, e, today=date(2026, 11, 3)))
    assert [r.campaign for r in daily] == ["BDAY"]
    assert daily[0].audience == 0


def test_every_trigger_rule_compiles_on_the_tag_catalogue(instance: Session) -> None:
    from omniretail.insight.segment import service as segment_service
    from omniretail.marketing.campaign.journeys import TRIGGERS

    for trigger, (rule, _) in TRIGGERS.items():
        if rule is not None:

            def count(e, r=rule):  # type: ignore[no-untyped-def]
                sql = segment_service.members_sql(segment_service.compile_for(e, r))
                return e.scalar(f"SELECT count(*) FROM ({sql})")

            n = run_on_published(count)
            assert n is not None, trigger


def test_a_snapshot_without_tags_is_a_clear_error(home: Path) -> None:
    from omniretail.platform.engine.snapshot import NoPublishedSnapshot

    migrate.upgrade()
    DuckDBEngine(work_path()).close()
    publish_snapshot()
    with db.session_scope() as s:
        service.create_campaign(s, data=_campaign(code="EMPTY", offer_template=None))
    with db.session_scope() as s, pytest.raises(NoPublishedSnapshot, match="pipeline run"):
        run_on_published(lambda e: service.assess_risks(s, e, code="EMPTY"))


def test_launching_a_journey_starts_it_on_its_trigger(instance: Session) -> None:
    """The API's, console's and CLI's Launch: a journey runs today's step (a plain launch
    is refused), and launching again the same day adds nobody."""
    from omniretail.marketing.campaign.journeys import launch

    s = instance
    service.create_campaign(
        s,
        data=_campaign(
            code="BDAY-L", name="生日礼", goal="loyalty", kind="journey", trigger="birthday",
            audience={"rule": {"field": "orders_total", "op": "gte", "value": 0}},
            channels=["webhook"],
        ),
    )  # fmt: skip
    s.commit()
    first = run_on_published(lambda e: launch(s, e, code="BDAY-L", actor="test")).as_json()
    s.commit()
    again = run_on_published(lambda e: launch(s, e, code="BDAY-L", actor="test")).as_json()
    s.commit()
    assert "audience" in first
    assert again["messages_queued"] == 0
