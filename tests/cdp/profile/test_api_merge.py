"""Manual merge and unmerge through the API (a world of its own: these tests change it)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.platform import db
from omniretail.platform.auth.models import AuditLog
from tests.cdp.profile import world


def test_merge_and_unmerge_through_the_api(client: TestClient) -> None:
    world.build()
    a = client.get("/api/v1/customers/M1").json()["customer"]["customer_id"]
    b = client.get("/api/v1/customers/M2").json()["customer"]["customer_id"]
    analyst = world.login("ana", "analyst-pass-1")
    body = {"customer_id": a, "other_customer_id": b, "reason": "客服核实"}
    assert analyst.post("/api/v1/identity/merge", json=body).status_code == 403
    r = client.post("/api/v1/identity/merge", json=body)
    assert r.status_code == 200, r.text
    # the merged customer now leads to the survivor
    assert client.get(f"/api/v1/customers/{b}").json()["customer"]["customer_id"] == a
    assert client.get("/api/v1/customers/13922220002").json()["customer"]["customer_id"] == a
    r = client.post(
        "/api/v1/identity/unmerge",
        json={"customer_id": a, "record_keys": ["wecom:w1"], "reason": "误合并"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["cannot_links"] == 3
    bad = client.post(
        "/api/v1/identity/unmerge",
        json={"customer_id": a, "record_keys": ["nope:1"], "reason": "x"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "record_keys"
    constraints = client.get("/api/v1/identity/constraints").json()
    assert {c["kind"] for c in constraints["items"]} == {"must_link", "cannot_link"}
    with db.session_scope() as s:
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert [x for x in actions if x.startswith("identity.")] == [
        "identity.merge",
        "identity.unmerge",
    ]
