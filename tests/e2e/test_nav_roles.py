"""A group-buy leader (团长) on a 390 px phone: the navigation offers only what the role may
open — their point's workbench and their account — and a chain page reached by its address
says in Chinese that the role cannot open it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LEADER = ("nvl1", "leader-pass-nv1")


def _seed(server: LiveServer) -> None:
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.schemas import StoreCreate
    from omniretail.operations.groupbuy import service
    from omniretail.operations.groupbuy.schemas import LeaderApply, LeaderDecision
    from omniretail.platform.auth import service as auth_service
    from omniretail.platform.db import make_engine

    engine = make_engine(f"sqlite:///{server.home / 'omniretail.db'}")
    with Session(engine) as s:
        store_service.upsert_stores(s, stores=[StoreCreate(code="NV1", name="导航测试店")])
        service.apply_leader(s, data=LeaderApply(
            code=LEADER[0], name="周阿姨", store_code="NV1", point_name="周阿姨便利店",
            address="武汉市江汉区 1 栋", latitude=30.58, longitude=114.29, capacity=50,
        ))  # fmt: skip
        service.decide_leader(s, code=LEADER[0], data=LeaderDecision(approve=True))
        auth_service.ensure_user(s, username=LEADER[0], password=LEADER[1], role="leader",
                                 display_name="周阿姨", store_ids=[])  # fmt: skip
        s.commit()
    engine.dispose()


def test_a_leader_on_a_phone_sees_only_their_pages(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, screenshot
) -> None:
    _seed(live_server)
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, *LEADER)
    page.wait_for_url(f"{live_server.url}/operations/groupbuy/leaders/{LEADER[0]}")
    items = page.locator("nav.nav a.nav-item")
    assert items.evaluate_all("els => els.map((e) => e.dataset.nav)") == ["groupbuy", "settings"]
    assert items.first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "leader-nav-phone")

    refused = page.goto("/customers")
    assert refused is not None
    assert refused.status == 403
    assert "您的角色无权打开此页面" in page.inner_text("main")
    assert page.locator("nav.nav a.nav-item").count() == 2
    page.locator("nav.nav a[data-nav=groupbuy]").click()
    page.wait_for_url(f"{live_server.url}/operations/groupbuy/leaders/{LEADER[0]}")
    context.close()
    assert not errors, errors
