"""A second campaign on members of a running one: the pre-launch check names the running
campaign, the shared members and the limited coupon they share; the running campaign's holdout
is left out by default; excluding the overlap from the campaign page leaves out all of them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.platform import db
from tests.marketing.campaign.conftest import publish_with_template
from tests.web.conftest import csrf_from

HTML = {"accept": "text/html"}
RULE = {"rule": {"field": "orders_total", "op": "gte", "value": 1}}


def _create(client: TestClient, code: str, **extra: object) -> None:
    body = {
        "code": code,
        "name": f"活动 {code}",
        "goal": "repurchase",
        "audience": RULE,
        "offer_template": "ONE10",
        "channels": ["file"],
        "holdout_share": 0.2,
        **extra,
    }
    r = client.post("/api/v1/campaigns", json=body)
    assert r.status_code == 201, r.text


def _members(code: str) -> dict[str, str]:
    with db.session_scope() as s:
        rows = s.execute(
            select(CampaignMember.customer_id, CampaignMember.arm)
            .join(Campaign, Campaign.id == CampaignMember.campaign_id)
            .where(Campaign.code == code)
        )
        return {str(c): str(a) for c, a in rows}


def test_overlap_is_named_holdouts_protected_and_excluded_on_request(
    client: TestClient, snapshot_file: Path
) -> None:
    publish_with_template(snapshot_file, "PLAIN10")
    with db.session_scope() as s:
        coupon_service.create_template(
            s,
            data=TemplateCreate(
                code="ONE10",
                name="每人限一张",
                kind="spend_save",
                rules={"tiers": [{"spend": "50", "save": "10"}]},
                valid_days=14,
                face_value=Decimal("10"),
                per_customer_limit=1,
            ),
        )
    _create(client, "OV-A")
    assert client.post("/api/v1/campaigns/OV-A/launch").status_code == 200
    a = _members("OV-A")
    a_hold = {c for c, arm in a.items() if arm == "holdout"}
    assert a_hold

    _create(client, "OV-B")
    risks = client.post("/api/v1/campaigns/OV-B/risks").json()
    (ov,) = risks["overlaps"]
    assert ov["campaign"] == "OV-A"
    assert ov["members"] == len(a) - len(a_hold)  # its holdout is left out, not shared
    assert ov["holdout_protected"] == len(a_hold)
    assert (ov["same_coupon"], ov["coupon_limit"]) == (True, 1)
    assert risks["left_out"] == {"protected_holdout": len(a_hold)}
    assert risks["audience"] == len(a) - len(a_hold)
    assert any(n["message"].startswith("%(n)s members already got coupon") for n in risks["notes"])

    page = client.get("/campaigns/OV-B", headers=HTML).text
    assert 'data-overlap="OV-A"' in page
    assert "每人限领 1 张" in page
    token = csrf_from(page)
    r = client.post(
        "/campaigns/OV-B/exclude",
        data={"csrf_token": token, "campaign": "OV-A"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    risks = client.post("/api/v1/campaigns/OV-B/risks").json()
    assert risks["overlaps"][0]["excluded"] is True
    assert risks["left_out"] == {"excluded": len(a)}
    assert risks["audience"] == 0  # the same rule: everyone was in OV-A
    assert risks["ok"] is False

    # the default protects holdouts only: a third campaign launches on A's treatment members
    _create(client, "OV-C", offer_template=None)
    assert client.post("/api/v1/campaigns/OV-C/launch").status_code == 200
    c = _members("OV-C")
    assert c
    assert not set(c) & a_hold
    # and a campaign that opts out of the protection reaches them
    _create(client, "OV-D", offer_template=None, audience={**RULE, "include_other_holdouts": True})
    out = client.post("/api/v1/campaigns/OV-D/risks").json()
    assert out["left_out"] == {}
    assert out["audience"] == len(a)
