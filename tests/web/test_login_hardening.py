"""Finding 9 of the security review: brute-force throttling per account and per address (form
and JSON login), logout that ends the session on the server, no username enumeration by
timing, a Secure cookie option, security headers, and a secret entropy check."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from omniretail.platform import config
from omniretail.platform.auth import service
from tests.web.conftest import ADMIN, ANALYST, login


def _json_login(c: TestClient, username: str, password: str) -> int:
    r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
    return r.status_code


def test_json_login_locks_the_account_after_repeated_failures(console: TestClient) -> None:
    codes = [
        _json_login(console, ADMIN[0], "wrong-password")
        for _ in range(config.get_settings().login_account_limit)
    ]
    assert set(codes) == {401}
    r = console.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 429, r.text  # even the right password while locked
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) > 0
    # another account from the same address is not locked by this one
    assert _json_login(console, ANALYST[0], ANALYST[1]) == 200


def test_form_login_is_throttled_too(console: TestClient) -> None:
    for _ in range(config.get_settings().login_account_limit):
        r = login(console, ANALYST[0], "nope-nope-nope")
        assert r.status_code == 400  # type: ignore[attr-defined]
    r = login(console, ANALYST[0], ANALYST[1])
    assert r.status_code == 429  # type: ignore[attr-defined]
    assert "次数过多" in r.text  # type: ignore[attr-defined]


def test_an_address_spraying_many_accounts_is_throttled(console: TestClient) -> None:
    for i in range(config.get_settings().login_address_limit):
        assert _json_login(console, f"nobody{i}", "x" * 12) == 401
    assert _json_login(console, ADMIN[0], ADMIN[1]) == 429


def test_logout_ends_the_session_on_the_server(console: TestClient) -> None:
    assert _json_login(console, ADMIN[0], ADMIN[1]) == 200
    stolen = console.cookies.get("omniretail_session")
    assert stolen
    token = console.get("/api/v1/auth/me").json()["csrf_token"]
    assert console.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    console.cookies.set("omniretail_session", stolen)  # the old cookie, replayed
    assert console.get("/api/v1/auth/me").status_code == 401
    assert console.get("/", follow_redirects=False).status_code in (303, 307)


def test_unknown_users_cost_a_password_hash_like_known_ones(
    console: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = service.verify_secret

    def counting(hashed: str, secret: str) -> bool:
        calls.append(hashed[:9])
        return real(hashed, secret)

    monkeypatch.setattr(service, "verify_secret", counting)
    assert _json_login(console, "no-such-user", "whatever-123") == 401
    assert _json_login(console, ADMIN[0], "whatever-123") == 401
    assert len(calls) == 2  # one argon2 verification each, found or not
    assert all(c.startswith("$argon2id") for c in calls)


def test_security_headers_and_hsts_behind_https(console: TestClient) -> None:
    r = console.get("/login")
    h = r.headers
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "default-src 'self'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    assert h["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in h  # plain HTTP
    https = console.get("/login", headers={"x-forwarded-proto": "https"})
    assert "strict-transport-security" not in https.headers  # no proxy is trusted by default
    r = TestClient(console.app, base_url="https://testserver").get("/login")
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_secure_cookie_option(
    home: Path, monkeypatch: pytest.MonkeyPatch, console: TestClient
) -> None:
    monkeypatch.setenv("OMNIRETAIL_SECURE_COOKIES", "1")
    config.reset_settings()
    from omniretail.web.app import create_app

    with TestClient(create_app(), base_url="https://testserver") as c:
        r = c.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        assert r.status_code == 200
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        cookie = r.headers["set-cookie"].lower()
        assert "secure" in cookie
        assert "httponly" in cookie


@pytest.mark.parametrize(
    "secret", ["a" * 36, "ab" * 20, "0123456789" * 4, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaB1"]
)
def test_low_entropy_secrets_are_refused(
    secret: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OMNIRETAIL_DEMO", raising=False)
    with pytest.raises(ValueError, match="random"):
        config.Settings(secret_key=secret, demo=False, home=tmp_path)
    good = "q8Vd3-Zr1Lx0nP4tY7uK2wE9sB6mJ5cH"
    assert config.Settings(secret_key=good, demo=False, home=tmp_path).secret_key == good
