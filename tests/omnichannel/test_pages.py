"""The omnichannel console pages: stores by kind, channels, the latest orders, the order list
filtered by status; a store manager sees only their stores' orders."""

from __future__ import annotations

from fastapi.testclient import TestClient

from omniretail.omnichannel.order import service as order_service
from omniretail.omnichannel.store import service as store_service
from omniretail.platform.auth import service as auth_service
from omniretail.platform.db import session_scope
from omniretail.platform.timezone import to_wall_clock
from tests.omnichannel.factories import order_in, retail_world

HTML = {"accept": "text/html"}


def test_omnichannel_pages(client: TestClient) -> None:
    with session_scope() as s:
        retail_world(s)
        a = order_service.create_order(s, data=order_in(external_id="A-1"))
        order_service.create_order(
            s,
            data=order_in(
                external_id="B-1",
                store_code="S2",
                tenders=[{"method": "cash", "amount_fen": 21970}],
            ),
        )
        sid = store_service.store_ids_by_code(s)["S1"]
        auth_service.create_user(
            s, username="mgr", password="mgr-pass-1", role="store_manager", store_ids=[sid]
        )
    r = client.get("/omnichannel", headers=HTML)
    assert r.status_code == 200
    assert 'data-kind="direct"' in r.text
    assert "直营店" in r.text
    assert 'data-channel="miniprogram"' in r.text
    assert r.text.count("data-order=") == 2
    assert to_wall_clock(a.ordered_at).strftime("%Y-%m-%d %H:%M") in r.text  # chain time
    r = client.get("/omnichannel/orders?status=paid", headers=HTML)
    assert r.status_code == 200
    assert r.text.count("data-order=") == 1
    assert "已支付" in r.text
    assert "B-1" in r.text

    client.post("/api/v1/auth/logout")
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "mgr", "password": "mgr-pass-1"}
        ).status_code
        == 200
    )
    r = client.get("/omnichannel/orders", headers=HTML)
    assert r.text.count("data-order=") == 1
    assert "A-1" in r.text
    assert client.get("/omnichannel/orders?store_code=S2", headers=HTML).status_code == 403
