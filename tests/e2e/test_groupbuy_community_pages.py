"""Group buying and communities in a real browser, on an instance filled by the demo builders:
HQ sees the activities (one failed to form) and the leader ranking; a leader on a 390 px phone
hands over an order with its pickup code and announces the goods' arrival, without the page
scrolling sideways; the administrator opens a leader's own login, with which the leader sees
only their point on a phone; the community page shows group health and a referral campaign
whose page draws the invite tree with its K-factor. Every page in zh-CN without untranslated
words."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ADMIN, log_in, run_cli, serve_console
from tests.e2e.test_zh_untranslated import COLLECT_JS, findings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def _fill(home: Path) -> None:
    """The demo builders on a small retail world, written in-process to the instance's store."""
    from omniretail.cdp.profile.models import Customer
    from omniretail.demo import community, groupbuy
    from omniretail.platform import config, db
    from tests.operations.groupbuy.factories import groupbuy_world

    names = ("OMNIRETAIL_HOME", "OMNIRETAIL_DATABASE_URL", "OMNIRETAIL_DEMO")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["OMNIRETAIL_HOME"] = str(home)
    os.environ["OMNIRETAIL_DEMO"] = "1"
    os.environ.pop("OMNIRETAIL_DATABASE_URL", None)
    config.reset_settings()
    try:
        with db.session_scope() as s:
            groupbuy_world(s, stock=5, leaders=False)
            s.add_all([Customer(customer_id=f"C{i:09d}") for i in range(1, 701)])
            s.flush()
            groupbuy.build(s, seed=3)
            community.build(s, seed=3)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        config.reset_settings()


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("groupbuy") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    run_cli(env, "init")
    run_cli(env, "users", "create", "--username", ADMIN[0], "--role", "admin",
            "--display-name", "王店长", "--password", ADMIN[1])  # fmt: skip
    _fill(home)
    with serve_console(env, home / "server.log") as url:
        yield url, home


def _ready_code(home: Path) -> tuple[str, str, str]:
    """A leader with an order waiting for pickup and that order's code, and a leader whose
    goods have not arrived (read from the instance's store)."""
    import sqlite3

    con = sqlite3.connect(home / "omniretail.db")
    try:
        row = con.execute(
            "SELECT l.code, c.code FROM gb_order o JOIN gb_leader l ON l.id = o.leader_id "
            "JOIN ful_pickup_code c ON c.fulfilment_id = o.fulfilment_id AND c.active "
            "WHERE o.status = 'ready' ORDER BY o.id LIMIT 1"
        ).fetchone()
        waiting = con.execute(
            "SELECT l.code FROM gb_order o JOIN gb_leader l ON l.id = o.leader_id "
            "WHERE o.status = 'formed' ORDER BY o.id LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    assert waiting is not None
    return str(row[0]), str(row[1]), str(waiting[0])


def _leaders(home: Path) -> list[str]:
    import sqlite3

    con = sqlite3.connect(home / "omniretail.db")
    try:
        return [str(r[0]) for r in con.execute("SELECT code FROM gb_leader ORDER BY code")]
    finally:
        con.close()


def _page(browser: Any, url: str, viewport: dict[str, int], login: tuple[str, str] = ADMIN) -> Any:
    context = browser.new_context(
        base_url=url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    log_in(page, *login)
    page.wait_for_url(f"{url}/**")
    return page


def _chinese(page: Any) -> None:
    assert findings(page.evaluate(COLLECT_JS)) == set(), page.url


def test_hq_leader_phone_and_community(
    browser: Any, instance: tuple[str, Path], screenshot: Any
) -> None:
    url, home = instance
    page = _page(browser, url, {"width": 1440, "height": 900})
    page.goto("/operations/groupbuy")
    rows = page.locator("[data-testid=activities] tbody tr")
    assert rows.count() == 4
    assert "未成团" in page.locator("[data-activity=steak-w2]").inner_text()
    assert page.locator("[data-testid=ranking] tbody tr").count() == 10
    assert page.locator("[data-testid=applications] .gb-card").count() == 2
    _chinese(page)
    screenshot(page, "groupbuy-hq")

    page.goto("/operations/community")
    assert page.locator("[data-testid=health] tbody tr[data-quiet]").count() >= 1
    assert page.locator("[data-testid=needs-group]").count() >= 1
    _chinese(page)
    page.click("[data-testid=campaigns] a")
    k = page.locator("[data-testid=k-factor]").inner_text()
    assert float(k) > 0
    assert page.locator("[data-testid=invite-tree] li").count() > 20
    assert "同一设备" in page.inner_text("main")
    _chinese(page)
    screenshot(page, "community-campaign")
    assert not page.errors
    page.context.close()

    leader, code, waiting = _ready_code(home)
    phone = _page(browser, url, PHONE)
    phone.goto(f"/operations/groupbuy/leaders/{leader}")
    _chinese(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the workbench scrolls sideways ({width}px)"
    phone.fill("[data-testid=pickup-code]", "00000000")
    phone.click("[data-testid=pickup-form] button")
    assert "提货码不属于" in phone.locator("[data-testid=error]").inner_text()
    phone.fill("[data-testid=pickup-code]", code)
    phone.click("[data-testid=pickup-form] button")
    assert "已取货" in phone.locator("[data-testid=message]").inner_text()
    screenshot(phone, "groupbuy-leader-phone")
    phone.goto(f"/operations/groupbuy/leaders/{waiting}")
    before = phone.locator("[data-status=ready]").count()
    phone.click("[data-testid=arrived] >> nth=0")
    phone.wait_for_load_state("networkidle")
    assert phone.locator(".gb-list [data-status=ready]").count() > before
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _chinese(phone)
    assert not phone.errors
    phone.context.close()

    # the administrator opens the leader's own login; on a phone the leader sees only their
    # point: their orders, pick list, pickup and commission ledger, another point refused
    hq = _page(browser, url, {"width": 1440, "height": 900})
    hq.goto("/operations/groupbuy")
    card = hq.locator(f"[data-testid=accounts] [data-leader={leader}]")
    card.locator("input[name=password]").fill("leader-pass-1")
    card.locator("button").click()
    assert "已为团长" in hq.locator("[data-testid=accounts] [data-testid=message]").inner_text()
    _chinese(hq)
    hq.context.close()
    own = _page(browser, url, PHONE, login=(leader, "leader-pass-1"))
    own.goto("/operations/groupbuy")
    assert own.url.endswith(f"/operations/groupbuy/leaders/{leader}")
    assert own.locator("[data-testid=orders] .gb-card").count() >= 1
    own.click("[data-testid=ledger] summary")
    assert own.locator("[data-testid=ledger] [data-entry]").count() >= 1
    assert own.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _chinese(own)
    screenshot(own, "groupbuy-leader-login-phone")
    other = next(c for c in _leaders(home) if c != leader)
    refused = own.goto(f"/operations/groupbuy/leaders/{other}")
    assert refused is not None
    assert refused.status == 403
    own.context.close()
