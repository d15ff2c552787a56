"""A marketer's day in a real browser (zh-CN): a ready-made segment saved in one click, a draft
left after 创建并检查 launched from its page (a Chinese confirmation), then cancelled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import TaggedInstance, admin_page, tagged_instance

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaggedInstance]:
    with tagged_instance(tmp_path_factory, "actions") as inst:
        yield inst


@pytest.fixture
def page(browser, instance: TaggedInstance):  # type: ignore[no-untyped-def]
    with admin_page(browser, instance.url, timeout=30_000) as p:
        yield p


def _post(page: Any, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    text = page.evaluate(
        """([url, body]) => fetch(url, {method: "POST",
             headers: {"Content-Type": "application/json", "Accept": "application/json",
                       // the session's CSRF token, as the console's own scripts send it
                       "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')
                         ?.content || ""},
             body: body === null ? undefined : JSON.stringify(body)}).then(r => r.text())""",
        [url, body],
    )
    return dict(json.loads(text))


def test_ready_made_segment_and_a_draft_launched_from_its_page(page, screenshot) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))

    page.goto("/segments")
    page.locator("[data-preset=dormant_high_value]").click()
    assert page.locator("#segment-name").input_value() == "沉睡高价值会员"
    page.wait_for_function("() => document.getElementById('live-count').textContent !== '—'")
    # Saved, the page reloads itself with the segment in its list (600 ms later): wait for that
    # reload rather than navigating over it, which aborts one of the two on a loaded machine.
    with page.expect_navigation():
        page.locator("[data-testid=save-segment]").click()
        page.wait_for_function(
            "() => document.getElementById('save-status').textContent.startsWith('已保存')"
        )
    assert "沉睡高价值会员" in page.locator("[data-testid=saved-segments]").inner_text()

    code = f"ACT{int(time.time() * 1000) % 10**9}"
    made = _post(
        page,
        "/api/v1/campaigns",
        {
            "code": code,
            "name": "老客回购",
            "goal": "repurchase",
            "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
            "channels": ["file"],
            "holdout_share": 0.2,
        },
    )
    assert made.get("code") == code, made
    _post(page, f"/api/v1/campaigns/{code}/risks")  # 创建并检查, then left as a draft

    page.goto(f"/campaigns/{code}")
    assert page.locator("[data-testid=action-edit]").is_visible()
    page.locator("[data-testid=action-launch]").click()
    page.locator("[data-testid=action-done]").wait_for()
    assert "已启动" in page.locator("[data-testid=action-done]").inner_text()
    assert any("确定现在启动活动" in m for m in dialogs), dialogs
    assert page.locator("[data-testid=action-launch]").count() == 0
    screenshot(page, "campaign-launched-from-page")

    page.locator("[data-testid=action-cancel]").click()
    page.locator("[data-testid=action-done]").wait_for()
    assert "已取消" in page.locator("[data-testid=action-done]").inner_text()
    assert page.locator("[data-status=cancelled]").count() >= 1


def test_a_draft_is_edited_in_the_wizard(page) -> None:  # type: ignore[no-untyped-def]
    code = f"EDIT{int(time.time() * 1000) % 10**9}"
    made = _post(
        page,
        "/api/v1/campaigns",
        {
            "code": code,
            "name": "待修改的草稿",
            "goal": "repurchase",
            "audience": {"rule": {"all": [{"field": "orders_total", "op": "gte", "value": 1}]}},
            "channels": ["sms", "file"],
            "holdout_share": 0.3,
        },
    )
    assert made.get("code") == code, made
    page.goto(f"/campaigns/{code}")
    page.locator("[data-testid=action-edit]").click()
    name = page.locator("[data-testid=campaign-name]")
    name.wait_for()
    assert name.input_value() == "待修改的草稿"  # the draft loaded into the wizard
    name.fill("改好的草稿")
    for _ in range(6):
        page.click("[data-testid=next]")
    assert page.locator("[data-testid=create-campaign]").inner_text() == "保存并检查"
    page.click("[data-testid=create-campaign]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=risks]').offsetParent !== null"
    )
    saved = page.evaluate("(url) => fetch(url).then(r => r.json())", f"/api/v1/campaigns/{code}")
    assert saved["name"] == "改好的草稿"
    assert saved["channels"] == ["sms", "file"]  # the order kept
    assert saved["holdout_share"] == 0.3
    assert saved["audience"]["rule"] == {
        "all": [{"field": "orders_total", "op": "gte", "value": 1}]
    }


def _set_control(page: Any, pct: str) -> None:
    """Set the global control group's share on its console page (it asks to confirm)."""
    page.goto("/global-control")
    page.fill("[data-testid=share-pct]", pct)
    page.click("[data-testid=save-control]")
    page.locator("[data-testid=saved]").wait_for()


