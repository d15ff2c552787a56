"""Console: customer search and the Customer 360 page, masked per role."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from omniretail.platform import db, migrate
from omniretail.platform.auth import service
from tests.cdp.profile import world

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _console(username: str, password: str) -> TestClient:
    from omniretail.web.app import create_app

    c = TestClient(create_app(), headers={"accept": "text/html"})
    token = CSRF.search(c.get("/login").text).group(1)
    r = c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


@pytest.fixture
def built(home) -> None:
    migrate.upgrade()
    with db.session_scope() as s:
        service.create_user(s, username="admin", password="admin-pass-1", role="admin")
    world.build()


def test_search_and_customer_360(built) -> None:
    c = _console("admin", "admin-pass-1")
    page = c.get("/customers?q=13811110001")
    assert page.status_code == 200
    assert 'data-testid="customer-results"' in page.text
    customer_id = re.search(r'href="/customers/(C\d{9})"', page.text).group(1)
    html = c.get(f"/customers/{customer_id}").text
    for section in ("golden", "consent", "identities", "orders", "tags", "explanation", "timeline"):
        assert f'data-testid="{section}"' in html
    assert "张三" in html
    assert "+8613811110001" in html
    assert "deterministic:unionid" in html
    assert 'data-consent="sms">' in html
    # the console speaks Chinese: channel and gender codes are shown in words
    assert "<th>短信</th>" in html
    assert "<th>sms</th>" not in html
    assert c.get("/customers/nobody-at-all").status_code == 404


def test_customer_360_is_masked_for_an_analyst(built) -> None:
    c = _console("ana", "analyst-pass-1")
    html = c.get("/customers/M1").text
    assert "138****0001" in html
    assert "+8613811110001" not in html
    assert "张三" not in html


def test_customer_page_needs_a_login(built) -> None:
    from omniretail.web.app import create_app

    anonymous = TestClient(create_app(), headers={"accept": "text/html"})
    r = anonymous.get("/customers/M1", follow_redirects=False)
    assert r.status_code in (302, 303, 307)
    assert "/login" in r.headers["location"]
