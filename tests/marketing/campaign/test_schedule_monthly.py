"""Monthly recurring campaigns: ``schedule.day_of_month`` (1–31) runs on that day of every
month at the first run's local time of day; a month without that day runs on its last day."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.marketing.campaign import service
from omniretail.marketing.campaign.errors import CampaignInvalid
from omniretail.marketing.campaign.models import Campaign
from omniretail.marketing.campaign.schedule import due_run, finished, next_run, run_time
from omniretail.marketing.campaign.schemas import CampaignCreate
from tests.marketing.campaign.test_schedule import RULE, s, tick  # noqa: F401

SH = ZoneInfo("Asia/Shanghai")


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def _monthly(day: int, at: str = "2026-01-15T10:00", **kw: object) -> Campaign:
    return Campaign(
        code="M",
        kind="recurring",
        status="scheduled",
        schedule={"at": at, "day_of_month": day, **kw},
    )


def test_day_31_runs_on_the_last_day_of_shorter_months() -> None:
    sched = _monthly(31).schedule
    assert sched is not None
    runs = [run_time(sched, n) for n in range(1, 8)]
    assert runs == [
        _local(2026, 1, 31, 10),
        _local(2026, 2, 28, 10),
        _local(2026, 3, 31, 10),
        _local(2026, 4, 30, 10),
        _local(2026, 5, 31, 10),
        _local(2026, 6, 30, 10),
        _local(2026, 7, 31, 10),
    ]
    leap = {"at": "2028-01-31T08:30", "day_of_month": 30}
    assert run_time(leap, 1) == _local(2028, 2, 29, 8, 30)  # 30 January is before at
    assert run_time(leap, 2) == _local(2028, 3, 30, 8, 30)  # back on the 30th


def test_the_first_run_is_the_first_such_day_on_or_after_at() -> None:
    assert run_time(_monthly(15).schedule or {}, 1) == _local(2026, 1, 15, 10)  # at itself
    assert run_time(_monthly(10).schedule or {}, 1) == _local(2026, 2, 10, 10)
    late = {"at": "2026-01-15T10:00", "day_of_month": 15}
    assert run_time(late, 13) == _local(2027, 1, 15, 10)


def test_due_next_and_finished_follow_the_calendar() -> None:
    c = _monthly(31, until="2026-04-30T23:59")
    assert due_run(c, _local(2026, 1, 31, 9, 59)) is None  # at has passed, run 1 not yet
    assert due_run(c, _local(2026, 1, 31, 10)) == (1, _local(2026, 1, 31, 10))
    assert due_run(c, _local(2026, 3, 1, 0)) == (2, _local(2026, 2, 28, 10))
    assert next_run(c, _local(2026, 3, 1, 0), {1, 2}) == (3, _local(2026, 3, 31, 10))
    assert not finished(c, _local(2026, 4, 1))
    assert due_run(c, _local(2026, 9, 1)) == (4, _local(2026, 4, 30, 10))  # until
    assert finished(c, _local(2026, 5, 1))
    assert next_run(c, _local(2026, 5, 1), {1, 2, 3, 4}) is None


def test_the_schema_takes_one_repetition() -> None:
    base = {
        "code": "MONTHLY-X",
        "name": "X",
        "channels": ["webhook"],
        "goal": "repurchase",
        "audience": RULE,
        "kind": "recurring",
    }
    with pytest.raises(ValidationError) as bad:
        CampaignCreate.model_validate(
            {**base, "schedule": {"at": "2026-07-01T10:00", "every_days": 7, "day_of_month": 1}}
        )
    assert bad.value.errors()[0]["loc"] == ("schedule", "day_of_month")
    for day in (0, 32):
        with pytest.raises(ValidationError) as bad:
            CampaignCreate.model_validate(
                {**base, "schedule": {"at": "2026-07-01T10:00", "day_of_month": day}}
            )
        assert bad.value.errors()[0]["loc"] == ("schedule", "day_of_month")


def test_a_monthly_campaign_runs_through_the_scheduler_and_cli(s, tmp_path: Path) -> None:  # noqa: F811
    spec = tmp_path / "monthly.yaml"
    spec.write_text(
        "code: MONTHLY\nname: 每月会员日\ngoal: repurchase\nkind: recurring\n"
        "audience: {rule: {field: orders_total, op: gte, value: 1}}\n"
        "offer_template: BACK10\nchannels: [webhook]\nholdout_share: 0.2\n"
        "schedule: {at: '2026-07-01T10:00', day_of_month: 31}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    res = runner.invoke(app, ["campaign", "create", "--file", str(spec)])
    assert res.exit_code == 0, (res.output, res.exception)
    assert json.loads(res.output)["schedule"] == {
        "at": "2026-07-01T10:00:00+08:00",
        "day_of_month": 31,
    }
    res = runner.invoke(app, ["campaign", "run-due", "--at", "2026-07-31T10:05:00+08:00"])
    assert res.exit_code == 0, (res.output, res.exception)
    assert [(r["campaign"], r["run"]) for r in json.loads(res.output)["campaigns"]] == [
        ("MONTHLY", 1)
    ]
    out = tick(_local(2026, 8, 31, 10, 5))
    assert [(r["campaign"], r["run"]) for r in out] == [("MONTHLY", 2)]
    assert tick(_local(2026, 9, 29, 10, 5)) == []
    out = tick(_local(2026, 9, 30, 10, 5))  # September has no 31st
    assert [(r["campaign"], r["run"]) for r in out] == [("MONTHLY", 3)]
    assert out[0]["scheduled_for"] == "2026-09-30T10:00:00+08:00"


def test_a_one_off_campaign_refuses_day_of_month(s) -> None:  # noqa: F811
    data = {
        "code": "ONCE-M",
        "name": "x",
        "goal": "repurchase",
        "audience": RULE,
        "channels": ["webhook"],
        "schedule": {"at": "2026-07-01T10:00", "day_of_month": 5},
    }
    with pytest.raises(CampaignInvalid) as exc:
        service.create_campaign(s, data=CampaignCreate.model_validate(data))
    assert exc.value.field == "schedule.day_of_month"
