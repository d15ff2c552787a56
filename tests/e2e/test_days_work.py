"""A store chain's day in the console, in a real browser in zh-CN, without the command line.

The administrator creates a 满50减10 coupon and a store manager for the four stores with the
most members (picked from the users page's store list), and logs out. The store manager logs
in, sees the overview scoped to those stores, builds a segment (the rule builder's errors read
in Chinese), and runs the campaign wizard: that segment, the coupon, a 50% holdout, launched.
The administrator runs the outbox job and the demo's response job from the 任务 page: the
messages reach the webhook receiver on loopback (the transport the other campaign tests use)
and the members respond from the demo world's truth; the pipeline measures it, and the store
manager's results page shows the sends, the redemptions and the effect against the holdout
with its 95% interval; then the dashboards are filtered to one store and one month. Every
page visited, at 1440 px and again at 390 px, shows no English or raw code (the
untranslated-text check of ``test_zh_untranslated``).

Waits are on conditions (a selector, a count, a job's outcome), never on time.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest

from tests.demo.instance import AFTER_RESPONSE, run_pipeline
from tests.e2e.conftest import ADMIN, log_in
from tests.e2e.test_campaign_loop import Demo, demo  # noqa: F401 - the demo instance fixture
from tests.e2e.test_zh_untranslated import COLLECT_JS, findings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MANAGER = ("li-dianzhang", "store-manager-pass-1")
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 390, "height": 844}


@contextmanager
def _context(browser: Any, url: str, viewport: dict[str, int]) -> Iterator[Any]:
    """A zh-CN page on the instance; a JavaScript error in it fails the test."""
    context = browser.new_context(
        base_url=url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(60_000)  # a loaded machine: generous waits on conditions
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: d.accept())
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


class Untranslated:
    """What ``test_zh_untranslated`` would find on each page visited, by width and path."""

    def __init__(self) -> None:
        self.found: dict[str, set[str]] = {}

    def check(self, page: Any, label: str) -> None:
        page.wait_for_load_state("networkidle")
        words = findings(page.evaluate(COLLECT_JS))
        path = page.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
        if words:
            self.found.setdefault(f"{label} /{path}", set()).update(words)

    def assert_clean(self) -> None:
        assert not self.found, "untranslated: " + json.dumps(
            {k: sorted(v) for k, v in self.found.items()}, ensure_ascii=False
        )


def _biggest_stores(n: int) -> list[str]:
    """The ``n`` stores with the most members in the published snapshot (by preferred store)."""
    from omniretail.platform.engine.snapshot import run_on_published

    rows = run_on_published(
        lambda e: e.fetch_rows(
            "SELECT preferred_store AS code, count(*) AS n FROM customer_tags "
            "WHERE preferred_store IS NOT NULL GROUP BY 1 ORDER BY n DESC, code LIMIT ?",
            [n],
        )
    )
    return [str(r["code"]) for r in rows]


def _run_job(page: Any, name: str) -> None:
    """Run a job from the 任务 page and wait until its row shows it succeeded (the run happens
    after the response, in the server)."""
    page.goto("/jobs")
    page.click(f"[data-testid='run-{name}']")
    page.wait_for_url(f"**/jobs?started={name}*")
    deadline = time.monotonic() + 300
    row = page.locator(f"tr[data-job='{name}'] [data-testid=outcome]")
    while "成功" not in row.inner_text():
        assert "失败" not in row.inner_text(), f"{name} failed"
        assert time.monotonic() < deadline, f"{name} did not finish in 5 minutes"
        page.wait_for_timeout(500)  # the next look at the page, not an assertion on time
        page.reload()


MONTHLY_JS = """() => {
  const option = echarts.getInstanceByDom(document.getElementById('chart-monthly')).getOption();
  return {periods: option.xAxis[0].data, net: option.series[0].data};
}"""


def _one_store_one_month(page: Any, store: str, seen: Untranslated) -> None:
    """The dashboards filtered to one store and one month with the filter bar: the trend shows
    that month alone, with the store's net sales (more than nothing, no more than the
    manager's four stores together)."""
    ready = "() => !!echarts.getInstanceByDom(document.getElementById('chart-monthly'))"
    page.goto("/dashboards")
    page.wait_for_function(ready)
    scope = page.evaluate(MONTHLY_JS)
    complete = [
        (p, v) for p, v in zip(scope["periods"], scope["net"], strict=True) if "本期未完" not in p
    ]
    assert complete, scope
    month, scope_net = complete[-1]
    first = date.fromisoformat(month[:7] + "-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    page.select_option("[data-testid=filter-store]", store)
    page.select_option("[data-testid=filter-grain]", "month")
    page.fill("[data-testid=filter-start]", first.isoformat())
    page.fill("[data-testid=filter-end]", last.isoformat())
    with page.expect_navigation():
        page.click("[data-testid=filter-apply]")
    page.wait_for_function(ready)
    assert f"store={store}" in page.url
    assert "grain=month" in page.url
    assert page.locator("[data-testid=filter-error]").count() == 0
    assert page.locator("[data-testid=filter-store]").input_value() == store
    one = page.evaluate(MONTHLY_JS)
    assert len(one["periods"]) == 1, one
    assert one["periods"][0][:7] == month[:7]
    assert 0 < one["net"][0] <= scope_net
    seen.check(page, "1440")


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text) or 0)


