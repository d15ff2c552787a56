"""The offers API end to end (coupons, promotions, loyalty) with RFC 9457 problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

NOW = datetime.now(UTC)
BASKET: dict[str, Any] = {
    "customer_id": "C000000001",
    "store_code": "S001",
    "channel_code": "pos",
    "lines": [{"sku": "TEA", "quantity": 2, "unit_price": "35.00", "category_code": "BEV"}],
}


def _template(client: TestClient, **kw: Any) -> dict[str, Any]:
    body = {
        "code": "API-20",
        "name": "满50减20",
        "name_en": "20 off 50",
        "kind": "spend_save",
        "rules": {"tiers": [{"spend": "50", "save": "20"}]},
        "valid_days": 30,
        "claimable": True,
        "per_customer_limit": 1,
        **kw,
    }
    r = client.post("/api/v1/coupons/templates", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_coupon_lifecycle_over_http(client: TestClient) -> None:
    _template(client)
    r = client.post("/api/v1/coupons/center/API-20/claim", json={"customer_id": "C000000001"})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    again = client.post("/api/v1/coupons/center/API-20/claim", json={"customer_id": "C000000001"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["errors"][0]["field"] == "customer_id"

    center = client.get("/api/v1/coupons/center", params={"customer_id": "C000000001"}).json()
    assert center[0]["held"] == 1
    assert center[0]["can_claim"] is False

    v = client.post("/api/v1/coupons/validate", json={"code": code, "basket": BASKET}).json()
    assert v["valid"] is True
    assert v["discount"] == "20.00"
    wrong = {**BASKET, "customer_id": "C000000002"}
    v = client.post("/api/v1/coupons/validate", json={"code": code, "basket": wrong}).json()
    assert (v["valid"], v["reason"], v["detail_zh"]) == (False, "not_owner", "该券不属于此会员")

    body = {"code": code, "order_id": "POS-1", "basket": BASKET}
    first = client.post("/api/v1/coupons/redeem", json=body)
    assert first.status_code == 200, first.text
    retry = client.post("/api/v1/coupons/redeem", json=body)
    assert retry.json()["replayed"] is True
    assert retry.json()["discount"] == first.json()["discount"]
    other = client.post("/api/v1/coupons/redeem", json={**body, "order_id": "POS-2"})
    assert other.status_code == 409
    problem = other.json()
    assert problem["reason"] == "already_used"
    assert problem["type"].endswith("coupon-conflict")
    assert problem["errors"][0]["field"] == "code"

    r = client.post("/api/v1/coupons/reverse", json={"code": code, "return_id": "RET-1"})
    assert r.json()["coupon_status"] == "issued"
    assert client.get(f"/api/v1/coupons/{code}").json()["status"] == "issued"
    mine = client.get("/api/v1/coupons", params={"customer_id": "C000000001"}).json()
    assert [c["code"] for c in mine] == [code]
    assert client.get("/api/v1/coupons/templates/API-20/liability").json()["outstanding"] == 1


def test_bad_requests_name_the_field(client: TestClient) -> None:
    r = client.post(
        "/api/v1/coupons/templates",
        json={
            "code": "BAD",
            "name": "x",
            "kind": "percent_off",
            "rules": {"percent": 300},
            "valid_days": 3,
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "rules"
    assert "between 0 and 100" in r.json()["detail"]
    r = client.post(
        "/api/v1/coupons/validate", json={"code": "X", "basket": {**BASKET, "lines": []}}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "basket.lines"
    r = client.post(
        "/api/v1/coupons/redeem", json={"code": "ABCD-EFGH", "order_id": "O", "basket": BASKET}
    )
    assert r.status_code == 422
    assert r.json()["reason"] == "malformed_code"
    r = client.post("/api/v1/coupons/issue", json={"template_code": "NOPE", "customer_id": "C1"})
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "template_code"


def test_batch_issue_is_idempotent(client: TestClient) -> None:
    _template(client, code="BATCH", claimable=False, per_customer_limit=None, total_limit=3)
    body = {"campaign_id": "cmp-1", "template_code": "BATCH", "customer_ids": ["A", "B", "C", "D"]}
    assert client.post("/api/v1/coupons/issue-batch", json=body).json()["issued"] == 3
    again = client.post("/api/v1/coupons/issue-batch", json=body).json()
    assert (again["issued"], again["already_issued"], again["refused"]) == (0, 3, 1)


def test_promotions_and_pricing_over_http(client: TestClient) -> None:
    r = client.post(
        "/api/v1/promotions",
        json={
            "code": "FS-TEA",
            "name": "奶茶秒杀",
            "kind": "flash_sale",
            "rules": {"sku": "TEA", "price": "19.90"},
            "stock_cap": 1,
            "starts_at": (NOW - timedelta(hours=1)).isoformat(),
            "ends_at": (NOW + timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    q = client.post("/api/v1/promotions/price", json={"basket": BASKET}).json()
    assert q["discounts"][0]["text_zh"].startswith("奶茶秒杀")
    assert q["payable"] == "54.90"
    r = client.post("/api/v1/promotions/FS-TEA/allocations", json={"order_id": "O1", "quantity": 1})
    assert r.status_code == 201
    r = client.post("/api/v1/promotions/FS-TEA/allocations", json={"order_id": "O2", "quantity": 1})
    assert r.status_code == 409
    assert r.json()["reason"] == "sold_out"
    assert client.delete("/api/v1/promotions/FS-TEA/allocations/O1").json()["status"] == "released"
    assert [
        p["code"] for p in client.get("/api/v1/promotions", params={"active": True}).json()
    ] == ["FS-TEA"]


def test_loyalty_over_http(client: TestClient) -> None:
    earn = {
        "customer_id": "C7",
        "source": "pos",
        "order_id": "P-1",
        "amount": "128.50",
        "occurred_at": NOW.isoformat(),
    }
    assert client.post("/api/v1/loyalty/earn", json=earn).json()["points"] == 128
    assert client.post("/api/v1/loyalty/earn", json=earn).json()["replayed"] is True
    r = client.post(
        "/api/v1/loyalty/redeem", json={"customer_id": "C7", "points": 500, "ref": "R1"}
    )
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "points"
    r = client.post(
        "/api/v1/loyalty/redeem", json={"customer_id": "C7", "points": 100, "ref": "R1"}
    )
    assert r.json()["balance"] == 28
    acct = client.get("/api/v1/loyalty/accounts/C7").json()
    assert (acct["balance"], acct["verified"]) == (28, True)
    kinds = [e["kind"] for e in client.get("/api/v1/loyalty/accounts/C7/entries").json()]
    assert kinds == ["redeem", "earn"]
    assert client.get("/api/v1/loyalty/accounts/NOBODY").status_code == 404
    r = client.post(
        "/api/v1/loyalty/tiers", json={"code": "gold", "name": "金卡", "rank": 1, "min_points": 100}
    )
    assert r.status_code == 201
    assert client.post("/api/v1/loyalty/jobs/review-tiers").json()["up"] == 1


def test_validate_and_redeem_authenticate_like_every_route(client: TestClient) -> None:
    """The checkout routes authenticate inside their one worker-thread hop: anonymous callers
    are 401 (before their body is looked at), a read-only API key may validate but not redeem,
    and a write key redeems exactly once."""
    from omniretail.platform import db
    from omniretail.platform.auth import service as auth_service

    _template(client)
    code = client.post(
        "/api/v1/coupons/center/API-20/claim", json={"customer_id": "C000000001"}
    ).json()["code"]
    with db.session_scope() as s:
        _, reader = auth_service.create_api_key(s, name="crm", scopes=["read"])
        _, till = auth_service.create_api_key(s, name="pos", scopes=["write"])
    body = {"code": code, "order_id": "POS-9", "basket": BASKET}
    anonymous = TestClient(client.app)
    for path, payload in (("validate", {"code": code}), ("redeem", {"code": code})):
        r = anonymous.post(f"/api/v1/coupons/{path}", json=payload)  # also a bad body
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    as_reader = {"X-API-Key": reader}
    v = anonymous.post("/api/v1/coupons/validate", json=body, headers=as_reader)
    assert v.json()["valid"] is True
    r = anonymous.post("/api/v1/coupons/redeem", json=body, headers=as_reader)
    assert r.status_code == 403
    bad = anonymous.post("/api/v1/coupons/redeem", json=body, headers={"X-API-Key": till + "x"})
    assert bad.status_code == 401
    first = anonymous.post("/api/v1/coupons/redeem", json=body, headers={"X-API-Key": till})
    assert (first.status_code, first.json()["replayed"]) == (200, False)
    retry = client.post("/api/v1/coupons/redeem", json=body)  # same order, console session
    assert (retry.status_code, retry.json()["replayed"]) == (200, True)
    assert client.get(f"/api/v1/coupons/{code}").json()["order_id"] == "POS-9"
