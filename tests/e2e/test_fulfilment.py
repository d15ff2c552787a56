"""门店履约 in the browser on a phone-sized screen: a pickup order is picked, made ready, its
code verified at the counter and handed over; a wrong code shows the Chinese error."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _seed(server: LiveServer) -> int:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post(
            "/api/v1/auth/login", json={"username": server.admin[0], "password": server.admin[1]}
        )
        r.raise_for_status()
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        c.put(
            "/api/v1/inventory/locations",
            json={
                "code": "E2E1",
                "name": "南京西路店",
                "latitude": 31.2304,
                "longitude": 121.4737,
            },
        ).raise_for_status()
        c.put("/api/v1/inventory/items", json={"sku": "E2E-SKU", "name": "每日坚果"})
        c.post(
            "/api/v1/inventory/movements",
            json={
                "kind": "receipt",
                "location": "E2E1",
                "sku": "E2E-SKU",
                "quantity": 5,
                "key": "e2e-receipt",
            },
        ).raise_for_status()
        r = c.post(
            "/api/v1/fulfilments",
            json={
                "order_ref": "E2E-WX-1",
                "channel": "miniprogram",
                "customer_id": "C-E2E",
                "mode": "pickup",
                "pickup_store": "E2E1",
                "lines": [
                    {"line_ref": "1", "sku": "E2E-SKU", "quantity": 2, "unit_price_fen": 3990}
                ],
            },
        )
        r.raise_for_status()
        return int(r.json()[0]["id"])


def test_pickup_at_the_counter_on_a_phone(browser, live_server: LiveServer, screenshot) -> None:  # type: ignore[no-untyped-def]
    fid = _seed(live_server)
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, *live_server.admin)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/omnichannel/fulfilment?store=E2E1")
    page.click(f"a.ful-card[data-id='{fid}']")
    assert "拣货单" in page.content()
    page.click("[data-testid=do-start_picking]")
    page.click("[data-testid=do-mark_ready]")
    code = page.locator("[data-testid=pickup-code]").inner_text().strip()
    assert re.fullmatch(r"\d{8}", code)
    screenshot(page, "fulfilment-ready-phone")
    page.goto("/omnichannel/fulfilment/verify?store=E2E1")
    page.fill("[data-testid=code]", "00000000")
    page.click("[data-testid=verify]")
    assert "提货码错误" in page.locator("[data-testid=error]").inner_text()
    page.fill("[data-testid=code]", code)
    page.click("[data-testid=verify]")
    done = page.locator("[data-testid=handed-over]").inner_text()
    assert "E2E-WX-1" in done
    screenshot(page, "fulfilment-handed-over-phone")
    page.goto("/omnichannel/fulfilment/kpi")
    assert "自提率" in page.content()
    context.close()
    assert not errors, errors
