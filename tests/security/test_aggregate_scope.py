"""Finding 2 of the security review (aggregates): /kpis/summary, /provinces, /cohorts and
/basket returned chain-wide figures to store users. They are chain-wide by definition, so a
store-scoped caller is refused (403, naming the scope); per-store KPIs stay at /kpis."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from omniretail.platform.auth import service
from omniretail.platform.db import session_scope

# (the manual identity decisions name every store's records)
CHAIN_WIDE = ["/api/v1/kpis/summary", "/api/v1/kpis/provinces", "/api/v1/kpis/cohorts",
              "/api/v1/kpis/basket", "/api/v1/identity/constraints"]  # fmt: skip


def test_chain_wide_aggregates_are_refused_to_store_users(client: Any) -> None:
    with session_scope() as s:
        service.create_user(
            s, username="sa", password="store-analyst-1", role="analyst", store_ids=[999]
        )
    store_user = TestClient(client.app)
    r = store_user.post(
        "/api/v1/auth/login", json={"username": "sa", "password": "store-analyst-1"}
    )
    assert r.status_code == 200, r.text
    store_user.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    for path in CHAIN_WIDE:
        r = store_user.get(path)
        assert r.status_code == 403, (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
        assert client.get(path).status_code != 403, path  # the admin is chain-wide
