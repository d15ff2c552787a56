"""Changing a campaign (PATCH) and pausing, resuming, cancelling it, over the HTTP API:
partial updates while it has not been launched, 409 naming the state once it has, problem
details naming the field for bad input, an audit entry for every action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omniretail.platform import db
from omniretail.platform.auth.models import AuditLog
from omniretail.platform.messaging.models import Message
from tests.marketing.campaign.conftest import publish_with_template

BASE = "/api/v1/campaigns"


@pytest.fixture
def api(client: Any, snapshot_file: Path) -> Any:
    publish_with_template(snapshot_file, "BACK10")
    return client


def _create(api: Any, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "SPRING",
        "name": "春季回购",
        "goal": "repurchase",
        "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
        "offer_template": "BACK10",
        "channels": ["email", "webhook"],
        "budget": "100000",
    }
    body.update(kw)
    r = api.post(BASE, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _audit(action: str, code: str) -> list[AuditLog]:
    with db.session_scope() as s:
        rows = list(
            s.scalars(select(AuditLog).where(AuditLog.action == action, AuditLog.object_id == code))
        )
        s.expunge_all()
    return rows


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return dict(r.json())


def _fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])} | {problem.get("field")}


def test_patch_changes_only_what_is_sent_and_is_audited(api: Any) -> None:
    made = _create(api, theme="spring")
    assert made["status"] == "draft"
    r = api.patch(
        f"{BASE}/SPRING",
        json={
            "name": "春季回购（加码）",
            "channels": ["sms", "email", "sms"],
            "budget": "5000",
            "variants": [{"name": "A"}, {"name": "B", "weight": 2}],
            "schedule": {"at": "2026-07-01T10:00"},
        },
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["name"] == "春季回购（加码）"
    assert got["channels"] == ["sms", "email"]  # de-duplicated, order kept
    assert got["budget"] == "5000.00" or float(got["budget"]) == 5000
    assert [v["name"] for v in got["variants"]] == ["A", "B"]
    assert got["theme"] == "spring"  # not sent, not changed
    assert got["goal"] == "repurchase"
    # a time without offset is Shanghai time; having a schedule makes it "scheduled"
    assert got["schedule"]["at"] == "2026-07-01T10:00:00+08:00"
    assert got["status"] == "scheduled"
    # null clears an optional field; clearing the schedule makes it a draft again
    r = api.patch(f"{BASE}/SPRING", json={"theme": None, "schedule": None})
    assert r.status_code == 200, r.text
    assert r.json()["theme"] is None
    assert r.json()["status"] == "draft"
    entries = _audit("campaign.update", "SPRING")
    assert len(entries) == 2
    first = entries[0].detail or {}
    assert first["before"]["name"] == "春季回购"
    assert first["after"]["name"] == "春季回购（加码）"
    assert first["before"]["budget"] == "100000.00" or float(first["before"]["budget"]) == 100000
    assert set(first["after"]) == {"name", "channels", "budget", "variants", "schedule"}
    # an empty change changes nothing and is not audited
    assert api.patch(f"{BASE}/SPRING", json={}).status_code == 200
    assert len(_audit("campaign.update", "SPRING")) == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"channels": ["pigeon"]}, 422, "channels"),
        ({"channels": []}, 422, "channels"),
        ({"goal": "world_peace"}, 422, "goal"),
        ({"holdout_share": 0.95}, 422, "holdout_share"),
        ({"budget": "-1"}, 422, "budget"),
        ({"code": "RENAMED"}, 422, "code"),  # the code is the campaign's identity
        ({"schedule": {"at": "next tuesday"}}, 422, "schedule.at"),
        ({"schedule": {"at": "2026-07-01T10:00", "every_days": 0}}, 422, "schedule.every_days"),
        ({"schedule": {"at": "2026-07-01T10:00", "when": "soon"}}, 422, "schedule.when"),
        ({"name": None}, 422, "name"),
        ({"offer_template": "NOPE"}, 422, "offer_template"),
        ({"variants": [{"name": "A", "offer_template": "NOPE"}]}, 422, "offer_template"),
        ({"audience": {"everyone": True}}, 422, "audience"),
        ({"kind": "journey"}, 422, "trigger"),
        ({"kind": "recurring", "schedule": {"at": "2026-07-01T10:00"}}, 422, "schedule.every_days"),
        ({"schedule": {"at": "2026-07-01T10:00", "every_days": 7}}, 422, "schedule.every_days"),
    ],
)
def test_patch_bad_input_names_the_field_and_changes_nothing(
    api: Any, body: dict[str, Any], status: int, field: str
) -> None:
    _create(api)
    problem = _problem(api.patch(f"{BASE}/SPRING", json=body), status)
    assert field in _fields(problem), problem
    after = api.get(f"{BASE}/SPRING").json()
    assert after["name"] == "春季回购"
    assert after["channels"] == ["email", "webhook"]
    assert after["offer_template"] == "BACK10"
    assert _audit("campaign.update", "SPRING") == []


def test_patch_unknown_campaign_is_404(api: Any) -> None:
    problem = _problem(api.patch(f"{BASE}/NOPE", json={"name": "x"}), 404)
    assert "code" in _fields(problem)


def test_a_launched_campaign_cannot_be_changed(api: Any) -> None:
    _create(api)
    r = api.post(f"{BASE}/SPRING/launch")
    assert r.status_code == 200, r.text
    problem = _problem(api.patch(f"{BASE}/SPRING", json={"name": "too late"}), 409)
    assert "status" in _fields(problem)
    assert problem["status"] == 409
    assert problem["state"] == "running"
    assert "running" in problem["detail"]
    assert api.get(f"{BASE}/SPRING").json()["name"] == "春季回购"


def test_pause_resume_cancel_follow_the_lifecycle(api: Any) -> None:
    _create(api, kind="recurring", schedule={"at": "2026-07-01T10:00", "every_days": 7})
    assert api.get(f"{BASE}/SPRING").json()["status"] == "scheduled"
    r = api.post(f"{BASE}/SPRING/pause")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paused"
    # a paused campaign is not launched, but it can still be changed
    problem = _problem(api.post(f"{BASE}/SPRING/launch"), 409)
    assert "paused" in problem["detail"]
    assert api.patch(f"{BASE}/SPRING", json={"priority": 80}).status_code == 200
    assert api.get(f"{BASE}/SPRING").json()["status"] == "paused"  # a change does not resume
    assert "status" in _fields(_problem(api.post(f"{BASE}/SPRING/pause"), 409))
    r = api.post(f"{BASE}/SPRING/resume")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "scheduled"
    assert "only a paused campaign" in _problem(api.post(f"{BASE}/SPRING/resume"), 409)["detail"]
    r = api.post(f"{BASE}/SPRING/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    for verb in ("cancel", "pause", "resume", "launch"):
        problem = _problem(api.post(f"{BASE}/SPRING/{verb}"), 409)
        assert "cancelled" in problem["detail"], verb
    assert "cancelled" in _problem(api.patch(f"{BASE}/SPRING", json={"name": "x"}), 409)["detail"]
    for action in ("campaign.pause", "campaign.resume", "campaign.cancel"):
        assert len(_audit(action, "SPRING")) == 1, action
    assert _audit("campaign.cancel", "SPRING")[0].detail == {
        "was": "scheduled",
        "messages_withdrawn": 0,
    }


def test_cancel_withdraws_queued_messages_and_a_launched_one_off_cannot_pause(api: Any) -> None:
    _create(api)
    launched = api.post(f"{BASE}/SPRING/launch").json()
    assert launched["messages_queued"] > 0
    problem = _problem(api.post(f"{BASE}/SPRING/pause"), 409)
    assert "already been launched" in problem["detail"]
    r = api.post(f"{BASE}/SPRING/cancel")
    assert r.status_code == 200, r.text
    with db.session_scope() as s:
        statuses = set(s.scalars(select(Message.status)))
        errors = set(s.scalars(select(Message.error)))
    assert statuses == {"suppressed"}
    assert errors == {"campaign SPRING cancelled"}
    detail = _audit("campaign.cancel", "SPRING")[0].detail or {}
    assert detail["messages_withdrawn"] == launched["messages_queued"]


def test_state_changes_need_write_access(api: Any) -> None:
    _create(api)
    api.post("/api/v1/auth/logout")
    api.cookies.clear()
    assert api.patch(f"{BASE}/SPRING", json={"name": "x"}).status_code == 401
    assert api.post(f"{BASE}/SPRING/pause").status_code == 401
