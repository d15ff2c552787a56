"""Browser: the 直播与内容 page with sessions recorded through the API — the sessions and the
platform comparison, a session without an end flagged, the phone layout, and no untranslated
English in zh-CN (the zh-CN walk's check, on a populated page)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import ADMIN, admin_page, run_cli, serve_console
from tests.e2e.test_zh_untranslated import COLLECT_JS, findings

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SESSIONS = [
    {"code": "DY-1", "platform": "douyin", "account": "良品官方旗舰店", "host": "小雅",
     "title": "双十一预热专场", "started_at": "2026-10-20T19:00:00+08:00",
     "ended_at": "2026-10-20T22:30:00+08:00", "coupon_batches": ["DY-20OFF"],
     "cost_fen": 1_800_000},
    {"code": "XHS-1", "platform": "xiaohongshu", "account": "良品铺子", "kind": "note",
     "title": "秋冬零食清单", "started_at": "2026-10-28T10:00:00+08:00"},
]  # fmt: skip


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("live") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    run_cli(env, "init")
    run_cli(
        env, "users", "create", "--username", ADMIN[0], "--role", "admin",
        "--display-name", "周运营", "--password", ADMIN[1],
    )  # fmt: skip
    with serve_console(env, home / "server.log") as url:
        with httpx.Client(base_url=url, timeout=30) as c:
            r = c.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
            assert r.status_code == 200, r.text
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            for s in SESSIONS:
                assert c.post("/api/v1/live/sessions", json=s).status_code == 201
            r = c.post(
                "/api/v1/live/viewers",
                content="场次编码,观看人数\nDY-1,48200\nXHS-1,12900\n".encode(),
                headers={"content-type": "text/csv"},
            )
            assert r.json()["imported"] == 2, r.text
        yield url


def test_live_page(browser, live_url: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    with admin_page(browser, live_url) as page:
        page.click("nav >> text=直播与内容")
        page.wait_for_url(f"{live_url}/live")
        rows = page.locator("[data-testid=live-sessions] tbody tr")
        assert rows.count() == 2
        assert page.locator("tr[data-session=XHS-1] [data-flag=no_end]").count() == 1
        assert "48,200" in page.locator("tr[data-session=DY-1]").inner_text()
        assert page.locator("[data-testid=live-platforms] tbody tr").count() == 2
        assert findings(page.evaluate(COLLECT_JS)) == set()
        screenshot(page, "live-desktop")
        page.set_viewport_size(PHONE)
        page.reload()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone ({width} px)"
        screenshot(page, "live-phone")
