"""Console login, logout, CSRF and the redirect of anonymous visitors."""

from __future__ import annotations

import pytest

from omniretail.platform.console.session import safe_next
from tests.web.conftest import ADMIN, ANALYST, csrf_from, login


def test_anonymous_visitor_is_sent_to_login_with_next(console) -> None:
    r = console.get("/customers?page=2", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/customers%3Fpage%3D2"
    r = console.get("/", follow_redirects=False)
    assert r.headers["location"] == "/login"


def test_htmx_request_gets_a_full_page_redirect(console) -> None:
    r = console.get("/", headers={"hx-request": "true"}, follow_redirects=False)
    assert r.status_code == 204
    assert r.headers["hx-redirect"] == "/login"


def test_login_page_is_chinese_by_default(console) -> None:
    r = console.get("/login")
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.text
    assert "登录控制台" in r.text
    assert 'name="csrf_token"' in r.text


def test_wrong_password_shows_a_clear_error(console) -> None:
    r = login(console, ADMIN[0], "not-the-password")
    assert r.status_code == 400
    assert "用户名或密码错误" in r.text
    assert 'value="admin"' in r.text  # the username is kept
    assert console.get("/", follow_redirects=False).status_code == 303  # still anonymous


def test_empty_fields_are_named(console) -> None:
    r = login(console, "", "")
    assert r.status_code == 400
    assert "请输入用户名和密码" in r.text


def test_login_without_csrf_token_is_refused(console) -> None:
    console.get("/login")
    r = console.post(
        "/login", data={"username": ADMIN[0], "password": ADMIN[1]}, follow_redirects=False
    )
    assert r.status_code == 403
    assert "表单已过期" in r.text
    r = console.post(
        "/login",
        data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": "forged"},
        headers={"accept": "application/json"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "csrf_token"


def test_login_goes_to_next_and_shows_the_role(console) -> None:
    r = login(console, *ANALYST, next="/settings")
    assert r.status_code == 303
    assert r.headers["location"] == "/settings"
    page = console.get("/settings").text
    assert "小安" in page
    assert 'data-role="analyst"' in page
    assert "数据分析师" in page


def test_login_rotates_the_csrf_token(console) -> None:
    before = csrf_from(console.get("/login").text)
    login(console, *ADMIN)
    after = csrf_from(console.get("/").text)
    assert before != after


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(console, target: str) -> None:
    r = login(console, *ADMIN, next=target)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/coupons?state=open") == "/coupons?state=open"
    assert safe_next(None) == "/"
    assert safe_next("http://x/") == "/"


def test_logged_in_user_skips_the_login_page(admin_console) -> None:
    r = admin_console.get("/login?next=/coupons", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/coupons"


def test_logout_needs_the_token_and_ends_the_session(admin_console) -> None:
    assert admin_console.post("/logout", follow_redirects=False).status_code == 403
    assert admin_console.get("/", follow_redirects=False).status_code == 200
    token = csrf_from(admin_console.get("/").text)
    r = admin_console.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    assert admin_console.get("/", follow_redirects=False).status_code == 303


def test_csrf_header_is_accepted_for_htmx(admin_console) -> None:
    token = csrf_from(admin_console.get("/").text)
    r = admin_console.post("/logout", headers={"x-csrf-token": token}, follow_redirects=False)
    assert r.status_code == 303


def test_deactivated_user_is_logged_out(admin_console) -> None:
    from sqlalchemy import update

    from omniretail.platform import db
    from omniretail.platform.auth.models import User

    with db.session_scope() as s:
        s.execute(update(User).where(User.username == ADMIN[0]).values(is_active=False))
    assert admin_console.get("/", follow_redirects=False).status_code == 303
