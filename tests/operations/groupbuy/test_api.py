"""The group-buy API: problem details naming the problem (in Chinese too), nothing half-applied
when an activity cannot hold its stock, and a store-bound key seeing only its leaders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from omniretail.omnichannel.inventory import service as inventory
from omniretail.platform import db
from omniretail.platform.db import utcnow
from tests.operations.groupbuy.factories import activity_in, groupbuy_world


def test_bad_input_is_named_and_nothing_is_half_applied(client: Any) -> None:
    with db.session_scope() as s:
        groupbuy_world(s)
    now = utcnow()
    body = activity_in("BIG", now).model_dump(mode="json")
    body["items"][1]["hold_per_leader"] = 60  # S2 has 50 of A2: the second leader's hold fails
    r = client.post("/api/v1/groupbuy/activities", json=body)
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("insufficient-stock")
    assert client.get("/api/v1/groupbuy/activities/BIG").status_code == 404
    with db.session_scope() as s:  # L1's hold, taken first, was rolled back with the rest
        assert inventory.get_level(s, location="S1", sku="A1").reserved == 0

    r = client.post(
        "/api/v1/groupbuy/activities", json=activity_in("OK", now).model_dump(mode="json")
    )
    assert r.status_code == 200, r.text
    order = {
        "activity": "OK",
        "leader": "L9",
        "external_id": "MP-1",
        "customer_id": "C1",
        "lines": [{"sku": "A1", "quantity": 1}],
    }
    r = client.post("/api/v1/groupbuy/orders", json=order)
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "leader"
    assert r.json()["message_zh"] == "团长 L9 不存在"
    r = client.post(
        "/api/v1/groupbuy/orders",
        json={**order, "leader": "L1", "lines": [{"sku": "A3", "quantity": 1}]},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines[0].sku"
    r = client.post("/api/v1/groupbuy/orders", json={**order, "leader": "L1"})
    assert r.status_code == 200, r.text
    assert r.json()["amount_fen"] == 3990

    bad = activity_in("LATE", now).model_dump(mode="json")
    bad["cutoff_at"] = (now - timedelta(hours=1)).isoformat()
    r = client.post("/api/v1/groupbuy/activities", json=bad)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cutoff_at"

    r = client.post(
        "/api/v1/groupbuy/leaders/L1/withdrawals", json={"amount_fen": 1, "idempotency_key": "w"}
    )
    assert r.status_code == 409
    assert "可提现佣金" in r.json()["message_zh"]
    assert client.get("/api/v1/groupbuy/kpis").json()["activities"][0]["orders"] == 1
