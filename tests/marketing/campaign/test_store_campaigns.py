"""A store user's campaigns reach their stores only. A store manager (write permission) could
create and launch a campaign whose audience was the whole chain, and check (and so count) any
campaign's audience. Now a store-limited caller's campaign carries their stores
(``audience.store_codes``, applied at every launch and run), and they may change, check, launch
or stop only such a campaign; chain-wide campaigns are refused to them (403, in Chinese on the
console)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from omniretail.platform import db, migrate
from omniretail.platform.engine.snapshot import published_engine
from tests.marketing.campaign.conftest import publish_with_template

RULE = {"field": "orders_total", "op": "gte", "value": 1}


@pytest.fixture
def app_and_stores(home: Path, snapshot_file: Path) -> tuple[Any, list[str]]:
    from omniretail.omnichannel.store.models import Store
    from omniretail.platform.auth import service
    from omniretail.web.app import create_app

    migrate.upgrade()
    publish_with_template(snapshot_file, "BACK10")
    eng = published_engine()
    try:
        codes = [
            str(r["preferred_store"])
            for r in eng.fetch_rows(
                "SELECT preferred_store, count(*) AS n FROM customer_tags "
                "WHERE preferred_store IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT 2"
            )
        ]
    finally:
        eng.close()
    assert len(codes) == 2
    with db.session_scope() as s:
        ids = {}
        for code in codes:
            st = Store(code=code, name=f"门店{code}", kind="direct", store_type="street")
            s.add(st)
            s.flush()
            ids[code] = st.id
        service.create_user(s, username="admin", password="admin-pass-1", role="admin")
        service.create_user(s, username="mgr", password="manager-pass-1",
                            role="store_manager", store_ids=[ids[codes[0]]])  # fmt: skip
    return create_app(), codes


def _login(app: Any, username: str, password: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def _campaign(code: str, **audience: Any) -> dict[str, Any]:
    return {
        "code": code, "name": f"活动{code}", "goal": "repurchase",
        "audience": {"rule": RULE, **audience}, "channels": ["sms"],
        "content": {"title": "好久不见", "body": "回来看看"}, "holdout_share": 0.2,
    }  # fmt: skip


def _audience_size(stores: list[str] | None) -> int:
    from omniretail.marketing.campaign.service import member_profiles

    eng = published_engine()
    try:
        with db.session_scope() as s:
            audience: dict[str, Any] = {"rule": RULE}
            if stores is not None:
                audience["store_codes"] = stores
            return len(member_profiles(eng, s, audience, None))
    finally:
        eng.close()


def test_a_store_users_campaign_reaches_their_stores_only(
    app_and_stores: tuple[Any, list[str]],
) -> None:
    app, (mine, other) = app_and_stores
    admin = _login(app, "admin", "admin-pass-1")
    mgr = _login(app, "mgr", "manager-pass-1")
    whole, own = _audience_size(None), _audience_size([mine])
    assert 0 < own < whole  # the store limit narrows the chain's audience

    # created by the store manager (even asking for another store): limited to their store
    r = mgr.post("/api/v1/campaigns", json=_campaign("MINE", store_codes=[mine, other]))
    assert r.status_code == 201, r.text
    assert r.json()["audience"]["store_codes"] == [mine]
    r = mgr.patch("/api/v1/campaigns/MINE", json={"audience": {"rule": RULE}})
    assert r.status_code == 200, r.text
    assert r.json()["audience"]["store_codes"] == [mine]  # a change cannot widen it
    r = mgr.post("/api/v1/campaigns/MINE/risks")
    assert r.status_code == 200, r.text
    assert r.json()["audience"] == own  # their store's customers, not the chain's

    # a chain-wide campaign: the store manager may read it, not check, change, launch or stop it
    assert admin.post("/api/v1/campaigns", json=_campaign("CHAIN")).status_code == 201
    assert mgr.get("/api/v1/campaigns/CHAIN").status_code == 200
    for method, path, body in (
        ("post", "/api/v1/campaigns/CHAIN/risks", None),
        ("post", "/api/v1/campaigns/CHAIN/launch", None),
        ("post", "/api/v1/campaigns/CHAIN/pause", None),
        ("post", "/api/v1/campaigns/CHAIN/cancel", None),
        ("patch", "/api/v1/campaigns/CHAIN", {"name": "改名"}),
        ("delete", "/api/v1/campaigns/CHAIN", None),
    ):
        r = mgr.request(method.upper(), path, json=body)
        assert r.status_code == 403, (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
    page = mgr.post(
        "/campaigns/CHAIN/launch",
        data={"csrf_token": mgr.headers["X-CSRF-Token"]},
        headers={"accept": "text/html"},
    )
    assert page.status_code == 403
    assert "只有总部（全连锁）用户可以修改、启动或停止它" in page.text
    with db.session_scope() as s:
        from omniretail.marketing.campaign.models import Campaign

        chain = s.query(Campaign).filter_by(code="CHAIN").one()
        assert (chain.status, chain.name, chain.launched_at) == ("draft", "活动CHAIN", None)
    # the chain's user still checks the whole audience
    r = admin.post("/api/v1/campaigns/CHAIN/risks")
    assert r.status_code == 200, r.text
    assert r.json()["audience"] == whole
