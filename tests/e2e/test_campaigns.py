"""The campaign wizard in a real browser: walk every step, create a campaign, open its page."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.browser


def test_wizard_creates_a_campaign(logged_in_page, live_server, screenshot) -> None:  # type: ignore[no-untyped-def]
    page = logged_in_page
    code = f"E2E{int(time.time() * 1000) % 10**9}"
    page.goto("/campaigns")
    page.click("[data-testid=new-campaign]")
    page.wait_for_selector("[data-testid=campaign-wizard] [data-step=goal]")

    # 1. goal: "next" refuses until a name and a goal are given, naming the fields
    page.click("[data-testid=next]")
    errors = page.locator("[data-testid=wizard-errors]")
    errors.wait_for()
    assert "name" in errors.inner_text()
    assert "goal" in errors.inner_text()
    page.fill("[data-testid=campaign-name]", "浏览器测试活动")
    page.fill("input[name=code]", code)
    page.check("input[name=goal][value=repurchase]")
    page.click("[data-testid=next]")

    # 2. audience: a simple rule; the live size answers (a count, or the reason there is none)
    page.click("[data-testid=audience-rule]")
    page.click("[data-testid=add-condition]")
    page.select_option("[data-testid=condition-field]", "orders_total")
    page.select_option("[data-testid=condition-op]", "gte")
    page.fill("[data-testid=condition-value]", "1")
    status = page.locator("[data-testid=audience-status]")
    page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=audience-status]').textContent;"
        " return t && t !== '计算中…'; }"
    )
    assert status.inner_text().strip()
    page.click("[data-testid=next]")

    # 3. offer: content only
    page.click("[data-testid=offer-content]")
    page.fill("[data-testid=content-title]", "春季回购礼")
    page.fill("[data-testid=content-body]", "老朋友，门店新品等你来尝")
    page.click("[data-testid=next]")

    # 4. channels: in the default order wechat, wecom, app_push, sms, email; move email first
    page.check("[data-testid=channel-email]")
    up = page.locator("[data-channel=email] button", has_text="↑")
    for _ in range(4):
        up.click()
    assert up.is_disabled()  # first in the fallback order
    assert page.locator("[data-testid=channel-list] li").first.get_attribute("data-channel") == (
        "email"
    )
    page.click("[data-testid=next]")

    # 5. schedule (once, at launch) and 6. budget
    page.click("[data-testid=next]")
    page.fill("[data-testid=budget]", "500")
    page.fill("[data-testid=holdout]", "20")
    page.click("[data-testid=next]")

    # 7. review → create → risk check (problems/warnings, or the reason it cannot run)
    facts = page.locator("[data-testid=review-facts]").inner_text()
    assert "浏览器测试活动" in facts
    assert code in facts
    assert facts.index("邮箱") < facts.index("微信") < facts.index("短信")
    page.click("[data-testid=create-campaign]")
    page.wait_for_selector("[data-testid=open-campaign]", state="visible")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=risks]').offsetParent !== null"
        " || document.querySelector('[data-testid=wizard-errors]').offsetParent !== null"
    )
    screenshot(page, "campaign-wizard-review")
    if not page.locator("[data-testid=risks]").is_visible():  # the check failed: no launch
        assert page.locator("[data-testid=wizard-errors]").inner_text().strip()
        assert page.locator("[data-testid=launch]").is_disabled()

    saved = json.loads(page.evaluate(f"fetch('/api/v1/campaigns/{code}').then(r => r.text())"))
    assert saved["channels"] == ["email", "wechat", "sms"]
    assert saved["holdout_share"] == pytest.approx(0.2)
    assert saved["audience"] == {
        "rule": {"all": [{"field": "orders_total", "op": "gte", "value": 1}]}
    }
    assert saved["status"] == "draft"

    page.click("[data-testid=open-campaign]")
    page.wait_for_url(f"**/campaigns/{code}")
    page.wait_for_selector("[data-testid=report-kpis]")
    assert "浏览器测试活动" in page.locator("h1").inner_text()
    screenshot(page, "campaign-report-draft")

    page.goto("/campaigns")
    row = page.locator(f"tr[data-campaign={code}]")
    row.wait_for()
    assert "草稿" in row.inner_text()
    screenshot(page, "campaign-list")
