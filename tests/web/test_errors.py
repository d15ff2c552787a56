"""Errors on console routes are pages; on the API they stay RFC 9457 problem details."""

from __future__ import annotations


def test_missing_page_is_a_page_for_browsers(admin_console) -> None:
    r = admin_console.get("/no-such-page")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "未找到" in r.text
    assert "控制台中没有这个页面" in r.text
    assert 'data-nav="overview"' in r.text  # inside the layout, with the navigation


def test_missing_page_for_anonymous_browser_has_no_navigation(console) -> None:
    r = console.get("/no-such-page")
    assert r.status_code == 404
    assert "未找到" in r.text
    assert "data-nav" not in r.text


def test_api_errors_stay_problem_details(admin_console) -> None:
    r = admin_console.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 404
    r = admin_console.get("/no-such-page", headers={"accept": "application/json"})
    assert r.headers["content-type"].startswith("application/problem+json")


def test_domain_error_on_an_api_route_is_a_problem(console) -> None:
    r = console.get("/api/v1/overview", headers={"accept": "text/html"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
