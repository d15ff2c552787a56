"""The privacy page (个人信息请求): administrators only, CSRF, the erasure confirmed by the
customer id, errors in Chinese."""

from __future__ import annotations

from typing import Any

from tests.security.test_privacy_api import _customer
from tests.web.conftest import ANALYST, csrf_from, login


def test_console_page(admin_console: Any) -> None:
    _customer()
    page = admin_console.get("/privacy")
    assert page.status_code == 200
    assert "个人信息请求" in page.text
    token = csrf_from(page.text)
    r = admin_console.post(
        "/privacy/erase", data={"customer_id": "C000000042", "confirm": "C000000042"}
    )
    assert r.status_code == 403  # no CSRF token
    r = admin_console.post(
        "/privacy/erase", data={"customer_id": "C000000042", "confirm": "x", "csrf_token": token}
    )
    assert r.status_code == 422
    assert "请再次输入客户编号以确认删除" in r.text
    r = admin_console.post(
        "/privacy/export", data={"customer_id": "C000000042", "csrf_token": token}
    )
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    assert r.json()["customer_id"] == "C000000042"
    r = admin_console.post(
        "/privacy/erase",
        data={"customer_id": "C000000042", "confirm": "C000000042", "csrf_token": token},
    )
    assert r.status_code == 200
    assert "已删除" in r.text
    assert 'data-testid="privacy-erased"' in r.text
    r = admin_console.post(
        "/privacy/export", data={"customer_id": "C000000042", "csrf_token": token}
    )
    assert r.status_code == 404
    assert "找不到客户 C000000042" in r.text


def test_console_page_is_for_administrators(console: Any) -> None:
    login(console, *ANALYST)
    r = console.get("/privacy")
    assert r.status_code == 403
    assert "只有管理员可以处理个人信息请求" in r.text
