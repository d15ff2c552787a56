"""The /api/v1/guide routes: claims and refusals as problem details naming the reason, transfers,
a clerk acting on their own tasks only."""

from __future__ import annotations

from datetime import date

from omniretail.operations.guide.models import GuideTask
from omniretail.platform import db
from omniretail.platform.auth import service as auth_service
from tests.operations.guide.factories import guide_world


def test_claims_transfers_and_tasks_over_http(client) -> None:  # type: ignore[no-untyped-def]
    with db.session_scope() as s:
        c1, c2, c3, *_ = guide_world(s)
        auth_service.create_user(s, username="G1", password="clerk-pass-1", role="clerk",
                                 store_ids=None)  # fmt: skip
    r = client.post("/api/v1/guide/claims",
                    json={"customer_id": c1, "staff_code": "G1", "source": "contact_me",
                          "source_ref": "wecom-state-G1"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["staff_code"] == "G1"
    r = client.post(
        "/api/v1/guide/claims", json={"customer_id": c1, "staff_code": "G2", "source": "store_qr"}
    )
    assert r.status_code == 409
    problem = r.json()
    assert problem["reason"] == "already_bound"
    assert problem["detail"].startswith("此客户已绑定导购 G1")
    r = client.post(
        "/api/v1/guide/claims", json={"customer_id": c1, "staff_code": "NOPE", "source": "store_qr"}
    )
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "staff_id"
    r = client.post("/api/v1/guide/transfers", json={"customer_id": c1, "to_staff": "G2"})
    assert r.status_code == 200, r.text
    tid = r.json()["id"]
    assert client.post(f"/api/v1/guide/transfers/{tid}/refuse").json()["status"] == "refused"
    periods = client.get(f"/api/v1/guide/customers/{c1}/bindings").json()
    assert [b["staff_code"] for b in periods] == ["G1"]

    with db.session_scope() as s:
        for staff, cid in (("G1", c2), ("G2", c3)):
            s.add(GuideTask(day=date(2026, 12, 7), staff_code=staff, store_code="S1",
                            customer_id=cid, kind="birthday", message="生日快乐", priority=50,
                            status="open"))  # fmt: skip
    tasks = client.get("/api/v1/guide/clerks/G1/tasks?day=2026-12-07").json()
    assert [t["kind"] for t in tasks] == ["birthday"]
    client.post("/api/v1/auth/logout")
    r = client.post("/api/v1/auth/login", json={"username": "G1", "password": "clerk-pass-1"})
    assert r.status_code == 200
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    mine = client.get("/api/v1/guide/clerks/G1/tasks?day=2026-12-07").json()[0]["id"]
    r = client.post(f"/api/v1/guide/tasks/{mine}", json={"action": "copy"})
    assert r.json()["status"] == "sent"
    other = mine + 1
    assert client.post(f"/api/v1/guide/tasks/{other}", json={"action": "done"}).status_code == 403
