"""CSRF on the JSON API: a browser sends the console's session cookie with a cross-site form
post too, so an unsafe /api/v1 request authenticated by that cookie must carry the session's
token in X-CSRF-Token (403 problem naming the header otherwise). API keys are unaffected."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from omniretail.platform import db
from omniretail.platform.auth import service

EARN = {"customer_id": "C1", "source": "pos", "order_id": "O1", "amount": "10",
        "occurred_at": "2026-03-01T10:00:00+08:00"}  # fmt: skip


def test_cookie_writes_need_the_session_token(client: Any) -> None:
    token = client.headers.pop("X-CSRF-Token")  # the fixture sends it like the console
    # a cross-site form post: the cookie only (any content type), no token
    r = client.post("/api/v1/loyalty/earn", json=EARN)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "X-CSRF-Token"
    r = client.post("/api/v1/loyalty/earn", data={"customer_id": "C1"})
    assert r.status_code == 403, r.text
    for method, path in (("patch", "/api/v1/segments/1"), ("delete", "/api/v1/segments/1"),
                         ("put", "/api/v1/guide/policy")):  # fmt: skip
        assert client.request(method, path, json={}).status_code == 403, method
    assert client.post("/api/v1/loyalty/earn", json=EARN,
                       headers={"X-CSRF-Token": token + "x"}).status_code == 403  # fmt: skip
    assert client.get("/api/v1/loyalty/accounts/C1").status_code == 404  # reads need no token
    assert client.get("/api/v1/auth/me").json()["csrf_token"] == token
    r = client.post("/api/v1/loyalty/earn", json=EARN, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    # the API key path needs no token (no ambient credential), even with a cookie present
    with db.session_scope() as s:
        _, key = service.create_api_key(s, name="k", scopes=["read", "write"])
    r = client.post("/api/v1/loyalty/earn", json={**EARN, "order_id": "O2"},
                    headers={"authorization": f"Bearer {key}"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/auth/me", headers={"x-api-key": key}).json()["csrf_token"] is None
    # logging out by the API is a write too
    assert client.post("/api/v1/auth/logout").status_code == 403
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204


def test_console_pages_give_their_scripts_the_token(admin_console: TestClient) -> None:
    """The console's fetch() calls read the token from <meta name="csrf-token">."""
    page = admin_console.get("/segments").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token, "no csrf-token meta in the page"
    body = {"name": "s", "rule": {"all": []}}
    r = admin_console.post("/api/v1/segments", json=body, headers={"accept": "application/json"})
    assert r.status_code == 403, r.text
    assert r.json()["message"]  # in the user's language, for the page to show
    r = admin_console.post("/api/v1/segments", json=body,
                           headers={"X-CSRF-Token": token.group(1)})  # fmt: skip
    assert r.status_code != 403, r.text
