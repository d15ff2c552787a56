"""The scheduler: one-off campaigns launch once when their time has come, recurring ones run
N at at + (N-1) × every_days with their own holdout, re-entry and contact-pressure rules, and
calling the scheduler again at the same moment launches nothing twice."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.marketing.campaign import service
from omniretail.marketing.campaign.launch import launch_campaign
from omniretail.marketing.campaign.models import CampaignMember, CampaignRun
from omniretail.marketing.campaign.schedule import due_run, run_due_campaigns
from omniretail.marketing.campaign.schemas import CampaignCreate
from omniretail.marketing.coupon.models import Coupon
from omniretail.platform import db, migrate
from omniretail.platform.auth.models import AuditLog
from omniretail.platform.engine.snapshot import run_on_published
from omniretail.platform.messaging.models import Message
from tests.marketing.campaign.conftest import publish_with_template

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, outside quiet hours
RULE = {"rule": {"field": "orders_total", "op": "gte", "value": 1}}


@pytest.fixture
def s(home: Path, snapshot_file: Path) -> Iterator[Session]:
    migrate.upgrade()
    publish_with_template(snapshot_file, "BACK10")
    session = db.session_factory()()
    yield session
    session.close()


def _create(s: Session, code: str, **kw: Any) -> None:
    data: dict[str, Any] = {
        "code": code,
        "name": code,
        "goal": "repurchase",
        "audience": RULE,
        "offer_template": "BACK10",
        "channels": ["webhook"],
        "holdout_share": 0.2,
        "budget": "1000000",
    }
    data.update(kw)
    service.create_campaign(s, data=CampaignCreate.model_validate(data), now=T0)
    s.commit()


def tick(now: datetime) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = run_on_published(
        lambda e: run_due_campaigns(db.session_factory(), e, now=now)
    )
    return out


def count(s: Session, model: Any, *where: Any) -> int:
    s.expire_all()
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_one_off_campaign_launches_once_when_its_time_comes(s: Session) -> None:
    _create(s, "ONCE", schedule={"at": "2026-07-01T10:00:00+08:00"})
    assert service.get_campaign(s, code="ONCE").status == "scheduled"
    assert tick(T0 - timedelta(minutes=1)) == []
    assert count(s, Message) == 0
    first = tick(T0 + timedelta(minutes=5))
    assert [(r["campaign"], r["run"]) for r in first] == [("ONCE", 1)]
    assert datetime.fromisoformat(first[0]["scheduled_for"]) == T0
    sent = count(s, Message)
    assert sent == first[0]["messages_queued"] > 0
    # the same moment again, and later: nothing is launched twice
    assert tick(T0 + timedelta(minutes=5)) == []
    assert tick(T0 + timedelta(days=3)) == []
    assert count(s, Message) == sent
    assert count(s, CampaignRun) == 1
    assert count(s, Coupon) == first[0]["treatment"]
    c = service.get_campaign(s, code="ONCE")
    assert c.status == "running"
    launches = s.scalars(select(AuditLog).where(AuditLog.action == "campaign.launch")).all()
    assert [a.actor for a in launches] == ["scheduler"]


def test_a_campaign_launched_by_hand_is_not_launched_again_by_the_scheduler(s: Session) -> None:
    _create(s, "HAND", schedule={"at": "2026-07-02T10:00:00+08:00"})
    run_on_published(lambda e: launch_campaign(s, e, code="HAND", now=T0))
    s.commit()
    sent = count(s, Message)
    assert tick(T0 + timedelta(days=2)) == []
    assert count(s, Message) == sent


def test_recurring_runs_each_get_their_own_run_holdout_and_coupons(s: Session) -> None:
    _create(
        s,
        "WEEKLY",
        kind="recurring",
        schedule={"at": "2026-07-01T10:00", "every_days": 7},
    )
    r1 = tick(T0)
    assert [r["run"] for r in r1] == [1]
    assert tick(T0 + timedelta(days=3)) == []  # run 2 is not due yet
    r2 = tick(T0 + timedelta(days=7, minutes=1))
    assert [r["run"] for r in r2] == [2]
    assert datetime.fromisoformat(r2[0]["scheduled_for"]) == T0 + timedelta(days=7)
    assert tick(T0 + timedelta(days=7, minutes=1)) == []  # twice at the same time: nothing
    assert count(s, CampaignRun) == 2
    # each run: every member once, its own stratified holdout, its own coupons and messages
    per_run = Counter(
        (run, arm) for run, arm in s.execute(select(CampaignMember.run, CampaignMember.arm)).all()
    )
    for run in (1, 2):
        n = per_run[(run, "treatment")] + per_run[(run, "holdout")]
        assert n == r1[0]["audience"]
        assert per_run[(run, "holdout")] == pytest.approx(0.2 * n, abs=6)
    assert count(s, Coupon, Coupon.campaign_id == "WEEKLY:1") == r1[0]["treatment"]
    assert count(s, Coupon, Coupon.campaign_id == "WEEKLY:2") == r2[0]["treatment"]
    refs = set(s.scalars(select(Message.origin_ref)))
    assert {"WEEKLY:1", "WEEKLY:2"} <= refs
    keys = set(s.scalars(select(Message.key)))  # idempotency keys are normalised (case folded)
    assert any(k.startswith("weekly:1:") for k in keys)
    assert any(k.startswith("weekly:2:") for k in keys)


def test_recurring_runs_respect_contact_pressure_and_reentry(s: Session) -> None:
    _create(s, "DAILY", kind="recurring", schedule={"at": "2026-07-01T10:00", "every_days": 1})
    runs = [tick(T0 + timedelta(days=d, minutes=1))[0] for d in range(4)]
    assert [r["run"] for r in runs] == [1, 2, 3, 4]
    # three messages in seven days is the cap: the fourth day's run is suppressed
    assert runs[2]["messages_queued"] > 0
    assert runs[3]["messages_queued"] == 0
    assert runs[3]["suppressed"].get("frequency cap") == runs[3]["treatment"]

    service.pause_campaign(s, code="DAILY")
    s.commit()
    _create(
        s,
        "NOREPEAT",
        kind="recurring",
        schedule={"at": "2026-07-01T10:00", "every_days": 1, "reentry_days": 30},
        channels=["email"],
    )
    first = tick(T0 + timedelta(days=10))
    assert [r["campaign"] for r in first] == ["NOREPEAT"]
    second = tick(T0 + timedelta(days=11))
    assert second[0]["audience"] == 0  # nobody re-enters within 30 days


def test_missed_runs_are_not_sent_in_a_burst_and_until_completes(s: Session) -> None:
    _create(
        s,
        "SHORT",
        kind="recurring",
        schedule={"at": "2026-07-01T10:00", "every_days": 2, "until": "2026-07-06T00:00"},
    )
    c = service.get_campaign(s, code="SHORT")
    assert due_run(c, T0 + timedelta(days=5)) == (3, T0 + timedelta(days=4))
    assert due_run(c, T0 + timedelta(days=30)) == (3, T0 + timedelta(days=4))  # until
    out = tick(T0 + timedelta(days=5))  # runs 1 and 2 were missed: only the latest is sent
    assert [r["run"] for r in out] == [3]
    assert tick(T0 + timedelta(days=9)) == []
    s.expire_all()
    assert service.get_campaign(s, code="SHORT").status == "completed"
    assert count(s, CampaignRun) == 1


def test_paused_and_cancelled_campaigns_wait_and_a_failure_blocks_no_one(s: Session) -> None:
    _create(s, "PAUSED", schedule={"at": "2026-07-01T10:00"})
    _create(s, "GONE", schedule={"at": "2026-07-01T10:00"})
    _create(s, "BROKE", schedule={"at": "2026-07-01T10:00"}, budget="5", priority=90)
    _create(s, "FINE", schedule={"at": "2026-07-01T10:00"})
    service.pause_campaign(s, code="PAUSED")
    service.cancel_campaign(s, code="GONE")
    s.commit()
    out = tick(T0)
    assert [r["campaign"] for r in out] == ["BROKE", "FINE"]
    assert "exceeds the budget" in out[0]["error"]
    assert out[0]["field"] == "audience"
    assert out[1]["messages_queued"] > 0
    failed = s.scalars(select(AuditLog).where(AuditLog.action == "campaign.run_failed")).all()
    assert [a.object_id for a in failed] == ["BROKE"]
    # the failed run left nothing behind and is tried again; the paused one runs once resumed
    assert count(s, CampaignMember, CampaignMember.campaign_id == _id(s, "BROKE")) == 0
    service.resume_campaign(s, code="PAUSED")
    s.commit()
    again = tick(T0 + timedelta(hours=1))
    assert [r["campaign"] for r in again] == ["BROKE", "PAUSED"]
    assert "error" in again[0]
    assert service.get_campaign(s, code="GONE").launched_at is None


def _id(s: Session, code: str) -> int:
    return service.get_campaign(s, code=code).id


def test_a_run_claimed_by_another_scheduler_is_not_launched(s: Session) -> None:
    _create(s, "CLAIMED", schedule={"at": "2026-07-01T10:00"})
    s.add(CampaignRun(campaign_id=_id(s, "CLAIMED"), run=1, launched_at=T0))
    s.commit()
    assert tick(T0 + timedelta(minutes=1)) == []
    assert count(s, Message) == 0


def test_bad_schedules_are_refused_with_the_field(s: Session) -> None:
    from pydantic import ValidationError

    from omniretail.marketing.campaign.errors import CampaignInvalid

    with pytest.raises(CampaignInvalid) as exc:
        _create(s, "R1", kind="recurring", schedule={"at": "2026-07-01T10:00"})
    assert exc.value.field == "schedule.every_days"
    with pytest.raises(CampaignInvalid) as exc:
        _create(s, "R2", kind="recurring")
    assert exc.value.field == "schedule"
    with pytest.raises(CampaignInvalid) as exc:
        _create(s, "J1", kind="journey", trigger="birthday", schedule={"at": "2026-07-01"})
    assert exc.value.field == "schedule"
    with pytest.raises(ValidationError, match="until") as bad:
        _create(
            s,
            "R3",
            kind="recurring",
            schedule={"at": "2026-07-01T10:00", "every_days": 1, "until": "2026-06-01T00:00"},
        )
    assert bad.value.errors()[0]["loc"] == ("schedule", "until")
    assert "must not be before schedule.at (2026-07-01 10:00)" in str(bad.value)
    with pytest.raises(CampaignInvalid, match="already passed") as exc:
        _create(
            s,
            "R4",
            kind="recurring",
            schedule={"at": "2026-06-01T10:00", "every_days": 1, "until": "2026-06-30T23:59:59"},
        )  # T0 is 2026-07-01: no run is left
    assert exc.value.field == "schedule.until"


def test_cli_run_due_runs_campaigns_and_journeys_and_keeps_run_journeys(s: Session) -> None:
    _create(s, "CLI-ONCE", schedule={"at": "2026-07-01T10:00"})
    _create(
        s,
        "CLI-BDAY",
        kind="journey",
        trigger="birthday",
        audience={"rule": {"field": "orders_total", "op": "gte", "value": 0}},
    )
    runner = CliRunner()
    res = runner.invoke(app, ["campaign", "run-due", "--at", "2026-07-01T10:30"])
    assert res.exit_code == 0, (res.output, res.exception)
    out = json.loads(res.output)
    assert [r["campaign"] for r in out["campaigns"]] == ["CLI-ONCE"]
    assert [r["campaign"] for r in out["journeys"]] == ["CLI-BDAY"]
    again = json.loads(
        runner.invoke(app, ["campaign", "run-due", "--at", "2026-07-01T10:30"]).output
    )
    assert again["campaigns"] == []
    assert again["journeys"][0]["messages_queued"] == 0
    bad = runner.invoke(app, ["campaign", "run-due", "--at", "tomorrow"])
    assert bad.exit_code != 0
    assert "ISO 8601" in bad.output
    old = runner.invoke(app, ["campaign", "run-journeys", "--day", "2026-07-01"])
    assert old.exit_code == 0, (old.output, old.exception)
    assert [r["campaign"] for r in json.loads(old.output)] == ["CLI-BDAY"]
    paused = runner.invoke(app, ["campaign", "pause", "CLI-BDAY"])
    assert json.loads(paused.output)["status"] == "paused"


def test_the_next_run_is_the_due_one_or_the_one_after_the_last_launched() -> None:
    from omniretail.marketing.campaign.models import Campaign
    from omniretail.marketing.campaign.schedule import next_run

    weekly = Campaign(
        code="W", kind="recurring", status="scheduled",
        schedule={"at": "2026-07-01T10:00", "every_days": 7, "until": "2026-07-20T23:59"},
    )  # fmt: skip
    assert next_run(weekly, T0 - timedelta(days=1), set()) == (1, T0)
    assert next_run(weekly, T0 + timedelta(hours=1), set()) == (1, T0)  # due, not yet sent
    assert next_run(weekly, T0 + timedelta(hours=1), {1}) == (2, T0 + timedelta(days=7))
    # runs launched ahead of the clock (run-due --at): the one after the last
    assert next_run(weekly, T0 - timedelta(days=1), {1, 2}) == (3, T0 + timedelta(days=14))
    assert next_run(weekly, T0 + timedelta(days=15), {1, 2, 3}) is None  # run 4 is past until
    weekly.status = "paused"
    assert next_run(weekly, T0, set()) is None
    once = Campaign(code="O", kind="once", status="scheduled", schedule={"at": "2026-07-01T10:00"})
    assert next_run(once, T0 + timedelta(days=3), set()) == (1, T0)
    assert next_run(once, T0 + timedelta(days=3), {1}) is None