def test_the_wizard_includes_the_global_control_group_on_request(page, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.on("dialog", lambda d: d.accept())
    _set_control(page, "20")
    try:
        code = f"GCI{int(time.time() * 1000) % 10**9}"
        page.goto("/campaigns/new")
        page.fill("[data-testid=campaign-name]", "门店停业通知")
        page.fill("input[name=code]", code)
        page.check("input[name=goal][value=care]")
        page.click("[data-testid=next]")
        page.click("[data-testid=audience-rule]")
        page.click("[data-testid=add-condition]")
        page.select_option("[data-testid=condition-field]", "orders_total")
        page.select_option("[data-testid=condition-op]", "gte")
        page.fill("[data-testid=condition-value]", "1")
        rule = {"all": [{"field": "orders_total", "op": "gte", "value": 1}]}
        size = _post(page, "/api/v1/segments/preview", {"rule": rule, "breakdown": False})["count"]
        help_text = page.locator("[data-testid=global-control-help]").inner_text()
        assert "全局对照组（占全部客户的 20%）" in help_text
        box = page.locator("[data-testid=include-global-control]")
        assert not box.is_checked()  # left out unless asked
        box.check()
        screenshot(page, "campaign-wizard-global-control")
        for _ in range(5):
            page.click("[data-testid=next]")
        review = page.locator("[data-testid=review-global-control]")
        assert review.inner_text() == "包含：对照组的客户也会收到本活动"
        page.click("[data-testid=create-campaign]")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=risks]').offsetParent !== null"
        )
        # nobody is left out for the group: the check counts the whole audience
        warnings = page.locator("[data-testid=warnings]").inner_text()
        assert "全局对照组" not in warnings
        saved = page.evaluate("(u) => fetch(u).then(r => r.json())", f"/api/v1/campaigns/{code}")
        assert saved["audience"]["include_global_control"] is True
        assert saved["risks"]["audience"] == size
        page.click("[data-testid=open-campaign]")
        shown = page.locator("[data-testid=global-control]")
        shown.wait_for()
        assert shown.inner_text() == "包含：对照组的客户也会收到本活动"
        screenshot(page, "campaign-page-global-control")

        # the same wizard without the tick leaves the group out, and says how many
        page.goto(f"/campaigns/{code}/edit")
        page.locator("[data-testid=campaign-name]").wait_for()
        page.click("[data-step=audience]")
        assert page.locator("[data-testid=include-global-control]").is_checked()
        page.uncheck("[data-testid=include-global-control]")
        page.click("[data-step=review]")
        assert "留出" in page.locator("[data-testid=review-global-control]").inner_text()
        page.click("[data-testid=create-campaign]")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=risks]').offsetParent !== null"
        )
        saved = page.evaluate("(u) => fetch(u).then(r => r.json())", f"/api/v1/campaigns/{code}")
        assert "include_global_control" not in saved["audience"]
        left = saved["risks"]["left_out"]["global_control"]
        assert left > 0
        assert saved["risks"]["audience"] == size - left
        assert "位会员属于全局对照组" in page.locator("[data-testid=warnings]").inner_text()
    finally:
        _set_control(page, "0")
