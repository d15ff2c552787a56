"""Privacy requests through the API and the console: administrators only, the erasure confirmed
by the customer id, unknown customers named, and every request in the audit trail."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _customer(customer_id: str = "C000000042") -> None:
    from omniretail.cdp.profile.models import Customer, CustomerIdentity
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        c = Customer(
            customer_id=customer_id,
            name="隐私测试",
            phone="+8613911112222",
            email="priv@example.com",
        )
        s.add(c)
        s.flush()
        s.add(
            CustomerIdentity(customer_pk=c.id, kind="phone", value="+8613911112222", source="app")
        )
        s.add(
            CustomerIdentity(
                customer_pk=c.id, kind="source_record_id", value="A1234567", source="app"
            )
        )


def _user(role: str, name: str) -> None:
    from omniretail.platform.auth import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        service.create_user(s, username=name, password=f"{name}-pass-1", role=role)


def test_export_and_erase_by_api(client: TestClient) -> None:
    _customer()
    r = client.get("/api/v1/privacy/customers/C000000042/export", params={"reason": "DSR-7"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["operational_store"]["customer"][0]["phone"] == "+8613911112222"
    assert body["identifiers"]["phones"] == ["13911112222"]
    assert body["identifiers"]["record_keys"] == ["app:A1234567"]

    r = client.post("/api/v1/privacy/customers/C000000042/erase", json={"confirm": "C000000043"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "confirm"
    r = client.post("/api/v1/privacy/customers/C000009999/erase", json={"confirm": "C000009999"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")

    r = client.post(
        "/api/v1/privacy/customers/C000000042/erase",
        json={"confirm": "C000000042", "reason": "DSR-7"},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["operational"] == {"customer_identity": 2, "customer": 1}
    assert report["suppressed_identifiers"] >= 2
    assert client.get("/api/v1/privacy/customers/C000000042/export").status_code == 404
    log = client.get("/api/v1/privacy/requests").json()
    assert [e["action"] for e in log] == ["privacy.erase", "privacy.export"]
    assert all(e["customer_id"] == "C000000042" for e in log)


def test_only_administrators(client: TestClient) -> None:
    _customer()
    for role in ("marketer", "clerk", "analyst"):
        _user(role, role)
    from omniretail.web.app import create_app

    with TestClient(create_app()) as other:
        for role in ("marketer", "clerk", "analyst"):
            r = other.post(
                "/api/v1/auth/login", json={"username": role, "password": f"{role}-pass-1"}
            )
            assert r.status_code == 200, r.text
            other.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            assert other.get("/api/v1/privacy/customers/C000000042/export").status_code == 403
            r = other.post(
                "/api/v1/privacy/customers/C000000042/erase", json={"confirm": "C000000042"}
            )
            assert r.status_code == 403
            assert other.get("/api/v1/privacy/requests").status_code == 403
            other.post("/api/v1/auth/logout")
