"""Store scope on the campaign list: the list API and the console's 营销活动 page counted every
store's members, sends and coupons for everyone, and the API (and the report page) handed store
users the pre-launch check's chain-wide audience. A store user now sees the campaign from their
stores, by the report's rule (members whose store is theirs, those members' messages and
coupons); the pre-launch check stays with chain-wide users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from omniretail.platform.db import session_scope

# store → (treatment members, holdout members, of the treatment: sent, failed, coupons, redeemed)
PLAN = {"S1": (4, 2, 2, 1, 2, 1), "S2": (7, 4, 4, 1, 5, 3)}


def _world() -> dict[str, int]:
    from omniretail.marketing.campaign.models import Campaign, CampaignMember
    from omniretail.marketing.coupon.models import Coupon, CouponTemplate
    from omniretail.omnichannel.store.models import Store
    from omniretail.platform.auth import service
    from omniretail.platform.messaging.models import Message

    ids: dict[str, int] = {}
    now = datetime.now(UTC)
    with session_scope() as s:
        for code in PLAN:
            st = Store(code=code, name=f"门店{code}", kind="direct", store_type="street")
            s.add(st)
            s.flush()
            ids[code] = st.id
        template = CouponTemplate(code="T10", name="满50减10", kind="spend_save",
                                  rules={"tiers": [{"spend": "50", "save": "10"}]},
                                  valid_days=14, face_value=Decimal("10"))  # fmt: skip
        s.add(template)
        s.flush()
        c = Campaign(code="SCOPED", name="门店范围", goal="repurchase", kind="once",
                     status="running", window_days=7, audience={"rule": {}},
                     content={"title": "t"}, channels=["sms"], offer_template="T10",
                     launched_at=now - timedelta(days=1),
                     risks={"audience": 999, "treatment": 900, "holdout": 99, "reachable": 800,
                            "ok": True, "warnings": [], "problems": [], "notes": [],
                            "overlaps": []})  # fmt: skip
        s.add(c)
        s.flush()
        for store, (treat, hold, sent, failed, coupons, redeemed) in PLAN.items():
            for i in range(treat + hold):
                cid = f"{store}-{i:03d}"
                arm = "treatment" if i < treat else "holdout"
                s.add(CampaignMember(campaign_id=c.id, customer_id=cid, arm=arm,
                                     store_code=store, channel="sms", run=1))  # fmt: skip
                if arm != "treatment":
                    continue
                status = "sent" if i < sent else "failed" if i < sent + failed else "queued"
                s.add(Message(key=f"scoped:{cid}", campaign_id=c.id, customer_id=cid,
                              channel="sms", origin_kind="campaign", origin_ref="SCOPED:1",
                              purpose="marketing", recipient="+8613800000000", payload={},
                              status=status, due_at=now + timedelta(hours=20)))  # fmt: skip
                if i < coupons:
                    s.add(Coupon(code=f"CP{store}{i:03d}", template_id=template.id,
                                 customer_id=cid, campaign_id="SCOPED", source="campaign",
                                 status="redeemed" if i < redeemed else "issued",
                                 valid_from=now - timedelta(days=1),
                                 valid_until=now + timedelta(days=13)))  # fmt: skip
        for role in ("store_manager", "clerk", "analyst"):
            service.create_user(s, username=f"{role}_s1", password=f"{role}-pass-S1",
                                role=role, store_ids=[ids["S1"]])  # fmt: skip
        service.create_user(s, username="manager_s2", password="manager-pass-S2",
                            role="store_manager", store_ids=[ids["S2"]])  # fmt: skip
    return ids


def _login(app: Any, username: str, password: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def _expected(*stores: str) -> dict[str, int]:
    rows = [PLAN[s] for s in stores]
    return {
        "treatment": sum(r[0] for r in rows), "holdout": sum(r[1] for r in rows),
        "sent": sum(r[2] for r in rows), "failed": sum(r[3] for r in rows),
        "coupons": sum(r[4] for r in rows), "redeemed": sum(r[5] for r in rows),
    }  # fmt: skip


def test_campaign_list_counts_only_the_callers_stores(client: TestClient) -> None:
    _world()
    callers = {
        "admin": (client, ("S1", "S2")),
        **{
            role: (_login(client.app, f"{role}_s1", f"{role}-pass-S1"), ("S1",))
            for role in ("store_manager", "clerk", "analyst")
        },
        "manager_s2": (_login(client.app, "manager_s2", "manager-pass-S2"), ("S2",)),
    }
    for who, (c, stores) in callers.items():
        r = c.get("/api/v1/campaigns")
        assert r.status_code == 200, (who, r.text[:200])
        (row,) = r.json()
        assert row["figures"] == _expected(*stores), who
        chain = stores == ("S1", "S2")
        # the pre-launch check counts the chain's audience: chain-wide callers only
        assert (row["risks"] is not None) == chain, who
        one = c.get("/api/v1/campaigns/SCOPED").json()
        assert (one["risks"] is not None) == chain, who

        page = c.get("/campaigns", headers={"accept": "text/html"})
        assert page.status_code == 200, who
        cells = _list_cells(page.text)
        e = _expected(*stores)
        assert cells[:4] == [e["treatment"], e["holdout"], e["sent"], e["coupons"]], who
        report = c.get("/campaigns/SCOPED", headers={"accept": "text/html"})
        assert report.status_code == 200, who
        assert ('data-testid="checks"' in report.text) == chain, who
        waiting = sum(PLAN[s][0] - PLAN[s][2] - PLAN[s][3] for s in stores)
        assert f"{waiting} messages wait" in report.text or f"{waiting} 条" in report.text, who


def _list_cells(html: str) -> list[int]:
    """The numeric cells of the campaign's row on the list page (treatment, holdout, sent,
    coupons issued), as numbers."""
    import re

    row = html[html.index('data-campaign="SCOPED"') :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num">(.*?)</td>', row, flags=re.S)
    return [int(re.sub(r"<.*", "", cell, flags=re.S).strip().replace(",", "")) for cell in cells]
