"""Inputs the fuzz pass once answered with a 500: each is now a 4xx problem naming its field."""

from __future__ import annotations

from typing import Any

WECOM = {"open_kfid": "wk1", "external_userid": "wm1", "msgid": "m1", "msgtype": "text",
         "text": {"content": "你好"}}  # fmt: skip


def _field(r: Any) -> str:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return str(r.json()["errors"][0]["field"])


def test_wecom_send_time_out_of_range_is_named(client: Any) -> None:
    for send_time in (2**62, 1, 4_000_000_000):  # overflow, 1970, the future
        r = client.post("/api/v1/care/wecom/messages", json={**WECOM, "send_time": send_time})
        assert r.status_code == 422, (send_time, r.text)
        assert _field(r) == "send_time"
    r = client.post("/api/v1/care/wecom/messages", json={**WECOM, "send_time": 1_764_000_000})
    assert r.status_code == 200, r.text


def test_groupbuy_refund_bad_order_id_and_blank_key_are_named(client: Any) -> None:
    body = {"lines": [{"line_no": 1, "quantity": 1}], "idempotency_key": "r-1"}
    r = client.post(f"/api/v1/groupbuy/orders/{2**70}/refunds", json=body)
    assert r.status_code == 422, r.text
    assert _field(r) == "order_id"
    # a key of white space normalises to nothing (it reached the sales return as "": a 500)
    r = client.post("/api/v1/groupbuy/orders/1/refunds", json={**body, "idempotency_key": " \t"})
    assert r.status_code == 422, r.text
    assert _field(r) == "idempotency_key"
    # NFKC lengthens "ﷺ" to 18 characters: 100 of them no longer fit the stored key
    r = client.post("/api/v1/groupbuy/orders/1/refunds", json={**body, "idempotency_key": "ﷺ" * 99})
    assert r.status_code == 422, r.text
    assert _field(r) == "idempotency_key"
    r = client.post("/api/v1/groupbuy/orders/1/refunds", json=body)
    assert r.status_code == 404, r.text  # a well-formed refund of an unknown order
