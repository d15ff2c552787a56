"""补货建议 on a phone-sized screen: make suggestions, approve one with an edited quantity,
reject one, see who decided; then the forecast-vs-actual page draws its chart."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bench.insight_world import world_tables

from omniretail.insight.forecast import service
from omniretail.omnichannel.product import service as products
from omniretail.omnichannel.product.schemas import ProductCreate
from omniretail.omnichannel.store import service as stores
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform.db import session_scope
from tests.e2e.conftest import ADMIN, CHROMIUM, CHROMIUM_ARGS, log_in, run_cli, serve_console
from tests.insight.forecast.test_suggestions import publish_forecasts

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}


def test_review_and_approve_on_a_phone(home: Path, screenshot: Any) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (run `make system-deps`)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    run_cli(env, "init")
    run_cli(env, "users", "create", "--username", ADMIN[0], "--role", "admin",
            "--display-name", "王店长", "--password", ADMIN[1])  # fmt: skip
    small_world = world_tables(customers=300)
    publish_forecasts(small_world)
    code = service.forecast_store_codes()[0]
    skus = sorted({r["sku"] for r in small_world["dim_product"].to_pylist()})
    with session_scope() as s:
        stores.create_store(s, data=StoreCreate(code=code, name="武汉光谷店"))
        products.upsert_products(
            s,
            products=[
                ProductCreate(sku=k, name=k, price=Decimal("12.80"), pack_size=2) for k in skus
            ],
        )
    from playwright.sync_api import sync_playwright

    with serve_console(env, home / "server.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
            is_mobile=True, has_touch=True,
        )  # fmt: skip
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, *ADMIN)
        page.wait_for_url(f"{url}/")
        page.goto("/omnichannel/replenishment")
        assert "补货建议" in page.title()
        page.click("[data-testid=make-suggestions]")
        page.wait_for_url(f"**/omnichannel/replenishment?store={code}")
        items = page.locator("[data-testid=suggestion][data-status=proposed]")
        assert items.count() > 1
        # the page fits the phone: no horizontal scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        first = items.nth(0)
        sku = first.get_attribute("data-sku")
        qty = first.locator("[data-testid=quantity]")
        qty.fill("7")  # not whole packs of 2: the form refuses it before sending
        first.locator("[data-testid=approve]").click()
        assert qty.evaluate("el => el.validity.stepMismatch") is True
        assert first.get_attribute("data-status") == "proposed"
        row = page.locator(f"[data-sku='{sku}']")
        row.locator("[data-testid=quantity]").fill("8")
        row.locator("[data-testid=approve]").click()
        page.locator(f"[data-sku='{sku}'][data-status=approved]").wait_for()
        decided = page.locator(f"[data-sku='{sku}'] [data-testid=decided]").inner_text()
        assert ADMIN[0] in decided
        second = page.locator("[data-testid=suggestion][data-status=proposed]").nth(0)
        sku2 = second.get_attribute("data-sku")
        second.locator("[data-testid=reject]").click()
        page.locator(f"[data-sku='{sku2}'][data-status=rejected]").wait_for()
        screenshot(page, "replenishment-phone", full_page=False)

        with session_scope() as s:
            done = {r.sku: r for r in service.list_suggestions(s, store_code=code)}
        assert (done[str(sku)].status, done[str(sku)].approved_qty) == ("approved", 8)
        assert done[str(sku)].decided_by == ADMIN[0]
        assert done[str(sku2)].status == "rejected"

        page.goto("/omnichannel/forecast")
        page.locator("#chart-fva canvas").wait_for()
        assert page.locator("[data-testid=weeks] tbody tr").count() == 8
        screenshot(page, "forecast-vs-actual-phone")
        context.close()
        browser.close()
    assert not errors, errors
