"""The campaign page's actions (no browser): check, launch, pause, resume, cancel, edit and
delete, as console form posts with the CSRF token; refusals in Chinese, nothing half-done."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.platform import db
from omniretail.platform.auth.models import AuditLog
from tests.marketing.campaign.conftest import publish_with_template
from tests.web.conftest import csrf_from

HTML = {"accept": "text/html"}


def _draft(client: TestClient, code: str, **extra: object) -> None:
    body = {
        "code": code,
        "name": f"草稿 {code}",
        "goal": "repurchase",
        "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
        "offer_template": "ACT10",
        "channels": ["sms", "email", "file"],
        "holdout_share": 0.2,
        **extra,
    }
    r = client.post("/api/v1/campaigns", json=body)
    assert r.status_code == 201, r.text
    # 创建并检查 in the wizard: the draft is checked and left unlaunched
    assert client.post(f"/api/v1/campaigns/{code}/risks").status_code == 200


def _post(client: TestClient, code: str, action: str) -> object:
    token = csrf_from(client.get(f"/campaigns/{code}", headers=HTML).text)
    return client.post(
        f"/campaigns/{code}/{action}",
        data={"csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )


def _actions(page: str) -> set[str]:
    return {
        a
        for a in ("check", "launch", "pause", "resume", "cancel", "edit", "delete")
        if f'data-testid="action-{a}"' in page
    }


def _audit(code: str) -> list[str]:
    with db.session_scope() as s:
        return list(
            s.scalars(
                select(AuditLog.action).where(AuditLog.object_id == code).order_by(AuditLog.id)
            )
        )


def test_a_checked_draft_is_launched_paused_refused_and_cancelled_from_its_page(
    client: TestClient, snapshot_file: Path
) -> None:
    publish_with_template(snapshot_file, "ACT10")
    _draft(client, "ACT-1")
    page = client.get("/campaigns/ACT-1", headers=HTML).text
    assert _actions(page) == {"check", "launch", "edit", "delete"}
    assert "确定现在启动活动" in page  # the confirmation, in Chinese
    assert 'data-testid="checks"' in page

    forged = client.post(  # a forged form (without the header the client's scripts send)
        "/campaigns/ACT-1/launch",
        data={"csrf_token": "forged"},
        headers={**HTML, "X-CSRF-Token": ""},
    )
    assert forged.status_code == 403
    with db.session_scope() as s:
        assert s.scalar(select(Campaign.status).where(Campaign.code == "ACT-1")) == "draft"

    r = _post(client, "ACT-1", "launch")
    assert r.status_code == 303, r.text
    done = client.get(r.headers["location"], headers=HTML).text
    assert "已启动" in done
    assert 'data-testid="action-done"' in done
    with db.session_scope() as s:
        c = s.scalar(select(Campaign).where(Campaign.code == "ACT-1"))
        assert c is not None
        assert c.status == "running"
        assert c.launched_at is not None
        members = s.scalar(
            select(func.count())
            .select_from(CampaignMember)
            .where(CampaignMember.campaign_id == c.id)
        )
        assert members
        assert members > 0
    assert _actions(done) == {"cancel"}  # a one-off already sent: no pause, no edit

    refused = _post(client, "ACT-1", "pause")
    assert refused.status_code == 409
    assert "不能暂停" in refused.text
    assert 'data-testid="action-error"' in refused.text
    with db.session_scope() as s:
        assert s.scalar(select(Campaign.status).where(Campaign.code == "ACT-1")) == "running"
    assert _post(client, "ACT-1", "delete").status_code == 409  # launched: history kept

    r = _post(client, "ACT-1", "cancel")
    assert r.status_code == 303
    assert "已取消" in client.get(r.headers["location"], headers=HTML).text
    assert _audit("ACT-1") == ["campaign.create", "campaign.launch", "campaign.cancel"]


def test_a_scheduled_campaign_pauses_resumes_and_a_draft_is_edited_and_deleted(
    client: TestClient, snapshot_file: Path
) -> None:
    publish_with_template(snapshot_file, "ACT10")
    _draft(
        client,
        "ACT-2",
        kind="recurring",
        schedule={"at": "2099-01-01T10:00", "every_days": 7},
    )
    assert _actions(client.get("/campaigns/ACT-2", headers=HTML).text) >= {"pause", "edit"}
    assert _post(client, "ACT-2", "pause").status_code == 303
    page = client.get("/campaigns/ACT-2?done=pause", headers=HTML).text
    assert "已暂停" in page
    assert "resume" in _actions(page)
    assert _post(client, "ACT-2", "resume").status_code == 303
    with db.session_scope() as s:
        assert s.scalar(select(Campaign.status).where(Campaign.code == "ACT-2")) == "scheduled"

    edit = client.get("/campaigns/ACT-2/edit", headers=HTML)
    assert edit.status_code == 200
    assert "编辑活动" in edit.text
    assert '"code": "ACT-2"' in edit.text
    r = client.patch("/api/v1/campaigns/ACT-2", json={"name": "改过的草稿"})  # the wizard's save
    assert r.status_code == 200, r.text

    r = _post(client, "ACT-2", "delete")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/campaigns")
    assert client.get("/campaigns/ACT-2", headers=HTML).status_code == 404
    assert _audit("ACT-2")[-2:] == ["campaign.update", "campaign.delete"]
    missing = client.delete("/api/v1/campaigns/ACT-2")
    assert missing.status_code == 404
