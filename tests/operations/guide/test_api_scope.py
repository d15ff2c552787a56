"""A store's manager works on their own stores' relationships only: a customer outside their
stores (home store elsewhere and no clerk of theirs) is unknown to claims, touches, deletions,
transfers and refusals (404, as everywhere else), another store's clerk is out of scope (403),
and nothing changes; a customer of another home store whom one of their clerks serves is
theirs to reassign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from omniretail.cdp.profile.models import Customer
from omniretail.omnichannel.store import service as store_service
from omniretail.operations.guide import service
from omniretail.platform import db
from omniretail.platform.auth import service as auth_service
from omniretail.web.app import create_app
from tests.operations.guide.factories import guide_world

B1, B2 = "C800000001", "C800000002"  # home store S2


def _world() -> str:
    at = datetime.now(UTC) - timedelta(days=1)
    with db.session_scope() as s:
        ids = guide_world(s, customers=3)
        s.add_all(Customer(customer_id=c, sources=["pos"], home_store_code="S2") for c in (B1, B2))
        s.flush()
        service.claim(s, customer_id=B1, staff_code="G3", source="store_qr", at=at)  # store B's
        service.claim(s, customer_id=B2, staff_code="G1", source="store_qr", at=at)  # served in A
        s1 = store_service.store_ids_by_code(s, codes=["S1"])["S1"]
        auth_service.create_user(s, username="mgr_a", password="manager-pass-1",
                                 role="store_manager", store_ids=[s1])  # fmt: skip
    return ids[0]


def _manager() -> TestClient:
    c = TestClient(create_app())
    r = c.post("/api/v1/auth/login", json={"username": "mgr_a", "password": "manager-pass-1"})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def test_a_store_manager_cannot_take_another_stores_customer(client) -> None:  # type: ignore[no-untyped-def]
    own = _world()
    t = client.post("/api/v1/guide/transfers", json={"customer_id": B1, "to_staff": "G4"})
    assert t.status_code == 200, t.text  # HQ asks store B's manager clerk to take over B1
    mgr = _manager()
    steal = mgr.post("/api/v1/guide/transfers", json={"customer_id": B1, "to_staff": "G1"})
    assert steal.status_code == 404, steal.text
    assert B1 in steal.json()["detail"]
    r = mgr.post("/api/v1/guide/claims",
                 json={"customer_id": B1, "staff_code": "G1", "source": "store_qr"})  # fmt: skip
    assert r.status_code == 404
    for route in ("/api/v1/guide/touches", "/api/v1/guide/deletions"):
        r = mgr.post(route, json={"customer_id": B1, "staff_code": "G3", "kind": "click"})
        assert r.status_code == 403, (route, r.text)  # store B's clerk
    assert mgr.post(f"/api/v1/guide/transfers/{t.json()['id']}/refuse").status_code == 404
    with db.session_scope() as s:  # nothing changed
        b = service.current_binding(s, B1)
        assert b is not None
        assert (b.staff_code, b.ended_at) == ("G3", None)
        assert [x.status for x in service.transfers(s, customer_id=B1)] == ["pending"]

    r = mgr.post("/api/v1/guide/claims",
                 json={"customer_id": own, "staff_code": "G1", "source": "store_qr"})  # fmt: skip
    assert r.status_code == 200, r.text  # their own store's customer
    r = mgr.post("/api/v1/guide/transfers", json={"customer_id": B2, "to_staff": "G2"})
    assert r.status_code == 200, r.text  # home store B, but their clerk G1 serves B2
