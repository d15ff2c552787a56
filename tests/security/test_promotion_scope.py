"""Store scope on the promotions API (finding 2, the writes): pricing and checkout redeemed any
coupon code and served any customer's basket, and the flash-sale and team-buy writes took any
customer — so a store-A manager could redeem a store-B customer's code (a bearer instrument)
through ``/promotions/checkout`` although ``/coupons/redeem`` refused it. The promotions routes
now apply the coupon API's rule: the basket's customer (or, anonymous, its store) must be the
caller's, and so must every coupon's owner; another store's customer is unknown (404). What
is the whole chain's — creating promotions, the coupon catalogue, a template's liability, the
expiry job — is refused to store users (403), as the console refuses them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from omniretail.platform.db import session_scope

A, B = "C000000001", "C000000002"  # home stores S1 and S2


def _basket(customer: str | None, store: str = "S1") -> dict[str, Any]:
    return {
        "customer_id": customer, "store_code": store, "channel_code": "pos",
        "lines": [{"sku": "TEA", "quantity": 2, "unit_price": "35.00", "category_code": "BEV"}],
    }  # fmt: skip


def test_promotion_writes_see_only_the_callers_stores(client: TestClient) -> None:
    from omniretail.cdp.profile.models import Customer
    from omniretail.omnichannel.store.models import Store
    from omniretail.platform.auth import service

    with session_scope() as s:
        ids = {}
        for code in ("S1", "S2"):
            st = Store(code=code, name=f"门店{code}", kind="direct", store_type="street")
            s.add(st)
            s.flush()
            ids[code] = st.id
        for cid, code in ((A, "S1"), (B, "S2")):
            s.add(Customer(customer_id=cid, home_store_code=code, home_store_id=ids[code]))
        service.create_user(s, username="mgr", password="manager-pass-1",
                            role="store_manager", store_ids=[ids["S1"]])  # fmt: skip
    r = client.post("/api/v1/coupons/templates", json={
        "code": "P20", "name": "满50减20", "kind": "spend_save",
        "rules": {"tiers": [{"spend": "50", "save": "20"}]}, "valid_days": 30})  # fmt: skip
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/coupons/issue", json={"template_code": "P20", "customer_id": B})
    assert r.status_code == 201, r.text
    b_code = r.json()["code"]

    mgr = TestClient(client.app)
    r = mgr.post("/api/v1/auth/login", json={"username": "mgr", "password": "manager-pass-1"})
    assert r.status_code == 200, r.text
    mgr.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    refused = [
        ("/api/v1/promotions/checkout",
         {"basket": _basket(A), "coupon_codes": [b_code], "order_id": "X1"}, "coupon_codes.0"),
        ("/api/v1/promotions/price", {"basket": _basket(A), "coupon_codes": [b_code]},
         "coupon_codes.0"),
        ("/api/v1/promotions/checkout",  # redeemed store B's code before
         {"basket": _basket(B), "coupon_codes": [b_code], "order_id": "X2"},
         "basket.customer_id"),
        ("/api/v1/promotions/price", {"basket": _basket(None, "S2")}, "basket.store_code"),
        ("/api/v1/promotions/ANY/teams",
         {"customer_id": B, "order_id": "X3", "paid_amount": "10"}, "customer_id"),
        ("/api/v1/promotions/teams/1/members",
         {"customer_id": B, "order_id": "X4", "paid_amount": "10"}, "customer_id"),
        ("/api/v1/promotions/ANY/allocations",
         {"customer_id": B, "order_id": "X5", "quantity": 1}, "customer_id"),
    ]  # fmt: skip
    for path, body, field in refused:
        r = mgr.post(path, json=body)
        assert r.status_code in (403, 404), (path, r.status_code, r.text[:300])
        assert r.json()["errors"][0]["field"] == field, (path, r.text[:300])
    # a promotion prices every store's baskets: chain-wide users create them (as on the console)
    promo = {"code": "FLASH1", "name": "秒杀", "kind": "holiday", "rules": {},
             "starts_at": "2026-12-01T00:00:00+08:00",
             "ends_at": "2026-12-31T00:00:00+08:00"}  # fmt: skip
    r = mgr.post("/api/v1/promotions", json=promo)
    assert r.status_code == 403, r.text
    assert client.get("/api/v1/promotions/FLASH1").status_code == 404  # nothing created
    # so does the coupon catalogue (as on the console), its liability and the expiry job
    for method, path, body in (
        ("POST", "/api/v1/coupons/templates", {"code": "MINE", "name": "店券",
                                              "kind": "amount_off", "rules": {"amount": "5"},
                                              "valid_days": 7}),
        ("POST", "/api/v1/coupons/templates/P20/status", {"status": "paused"}),
        ("GET", "/api/v1/coupons/templates/P20/liability", None),
        ("POST", "/api/v1/coupons/expire", None),
    ):  # fmt: skip
        r = mgr.request(method, path, json=body)
        assert r.status_code == 403, (path, r.status_code, r.text[:200])
    assert client.get("/api/v1/coupons/templates/MINE").status_code == 404
    assert client.get("/api/v1/coupons/templates/P20").json()["status"] == "active"
    assert client.get("/api/v1/coupons/templates/P20/liability").status_code == 200
    # nothing redeemed: store B's code is still good, and its owner's store may use it
    r = client.get(f"/api/v1/coupons/{b_code}")
    assert r.json()["status"] == "issued", r.text
    # the store manager's own customer is served, and the chain's user still redeems anywhere
    r = mgr.post("/api/v1/promotions/price", json={"basket": _basket(A)})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/promotions/checkout",
                    json={"basket": _basket(B, "S2"), "coupon_codes": [b_code],
                          "order_id": "X6"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/coupons/{b_code}").json()["status"] == "redeemed"
