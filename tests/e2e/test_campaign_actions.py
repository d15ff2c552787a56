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
    page.locator("[data-testid=save-segment]").click()
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.startsWith('已保存')"
    )
    page.wait_for_load_state("networkidle")
    page.goto("/segments")
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
