"""A recurring campaign in a real browser: the wizard's schedule step (weekly at a time of day,
from a date until a date, in the local zone), its checks (in the page, and the server's for a
schedule that would never run), the review; then two runs launched by the scheduler's CLI and
the campaign page with the next run and the per-run report.

The instance has an analytics snapshot with member tags (the campaign tests' small insight
world), so the scheduler's launches really run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    TaggedInstance,
    admin_page,
    run_cli,
    tagged_instance,
)

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaggedInstance]:
    with tagged_instance(tmp_path_factory, "recurring") as inst:
        yield inst


@pytest.fixture
def page(browser, instance: TaggedInstance):  # type: ignore[no-untyped-def]
    with admin_page(browser, instance.url, timeout=30_000) as p:
        yield p


def _to_schedule(page, code: str = "WEEKLY-E2E", name: str = "每周回购提醒") -> None:  # type: ignore[no-untyped-def]
    page.goto("/campaigns/new")
    page.wait_for_selector("[data-testid=campaign-wizard] [data-step=goal]")
    page.fill("[data-testid=campaign-name]", name)
    page.fill("input[name=code]", code)
    page.check("input[name=goal][value=repurchase]")
    page.click("[data-testid=next]")
    page.click("[data-testid=audience-rule]")
    page.click("[data-testid=add-condition]")
    page.select_option("[data-testid=condition-field]", "orders_total")
    page.select_option("[data-testid=condition-op]", "gte")
    page.fill("[data-testid=condition-value]", "1")
    page.wait_for_function(
        "() => /^[0-9,]+$/.test(document.querySelector('[data-testid=audience-size]')"
        ".textContent.trim())"
    )
    page.click("[data-testid=next]")
    page.click("[data-testid=offer-content]")
    page.fill("[data-testid=content-title]", "本周回购礼")
    page.fill("[data-testid=content-body]", "老朋友，本周门店新品等你来尝")
    page.click("[data-testid=next]")
    page.click("[data-testid=next]")  # channels: the defaults (WeChat, SMS)


def _review(page) -> str:  # type: ignore[no-untyped-def]
    page.click("[data-testid=next]")  # schedule → budget
    page.click("[data-testid=next]")  # budget → review
    return str(page.locator("[data-testid=review-facts]").inner_text())


def test_a_weekly_campaign_from_the_wizard_runs_and_reports_each_run(  # type: ignore[no-untyped-def]
    page, instance: TaggedInstance, screenshot
) -> None:
    _to_schedule(page)
    page.check("[data-testid=schedule-recurring]")
    fields = page.locator("[data-testid=recurring-fields]")
    fields.wait_for(state="visible")
    # the page's own checks: no first date; a last date before the first
    page.click("[data-testid=next]")
    errors = page.locator("[data-testid=wizard-errors]")
    errors.wait_for()
    assert "schedule.at" in errors.inner_text()
    assert "请选择首次执行日期" in errors.inner_text()
    page.select_option("[data-testid=recurring-every]", "7")
    page.fill("[data-testid=recurring-time]", "10:00")
    page.fill("[data-testid=recurring-start]", "2020-01-08")
    page.fill("[data-testid=recurring-end]", "2020-01-01")
    page.click("[data-testid=next]")
    assert "schedule.until" in errors.inner_text()
    assert "最后执行日期早于首次执行日期" in errors.inner_text()

    # the server's check: a schedule whose last run has already passed would never run
    page.fill("[data-testid=recurring-end]", "2020-01-31")
    summary = page.locator("[data-testid=recurring-summary]").inner_text()
    assert "每周 10:00，自 2020-01-08 起，至 2020-01-31" in summary
    assert "Asia/Shanghai" in summary
    facts = _review(page)
    assert "每周 10:00，自 2020-01-08 起，至 2020-01-31" in facts
    page.click("[data-testid=create-campaign]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=wizard-errors]').offsetParent !== null"
    )
    # in the console's language, not the API's English
    assert "schedule.until" in errors.inner_text()
    assert "最后执行日期已过" in errors.inner_text()
    assert "already passed" not in errors.inner_text()
    errors.locator("button").first.click()  # "Fix" goes back to the schedule step
    fields.wait_for(state="visible")
    # ... and next to the field the server named, until the user edits that field
    near = page.locator("[data-field='schedule.until'] .field-error")
    near.wait_for()
    assert "最后执行日期已过" in near.inner_text()
    screenshot(page, "campaign-wizard-server-error")
    page.fill("[data-testid=recurring-reentry]", "3")  # another field: the error stays
    assert near.count() == 1

    start = datetime.now(SHANGHAI).date() + timedelta(days=1)
    end = start + timedelta(days=20)
    page.fill("[data-testid=recurring-start]", start.isoformat())
    page.fill("[data-testid=recurring-end]", end.isoformat())
    # Alpine hides the list on its next tick and places field errors in a timeout: wait for it
    expect(near).to_have_count(0)
    expect(errors).to_be_hidden()
    screenshot(page, "campaign-wizard-recurring-schedule")
    facts = _review(page)
    assert f"每周 10:00，自 {start} 起，至 {end}" in facts
    assert "跳过最近 3 天内已触达的会员" in facts
    page.click("[data-testid=create-campaign]")
    page.wait_for_selector("[data-testid=risks]", state="visible")
    note = page.locator("[data-testid=scheduled-note]")
    assert f"{start} 10:00" in note.inner_text()
    assert not page.locator("[data-testid=launch]").is_visible()  # the scheduler launches it
    screenshot(page, "campaign-wizard-recurring-review")

    saved = json.loads(page.evaluate("fetch('/api/v1/campaigns/WEEKLY-E2E').then(r => r.text())"))
    assert saved["kind"] == "recurring"
    assert saved["status"] == "scheduled"
    assert saved["schedule"] == {
        "at": f"{start}T10:00:00+08:00",
        "every_days": 7,
        "until": f"{end}T23:59:59+08:00",
        "reentry_days": 3,
    }

    page.goto("/campaigns/WEEKLY-E2E")
    assert f"#1 · {start} 10:00" in page.locator("[data-testid=next-run]").inner_text()

    # the scheduler (cron's `omniretail campaign run-due`) at the first two runs' times
    for week in (0, 1):
        day = start + timedelta(days=7 * week)
        run_cli(instance.env, "campaign", "run-due", "--at", f"{day}T10:05:00+08:00")
    report = json.loads(
        page.evaluate("fetch('/api/v1/campaigns/WEEKLY-E2E/report').then(r => r.text())")
    )
    assert [r["run"] for r in report["runs"]] == [1, 2]
    assert all(r["audience"] > 0 for r in report["runs"])

    page.goto("/campaigns/WEEKLY-E2E")
    page.wait_for_selector("[data-testid=table-runs]")
    rows = page.locator("[data-testid=table-runs] tbody tr")
    assert rows.count() == 2
    assert f"{start} 10:05" in rows.nth(0).inner_text()
    assert f"{start + timedelta(days=7)} 10:05" in rows.nth(1).inner_text()
    assert str(report["runs"][0]["audience"]) in rows.nth(0).inner_text().replace(",", "")
    nxt = page.locator("[data-testid=next-run]").inner_text()
    assert f"#3 · {start + timedelta(days=14)} 10:00" in nxt
    assert "每周 10:00" in page.locator("[data-testid=schedule-text]").inner_text()
    assert f"已启动 {start} 10:05" in page.locator("p.subtitle").first.inner_text()
    screenshot(page, "campaign-report-runs")


def test_a_monthly_campaign_on_the_31st_from_the_wizard(
    page, instance: TaggedInstance, screenshot
) -> None:  # type: ignore[no-untyped-def]
    from omniretail.marketing.campaign.schedule import run_time

    _to_schedule(page, code="MONTHLY-E2E", name="每月会员日")
    page.check("[data-testid=schedule-recurring]")
    page.locator("[data-testid=recurring-fields]").wait_for(state="visible")
    page.select_option("[data-testid=recurring-every]", "monthly")
    day = page.locator("[data-testid=recurring-day-of-month]")
    day.fill("32")
    start = datetime.now(SHANGHAI).date() + timedelta(days=1)
    page.fill("[data-testid=recurring-start]", start.isoformat())
    page.fill("[data-testid=recurring-time]", "09:30")
    page.click("[data-testid=next]")
    near = page.locator("[data-field='schedule.day_of_month'] .field-error")
    near.wait_for()
    assert "每月几号须为 1 到 31 之间的整数" in near.inner_text()
    day.fill("31")
    expect(near).to_have_count(0)
    expect(page.locator("[data-testid=monthly-rule]")).to_be_visible()
    summary = page.locator("[data-testid=recurring-summary]").inner_text()
    assert f"每月 31 号（没有该日的月份在当月最后一天） 09:30，自 {start} 起" in summary
    screenshot(page, "campaign-wizard-monthly-schedule")
    facts = _review(page)
    assert "每月 31 号" in facts
    page.click("[data-testid=create-campaign]")
    page.wait_for_selector("[data-testid=risks]", state="visible")
    saved = json.loads(page.evaluate("fetch('/api/v1/campaigns/MONTHLY-E2E').then(r => r.text())"))
    assert saved["schedule"] == {"at": f"{start}T09:30:00+08:00", "day_of_month": 31}
    first = run_time(saved["schedule"], 1)
    assert first.day in (28, 29, 30, 31)
    page.goto("/campaigns/MONTHLY-E2E")
    assert f"#1 · {first:%Y-%m-%d} 09:30" in page.locator("[data-testid=next-run]").inner_text()
    assert "每月 31 号" in page.locator("[data-testid=schedule-text]").inner_text()


def test_the_english_console_keeps_the_servers_english_message(  # type: ignore[no-untyped-def]
    page, instance: TaggedInstance
) -> None:
    page.context.add_cookies([{"name": "omniretail_lang", "value": "en", "url": instance.url}])
    _to_schedule(page, code="EN-E2E", name="English check")
    page.check("[data-testid=schedule-recurring]")
    page.locator("[data-testid=recurring-fields]").wait_for(state="visible")
    page.fill("[data-testid=recurring-time]", "10:00")
    page.fill("[data-testid=recurring-start]", "2020-01-08")
    page.fill("[data-testid=recurring-end]", "2020-01-31")
    _review(page)
    page.click("[data-testid=create-campaign]")
    errors = page.locator("[data-testid=wizard-errors]")
    errors.wait_for()
    assert "already passed" in errors.inner_text()
    errors.locator("button").first.click()
    near = page.locator("[data-field='schedule.until'] .field-error")
    near.wait_for()
    assert "already passed" in near.inner_text()
