"""An id in the path beyond what the database holds is a 422 naming it, not a 500 (SQLite
raised OverflowError on the lookup; the fuzz pass found it on a task action and a shortage)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

HUGE = "99999999999999999999999"

ROUTES = [
    ("get", "/api/v1/fulfilments/{id}", None),
    ("get", "/api/v1/fulfilments/{id}/history", None),
    ("post", "/api/v1/fulfilments/{id}/events/ready", None),
    ("post", "/api/v1/fulfilments/{id}/shortage", {"lines": [{"sku": "A1", "quantity": 1}]}),
    ("post", "/api/v1/fulfilments/{id}/code", None),
    ("post", "/api/v1/guide/tasks/{id}", {"action": "done"}),
    ("post", "/api/v1/guide/transfers/{id}/refuse", None),
    ("post", "/api/v1/replenishment/suggestions/{id}/decision", {"decision": "accept"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_an_id_beyond_64_bits_is_a_422(
    client: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    r = client.request(method, path.format(id=HUGE), json=body)
    assert r.status_code == 422, (path, r.status_code, r.text[:200])
    fields = [e["field"] for e in r.json().get("errors", [])]
    assert any(f.endswith("_id") for f in fields), (path, fields)
