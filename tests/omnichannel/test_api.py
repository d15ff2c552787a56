"""``/api/v1/orders`` and the master-data reads: 201 then 200 on a replay, a 409 problem naming
the field, store-scoped callers see only their stores' orders."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from omniretail.platform.auth import service as auth_service
from omniretail.platform.db import session_scope
from tests.omnichannel.factories import retail_world

BODY: dict[str, Any] = {
    "channel_code": "POS",
    "external_id": "S1-000001",
    "origin": "pos",
    "store_code": "S1",
    "lines": [{"sku": "A1", "quantity": 1}],
    "pricing": "list_price",
    "tenders": [{"method": "wechat", "amount_fen": 5990, "reference": "wx1"}],
}


def test_orders_api(client: TestClient) -> None:
    with session_scope() as s:
        retail_world(s)
    r = client.post("/api/v1/orders", json=BODY)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["channel_code"], order["total_fen"]) == ("paid", "pos", 5990)
    r = client.post(
        "/api/v1/orders", json={**BODY, "channel_code": "pos", "external_id": " s1-000001"}
    )
    assert r.status_code == 200
    assert r.json()["id"] == order["id"]
    r = client.post("/api/v1/orders", json={**BODY, "lines": [{"sku": "A1", "quantity": 2}]})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "lines[0].quantity"
    r = client.post("/api/v1/orders", json={**BODY, "external_id": "X", "channel_code": "live"})
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "channel_code"

    oid = order["id"]
    assert client.post(f"/api/v1/orders/{oid}/fulfil").json()["status"] == "fulfilled"
    r = client.post(f"/api/v1/orders/{oid}/cancel", json={})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "status"
    r = client.post(
        f"/api/v1/orders/{oid}/returns",
        json={"lines": [{"line_no": 1, "quantity": 1}], "idempotency_key": "r1"},
    )
    assert r.json()["status"] == "returned"
    hist = client.get(f"/api/v1/orders/{oid}/history").json()
    assert [h["to_status"] for h in hist] == ["paid", "fulfilled", "returned"]
    assert [o["id"] for o in client.get("/api/v1/orders?store_code=S1").json()] == [oid]

    assert client.get("/api/v1/stores/S1").json()["region"] == "华中"
    near = client.get("/api/v1/stores/near?lat=30.58&lng=114.29&radius_km=5").json()
    assert [n["store"]["code"] for n in near] == ["S1"]
    assert client.get("/api/v1/products/A1").json()["price"] == "59.90"
    assert client.get("/api/v1/products/ZZ").json()["errors"][0]["field"] == "sku"
    assert {c["code"] for c in client.get("/api/v1/channels").json()} == {"pos", "miniprogram"}
    assert client.get("/api/v1/staff/E1").json()["store_code"] == "S1"


def test_a_store_manager_sees_only_its_stores_orders(client: TestClient) -> None:
    with session_scope() as s:
        retail_world(s)
    for store, ext in (("S1", "A"), ("S2", "B")):
        r = client.post("/api/v1/orders", json={**BODY, "store_code": store, "external_id": ext})
        assert r.status_code == 201
    other = client.get("/api/v1/orders?store_code=S2").json()[0]["id"]
    with session_scope() as s:
        from omniretail.omnichannel.store import service as store_service

        sid = store_service.store_ids_by_code(s)["S1"]
        auth_service.create_user(
            s, username="mgr", password="mgr-pass-1", role="store_manager", store_ids=[sid]
        )
    client.post("/api/v1/auth/logout")
    r = client.post("/api/v1/auth/login", json={"username": "mgr", "password": "mgr-pass-1"})
    assert r.status_code == 200
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert [o["store_code"] for o in client.get("/api/v1/orders").json()] == ["S1"]
    assert client.get(f"/api/v1/orders/{other}").status_code == 403
    r = client.post("/api/v1/orders", json={**BODY, "store_code": "S2", "external_id": "C"})
    assert r.status_code == 403
    assert [s["staff_id"] for s in client.get("/api/v1/staff").json()] == ["E1"]
