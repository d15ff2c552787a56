"""The fulfilment and stock API: problem+json errors naming the problem, a wrong code kept
against the terminal, the whole pickup through HTTP."""

from __future__ import annotations

from typing import Any

from omniretail.platform import db
from tests.omnichannel.inventory.factories import world


def test_pickup_over_the_api(client: Any) -> None:
    with db.session_scope() as s:
        world(s)
    r = client.post(
        "/api/v1/fulfilments",
        json={
            "order_ref": "WX77",
            "channel": "miniprogram",
            "customer_id": "C1",
            "mode": "pickup",
            "pickup_store": "S1",
            "lines": [{"line_ref": "l1", "sku": "SKU1", "quantity": 2, "unit_price_fen": 990}],
        },
    )
    assert r.status_code == 200, r.text
    fid = r.json()[0]["id"]
    r = client.post(f"/api/v1/fulfilments/{fid}/events/mark_ready")
    assert r.status_code == 409
    problem = r.json()
    assert problem["errors"][0]["field"] == "state"
    assert "不能执行" in problem["message_zh"]
    assert client.post(f"/api/v1/fulfilments/{fid}/events/start_picking").status_code == 200
    assert client.post(f"/api/v1/fulfilments/{fid}/events/mark_ready").json()["state"] == (
        "ready_for_pickup"
    )
    code = client.post(f"/api/v1/fulfilments/{fid}/code").json()["code"]
    bad = client.post(
        "/api/v1/fulfilments/verify",
        json={"store_code": "S1", "code": "12345678", "terminal": "POS-1"},
    )
    assert bad.status_code == 422
    assert bad.json()["reason"] == "wrong_code"
    assert bad.json()["failures_left"] == 4
    ok = client.post(
        "/api/v1/fulfilments/verify", json={"store_code": "S1", "code": code, "terminal": "POS-1"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "picked_up"
    kpis = client.get("/api/v1/fulfilments/kpis").json()
    assert kpis[0]["pickup_rate"] == 1.0
    lv = client.get("/api/v1/inventory/levels", params={"location": "S1", "sku": "SKU1"}).json()
    assert (lv[0]["on_hand"], lv[0]["reserved"]) == (8, 0)
    r = client.post(
        "/api/v1/inventory/reservations",
        json={"key": "cart-1", "lines": [{"location": "S1", "sku": "SKU1", "quantity": 99}]},
    )
    assert r.status_code == 409
    assert r.json()["type"].endswith("insufficient-stock")
    assert r.json()["available"] == 8
    r = client.post(
        "/api/v1/inventory/movements",
        json={"kind": "receipt", "location": "S1", "sku": "NOPE", "quantity": 1},
    )
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "sku"
    r = client.post(
        "/api/v1/inventory/snapshots",
        json={
            "snapshot_id": "2026-12-06",
            "mapping": {
                "source": "wms",
                "location": "仓库",
                "sku": "编码",
                "quantity": "数量",
                "location_map": {"SH01": "W1"},
            },
            "rows": [
                {"仓库": "SH01", "编码": "SKU1", "数量": "7"},
                {"仓库": "SH01", "编码": "X", "数量": 1},
                {"仓库": "SH01", "编码": "SKU2", "数量": "-1"},
            ],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["adjusted"], len(body["rejected"])) == (1, 2)
    assert client.get("/api/v1/inventory/verify").json() == []


def test_an_order_is_fulfilled_over_the_api(client: Any) -> None:
    from tests.omnichannel.factories import retail_world

    with db.session_scope() as s:
        retail_world(s)
    from omniretail.omnichannel.inventory import service as inv

    with db.session_scope() as s:
        inv.receive(s, location="S2", sku="A1", quantity=5, key="init")
    order = client.post(
        "/api/v1/orders",
        json={
            "channel_code": "miniprogram",
            "external_id": "WX-API-1",
            "origin": "miniprogram",
            "store_code": "S2",
            "fulfillment": "pickup",
            "pricing": "list_price",
            "lines": [{"sku": "A1", "quantity": 2}],
            "tenders": [{"method": "wechat", "amount_fen": 11980}],
        },
    )
    assert order.status_code in (200, 201), order.text
    oid = order.json()["id"]
    r = client.post(f"/api/v1/fulfilments/from-order/{oid}", json={})
    assert r.status_code == 200, r.text
    [f] = r.json()
    assert (f["store_code"], f["order_ref"], f["mode"]) == ("S2", "WX-API-1", "pickup")
    missing = client.post("/api/v1/fulfilments/from-order/999999", json={})
    assert missing.status_code == 404
    client.post(f"/api/v1/orders/{oid}/cancel", json={"reason": "顾客取消"})
    assert client.get(f"/api/v1/fulfilments/{f['id']}").json()["state"] == "cancelled"
