"""The console in a real browser: log in, switch language, the dashboard's charts, log out."""

from __future__ import annotations

import pytest

from omniretail.platform.console import nav
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

CHARTS = ("sales_by_day", "by_channel", "by_province", "region_map", "top_stores")

# For each chart: its canvas size and how many data points its series carry.
CHART_STATE_JS = """
(keys) => keys.map((key) => {
  const el = document.getElementById('chart-' + key);
  const chart = echarts.getInstanceByDom(el);
  const canvas = el.querySelector('canvas');
  const series = chart ? chart.getOption().series : [];
  return {
    key,
    instance: !!chart,
    width: canvas ? canvas.width : 0,
    height: canvas ? canvas.height : 0,
    points: series.map((s) => (s.data || []).filter((d) => {
      const v = d !== null && typeof d === 'object' && !Array.isArray(d) ? d.value : d;
      return v !== undefined && v !== null && !(typeof v === 'number' && isNaN(v));
    }).length),
  };
})
"""


def test_wrong_password_shows_an_error(console_page, live_server, screenshot) -> None:
    log_in(console_page, live_server.admin[0], "wrong-password")
    error = console_page.locator("[data-testid=login-error]")
    error.wait_for()
    assert "用户名或密码错误" in error.inner_text()
    assert console_page.input_value("input[name=username]") == live_server.admin[0]
    screenshot(console_page, "login-error")


def test_anonymous_visit_returns_to_the_page_after_login(console_page, live_server) -> None:
    console_page.goto("/settings")
    assert console_page.url.endswith("/login?next=/settings")
    console_page.fill("input[name=username]", live_server.admin[0])
    console_page.fill("input[name=password]", live_server.admin[1])
    console_page.click("form.login-form button[type=submit]")
    console_page.wait_for_url(f"{live_server.url}/settings")
    assert console_page.locator("[data-nav=settings]").get_attribute("aria-current") == "page"


def test_dashboard_renders_its_charts(logged_in_page, live_server, screenshot) -> None:
    page = logged_in_page
    page.wait_for_selector("#overview[data-loaded=true]")
    assert page.locator("h1").inner_text() == "概览"
    assert page.locator("[data-role=admin]").inner_text() == "管理员"
    states = page.evaluate(CHART_STATE_JS, list(CHARTS))
    for state in states:
        assert state["instance"], state
        assert state["width"] > 100, state
        assert state["height"] > 100, state
        assert state["points"], state
        assert all(n > 0 for n in state["points"]), state
    by_key = {s["key"]: s for s in states}
    assert by_key["sales_by_day"]["points"] == [90, 90]  # default period: 90 days
    assert by_key["by_channel"]["points"] == [len(live_server.seed.channels)]
    assert by_key["region_map"]["points"] == [6, 8]  # 6 provinces shaded, 8 stores
    assert page.evaluate("() => !!echarts.getMap('china')")
    orders = page.locator("[data-kpi=orders] .kpi-value").inner_text()
    assert orders.replace(",", "") == str(len(live_server.seed.paid()))
    screenshot(page, "overview-zh")


def test_period_switch_and_csv_export(logged_in_page, live_server) -> None:
    page = logged_in_page
    page.click("[data-days='30']")
    page.wait_for_url("**/?days=30")
    page.wait_for_selector("#overview[data-loaded=true]")
    points = page.evaluate(CHART_STATE_JS, ["sales_by_day"])[0]["points"]
    assert points == [30, 30]
    with page.expect_download() as download:
        page.click("[data-csv=by_channel]")
    path = download.value.path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "渠道编码,名称,英文名称,渠道类型,销售额（元）,订单数"
    assert "门店收银" in text


def test_switch_language(logged_in_page, live_server, screenshot) -> None:
    page = logged_in_page
    page.click("button[data-lang=en]")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("#overview[data-loaded=true]")
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator("[data-nav=customers]").inner_text().strip() == "Customers"
    assert page.locator("[data-kpi=sales] .kpi-label").inner_text() == "Sales"
    legend = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-by_channel'))"
        ".getOption().series[0].data.map((d) => d.name)"
    )
    assert "Store POS" in legend
    screenshot(page, "overview-en")
    page.click("button[data-lang=zh_CN]")
    page.wait_for_selector("html[lang=zh-CN]")
    assert page.locator("[data-nav=customers]").inner_text().strip() == "客户"


def test_navigation(logged_in_page, live_server) -> None:
    page = logged_in_page
    links = page.eval_on_selector_all("[data-nav]", "els => els.map((e) => e.getAttribute('href'))")
    assert links == [item.href for item in nav.items()]
    page.click("[data-nav=settings]")
    page.wait_for_url(f"{live_server.url}/settings")
    assert page.locator("[data-nav=settings]").get_attribute("aria-current") == "page"
    assert page.locator("h1").inner_text() == "系统设置"
    page.click("[data-nav=overview]")
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_selector("#overview[data-loaded=true]")


def test_logout(logged_in_page, live_server) -> None:
    page = logged_in_page
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server.url}/login")
    page.goto("/")
    assert page.url == f"{live_server.url}/login"
