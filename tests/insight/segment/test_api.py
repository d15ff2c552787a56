"""The segment, tag and KPI API over a published snapshot; store managers see only their stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniretail.platform import db
from omniretail.platform.auth import service as auth_service
from omniretail.platform.config import get_settings
from omniretail.platform.engine import publish_snapshot, work_path
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.conftest import load_world, run_insight

RULE = {
    "all": [
        {"field": "orders_total", "op": "gte", "value": 2},
        {"field": "consent_wechat", "op": "is_true"},
    ]
}


@pytest.fixture
def published(client, small_world) -> Path:
    settings = get_settings()
    settings.ensure_dirs()
    engine = DuckDBEngine(work_path(settings))
    load_world(engine, small_world)
    run_insight(engine, settings.home)
    engine.close()
    return publish_snapshot(settings)


def _store_manager(client, store_code: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from omniretail.omnichannel.store.models import City, Store
    from omniretail.web.app import create_app

    with db.session_scope() as s:
        city = City(code="420100", name="武汉市", province="湖北省")
        s.add(city)
        s.flush()
        store = Store(code=store_code, name="测试门店", store_type="street", city_id=city.id)
        s.add(store)
        s.flush()
        auth_service.create_user(
            s,
            username="manager",
            password="manager-pass-1",
            role="store_manager",
            store_ids=[store.id],
        )
    c = TestClient(create_app())
    r = c.post("/api/v1/auth/login", json={"username": "manager", "password": "manager-pass-1"})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def test_preview_and_breakdown(client, published) -> None:
    r = client.post("/api/v1/segments/preview", json={"rule": RULE})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] > 0
    assert sum(g["count"] for g in body["breakdown"]["tier"]) == body["count"]
    bad = client.post("/api/v1/segments/preview", json={"rule": {"all": [{"field": "x"}]}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "rule.all[0].field"
    # the console reads the problem in its language, naming the condition and its field
    rule = {"all": [{"field": "kol", "op": "is_true"}, {"field": "orders_total", "op": "gte"}]}
    for lang, text in (
        ("zh_CN", "第 2 个条件（累计订单数）：运算符「大于等于」需要填写取值"),
        ("en", "condition 2 (Orders (lifetime)): the operator “at least” needs a value"),
    ):
        client.cookies.set("omniretail_lang", lang)  # the console's language switch
        r = client.post("/api/v1/segments/preview", json={"rule": rule})
        assert r.status_code == 422
        assert r.json()["message"] == text
        assert r.json()["detail"] == "all[1].value: operator 'gte' needs a value"
    client.cookies.delete("omniretail_lang")


def test_store_manager_sees_only_their_stores(client, published, insight_duckdb) -> None:
    total = client.post("/api/v1/segments/preview", json={"rule": RULE}).json()["count"]
    manager = _store_manager(client, "S0003")
    body = manager.post("/api/v1/segments/preview", json={"rule": RULE}).json()
    expected = insight_duckdb.scalar(
        "SELECT count(*) FROM customer_tags WHERE orders_total >= 2 AND consent_wechat "
        "AND (preferred_store = 'S0003' OR home_store = 'S0003')"
    )
    assert body["count"] == expected
    assert 0 < body["count"] < total
    dormant = manager.get("/api/v1/segments/dormant").json()
    assert dormant
    assert all("S0003" in (d["preferred_store"], d["home_store"]) for d in dormant)
    kpis = manager.get("/api/v1/kpis", params={"grain": "month"}).json()
    all_kpis = client.get("/api/v1/kpis", params={"grain": "month"}).json()
    assert 0 < sum(k["orders"] for k in kpis) < sum(k["orders"] for k in all_kpis)


def test_saved_segment_lifecycle(client, published) -> None:
    r = client.post("/api/v1/segments", json={"name": "微信复购", "rule": RULE})
    assert r.status_code == 201, r.text
    seg = r.json()
    assert (
        client.post("/api/v1/segments", json={"name": "微信复购", "rule": RULE}).status_code == 409
    )
    assert [s["name"] for s in client.get("/api/v1/segments").json()] == ["微信复购"]
    csv = client.get(f"/api/v1/segments/{seg['id']}/export.csv")
    assert csv.status_code == 200
    lines = csv.text.strip().splitlines()
    preview = client.post("/api/v1/segments/preview", json={"rule": RULE, "breakdown": False})
    assert len(lines) - 1 == preview.json()["count"]
    assert client.get(f"/api/v1/segments/{seg['id']}/snapshots").json() == []
    assert client.delete(f"/api/v1/segments/{seg['id']}").status_code == 204
    assert client.get(f"/api/v1/segments/{seg['id']}").status_code == 404


def test_tags_and_kpis_endpoints(client, published) -> None:
    tags = client.get("/api/v1/tags").json()
    assert len(tags) >= 90
    assert all(t["coverage"] is not None for t in tags)
    one = client.get("/api/v1/tags/customers/C000000001").json()
    assert set(one["families"]) == {"basic", "consumption", "interest", "lifecycle", "social"}
    assert client.get("/api/v1/tags/customers/NOPE").status_code == 404
    assert client.get("/api/v1/kpis/summary", params={"marketing_cost": 1000}).json()["cac"] > 0
    assert client.get("/api/v1/kpis/cohorts").json()
    assert client.get("/api/v1/kpis/provinces").json()
    assert client.get("/api/v1/kpis/basket").json()
    assert client.get("/api/v1/kpis/basket/network").json()["edges"]
    assert client.get("/api/v1/kpis", params={"grain": "year"}).status_code == 422
