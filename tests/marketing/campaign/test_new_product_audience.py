"""新品找人 as a campaign audience: the model's customer list saved as a segment (a fixed
``customer_list`` rule) is counted on the snapshot, picked in the campaign wizard and launched
with a holdout drawn from exactly those customers."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.platform import db
from omniretail.platform.engine.snapshot import run_on_published
from tests.marketing.campaign.conftest import publish_with_template

HTML = {"accept": "text/html"}


def test_a_new_product_list_saved_as_a_segment_is_a_campaign_audience(
    client: TestClient, snapshot_file: Path
) -> None:
    publish_with_template(snapshot_file, "NEW10")
    known: list[str] = run_on_published(
        lambda e: [
            str(r["customer_id"])
            for r in e.fetch_rows("SELECT customer_id FROM customer_tags ORDER BY customer_id")
        ]
    )
    listed = known[:120:3]  # 40 customers, as the new-product form would list them
    rule = {"customer_list": {"label": "新品找人：藤椒鸭脖", "ids": [*listed, "C404404404"]}}
    r = client.post(
        "/api/v1/segments", json={"name": "新品找人：藤椒鸭脖", "rule": rule, "refresh": "manual"}
    )
    assert r.status_code == 201, r.text
    seg = r.json()["id"]
    count = client.post("/api/v1/segments/preview", json={"rule": rule, "breakdown": False})
    assert count.json()["count"] == len(listed)

    bad = client.post(
        "/api/v1/segments",
        json={"name": "坏名单", "rule": {"customer_list": {"ids": ["C1", "C2'--"]}}},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "rule.customer_list.ids[1]"

    # the wizard offers it, preselected when 新品找人's "create a campaign" link names it
    page = client.get(f"/campaigns/new?segment={seg}", headers=HTML).text
    assert f'<option value="{seg}">新品找人：藤椒鸭脖' in page
    assert "ASKED_SEGMENT" in page

    body = {
        "code": "NEWP",
        "name": "藤椒鸭脖上新",
        "goal": "repurchase",
        "audience": {"segment_id": seg},
        "offer_template": "NEW10",
        "channels": ["file"],
        "holdout_share": 0.25,
    }
    assert client.post("/api/v1/campaigns", json=body).status_code == 201
    r = client.post("/api/v1/campaigns/NEWP/launch")
    assert r.status_code == 200, r.text
    with db.session_scope() as s:
        arms = dict(
            s.execute(
                select(CampaignMember.customer_id, CampaignMember.arm)
                .join(Campaign, Campaign.id == CampaignMember.campaign_id)
                .where(Campaign.code == "NEWP")
            ).all()
        )
    assert sorted(arms) == listed
    holdout = [c for c, arm in arms.items() if arm == "holdout"]
    assert 0 < len(holdout) < len(listed)