def test_a_store_managers_day_without_the_command_line(  # type: ignore[no-untyped-def]
    browser,
    demo: Demo,  # noqa: F811 - the imported fixture
    screenshot,
) -> None:
    seen = Untranslated()
    run_pipeline(["omnichannel.master"])  # the stores the users page lists
    stores = _biggest_stores(4)
    code = f"DAY{int(time.time()) % 10**6}"

    # 1. the administrator: the coupon, and a store manager for four stores
    with _context(browser, demo.url, WIDE) as admin:
        log_in(admin, *ADMIN)
        admin.wait_for_url(f"{demo.url}/")
        admin.goto("/coupons")
        admin.click("[data-testid=add-template]")
        form = admin.locator("[data-testid=template-form]")
        form.locator("input[name=code]").fill("DAY10")
        form.locator("input[name=name]").fill("满50减10")
        form.locator("select[name=kind]").select_option("spend_save")
        form.locator("input[name=tiers]").fill("50:10")
        form.locator("input[name=valid_days]").fill("14")
        form.locator("input[name=face_value]").fill("10")
        form.locator("button[type=submit]").click()
        admin.wait_for_selector("[data-testid=created]")
        seen.check(admin, "1440")

        admin.goto("/settings")
        admin.click("[data-testid=add-user]")
        form = admin.locator("form[action='/settings/users']")
        form.wait_for(state="visible")
        form.locator("input[name=username]").fill(MANAGER[0])
        form.locator("input[name=display_name]").fill("李店长")
        form.locator("select[name=role]").select_option("store_manager")
        form.locator("input[name=password]").fill(MANAGER[1])
        options = form.locator("select[name=store_ids] option")
        ids = [
            options.filter(has_text=re.compile(rf"^\s*{s}\b")).first.get_attribute("value")
            for s in stores
        ]
        form.locator("select[name=store_ids]").select_option([str(i) for i in ids])
        form.locator("button[type=submit]").click()
        admin.wait_for_url(f"**/settings?created={MANAGER[0]}")
        assert "李店长" in admin.locator("[data-testid=users]").inner_text()
        seen.check(admin, "1440")
        screenshot(admin, "day-1-admin-users")
        admin.click("[data-testid=user-menu]")
        admin.click("[data-testid=logout]")
        admin.wait_for_url("**/login*")

    # 2. the store manager: the overview, a segment, the campaign
    with _context(browser, demo.url, WIDE) as page:
        log_in(page, *MANAGER)
        page.wait_for_url(f"{demo.url}/")
        page.wait_for_load_state("networkidle")
        assert "李店长" in page.locator("[data-testid=user-menu]").inner_text()
        assert page.locator(".kpi").count() > 0
        seen.check(page, "1440")
        screenshot(page, "day-2-manager-overview")

        page.goto("/segments")
        page.wait_for_function("() => document.getElementById('live-count').textContent !== '—'")
        while page.locator("#rule-editor [data-testid=remove]").count():
            page.locator("#rule-editor [data-testid=remove]").first.click()
        # an empty group is refused in Chinese, naming where
        status = page.locator("#live-status[data-error]")
        status.wait_for()
        assert "条件组至少需要一个条件" in status.inner_text()
        page.locator("#rule-editor [data-add=field]").first.click()
        page.locator("#rule-editor [data-testid=field]").select_option("orders_total")
        page.locator("#rule-editor [data-testid=op]").select_option("gte")
        page.locator("#rule-editor [data-testid=value]").fill("1")
        page.wait_for_function(
            "() => /^[0-9,]+$/.test(document.getElementById('live-count').textContent)"
            " && !document.getElementById('live-status').dataset.error"
        )
        size = _number(page.locator("#live-count").inner_text())
        assert size >= 40, size  # the buyers of four stores
        page.fill("#segment-name", "本店老顾客")
        with page.expect_navigation():  # saved, the page reloads with it in the list
            page.click("[data-testid=save-segment]")
        row = page.locator("[data-testid=saved-segments] tr[data-segment]", has_text="本店老顾客")
        segment = row.get_attribute("data-segment")
        assert segment
        seen.check(page, "1440")
        screenshot(page, "day-3-manager-segment")

        page.goto("/campaigns/new")
        page.fill("[data-testid=campaign-name]", "老顾客回店礼")
        page.fill("input[name=code]", code)
        page.check("input[name=goal][value=repurchase]")
        page.click("[data-testid=next]")
        page.click("[data-testid=audience-segment]")
        page.select_option("[data-testid=segment-select]", segment)
        page.wait_for_function(
            "n => document.querySelector('[data-testid=audience-size]').textContent"
            " === n.toLocaleString()",
            arg=size,
        )
        page.click("[data-testid=next]")
        page.click("[data-testid=offer-coupon]")
        page.select_option("[data-testid=coupon-select]", "DAY10")
        page.fill("[data-testid=content-title]", "老顾客回店礼")
        page.fill("[data-testid=content-body]", "送您满50减10元券，欢迎回店")
        page.click("[data-testid=next]")
        for box in page.locator("[data-testid=channel-list] input[type=checkbox]").all():
            box.uncheck()
        page.check("[data-testid=channel-webhook]")  # the transport with a receiver
        page.click("[data-testid=next]")
        page.click("[data-testid=next]")  # once, at launch
        page.fill("[data-testid=holdout]", "50")
        page.click("[data-testid=next]")
        page.click("[data-testid=create-campaign]")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=risks]').offsetParent !== null"
        )
        seen.check(page, "1440")
        screenshot(page, "day-4-manager-wizard-checked")
        page.click("[data-testid=launch]")
        page.wait_for_selector("[data-testid=launched]", state="visible")
        page.click("[data-testid=open-campaign]")
        page.wait_for_selector("[data-testid=report-kpis]")
        seen.check(page, "1440")

    # 3. the administrator runs the outbox and the demo's responses from the 任务 page
    with _context(browser, demo.url, WIDE) as admin:
        log_in(admin, *ADMIN)
        admin.wait_for_url(f"{demo.url}/")
        before = len(demo.hooks)
        _run_job(admin, "messaging.dispatch")
        assert len(demo.hooks) > before, "the webhook receiver got nothing"
        assert any(f"/r/{code.lower()}:" in str(h.get("link")) for h in demo.hooks)
        _run_job(admin, "demo.respond")
        seen.check(admin, "1440")
        screenshot(admin, "day-5-admin-jobs")
    # the pipeline reads the orders back (the effect) and refreshes the dashboards' tables
    run_pipeline([*AFTER_RESPONSE, "insight.kpis", "insight.basket"])

    # 4. the store manager reads what happened, on a desktop and on a phone
    pages = ["/", "/segments", "/campaigns", f"/campaigns/{code}"]
    for label, viewport in (("1440", WIDE), ("390", NARROW)):
        with _context(browser, demo.url, viewport) as page:
            log_in(page, *MANAGER)
            page.wait_for_url(f"{demo.url}/")
            for path in pages:
                page.goto(path)
                seen.check(page, label)
            kpis = page.locator("[data-testid=report-kpis]")
            sent = _number(kpis.locator("[data-kpi=sent] .kpi-value").inner_text())
            treatment, holdout = (
                _number(x)
                for x in kpis.locator("[data-kpi=arms] .kpi-value").inner_text().split("/")
            )
            assert sent == treatment > 0
            assert 0.4 < holdout / (treatment + holdout) < 0.6  # 50%, split per stratum
            redeemed = kpis.locator("[data-kpi=coupons] .kpi-value").inner_text().split("/")[1]
            assert _number(redeemed) > 0
            effect = page.locator("[data-testid=conversion-effect]").inner_text()
            # the lift against the holdout with its 95% interval (or the interval alone when
            # the arms are too small for a verdict)
            assert re.search(r"-?\d+\.\d+ pp \[-?\d+\.\d+, -?\d+\.\d+\]", effect) or re.search(
                r"\[-?\d+\.\d+, -?\d+\.\d+\] pp", effect
            ), effect
            assert "[" in page.locator("[data-testid=revenue-effect]").inner_text()
            screenshot(page, f"day-6-manager-results-{label}")
            if label == "1440":
                _one_store_one_month(page, stores[0], seen)
                screenshot(page, "day-7-manager-dashboards-one-store-month")
            if label == "390":
                page.goto("/")
                screenshot(page, "day-6-manager-overview-390")
    seen.assert_clean()
