"""The insight console pages in a real browser (Debian chromium through Playwright), on a live
server whose published snapshot holds the small insight world."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.e2e.conftest import (
    ADMIN,
    VENDOR,
    VIEWPORT,
    LiveServer,
    browser,  # noqa: F401 - the session's chromium
    log_in,
    screenshot,  # noqa: F401
    screenshot_dir,  # noqa: F401
    serve_console,
)
from tests.insight.conftest import load_world, run_insight
from tests.web.seed import make_seed

pytestmark = pytest.mark.browser

CHART_POINTS_JS = """
(keys) => keys.map((key) => {
  const el = document.getElementById(key);
  const chart = el && echarts.getInstanceByDom(el);
  const series = chart ? chart.getOption().series : [];
  return {key, instance: !!chart,
          points: series.reduce((n, s) => n + (s.data || []).length + (s.links || []).length, 0)};
})
"""


@pytest.fixture(scope="module")
def insight_server(tmp_path_factory, small_world) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    if not (VENDOR / "echarts.min.js").exists():
        pytest.fail("the console's JavaScript is not built: run `make assets`")
    home = tmp_path_factory.mktemp("insight-e2e") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    server = LiveServer(url="", home=home, env=env, seed=make_seed(), log=home / "server.log")
    server.cli("init")
    server.cli(
        "users", "create", "--username", ADMIN[0], "--role", "admin", "--password", ADMIN[1],
    )  # fmt: skip
    engine = DuckDBEngine(home / "analytics" / "published.duckdb")
    load_world(engine, small_world)
    run_insight(engine, home)
    engine.close()
    with serve_console(env, server.log) as url:
        server.url = url
        yield server


@pytest.fixture
def page(browser, insight_server):  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(
        base_url=insight_server.url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(30_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(f"{exc} @ {p.url} {exc.stack}"))
    p.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
    )
    log_in(p, *ADMIN)
    p.wait_for_url(f"{insight_server.url}/")
    # let the overview finish drawing before the test navigates away: a chart still being
    # drawn into a page that is unloading is not what these tests are about
    p.wait_for_load_state("networkidle")
    yield p
    context.close()
    assert not errors, f"errors in the page: {errors}"


def test_segment_builder_live_count(page, screenshot) -> None:  # noqa: F811
    page.goto("/segments")
    count = page.locator("[data-testid=live-count]")
    page.wait_for_function(
        "() => /\\d/.test(document.querySelector('[data-testid=live-count]').textContent)"
    )
    first = int(count.inner_text().replace(",", ""))
    assert first > 0
    states = page.evaluate(
        CHART_POINTS_JS, [f"chart-breakdown-{k}" for k in ("store", "region", "channel", "tier")]
    )
    assert all(s["instance"] and s["points"] > 0 for s in states), states
    # add an OR group, then narrow the rule with a condition: the count changes
    page.locator("[data-add=field]").first.click()
    page.wait_for_function(
        "(first) => document.querySelector('[data-testid=live-count]')"
        ".textContent.replace(/,/g, '') != first",
        arg=str(first),
    )
    second = int(count.inner_text().replace(",", ""))
    assert 0 <= second < first
    page.fill("#segment-name", "浏览器测试人群")
    with page.expect_navigation():  # saved, the page reloads itself with it in the list
        page.click("[data-testid=save-segment]")
        page.wait_for_function(
            "() => document.getElementById('save-status').textContent.includes('#')"
        )
    screenshot(page, "insight-segment-builder")
    assert "浏览器测试人群" in page.locator("[data-testid=saved-segments]").inner_text()


def test_tag_catalogue_and_dashboards(page, screenshot) -> None:  # noqa: F811
    page.goto("/segments/tags")
    page.wait_for_load_state("networkidle")
    assert page.locator("tr[data-tag]").count() >= 90
    screenshot(page, "insight-tags")
    page.goto("/dashboards")
    keys = ["monthly", "channels", "regions", "provinces", "network", "cohorts"]
    page.wait_for_function(
        "() => !!echarts.getInstanceByDom(document.getElementById('chart-cohorts'))"
    )
    states = page.evaluate(CHART_POINTS_JS, [f"chart-{k}" for k in keys])
    assert all(s["instance"] and s["points"] > 0 for s in states), states
    # the charts follow the window: narrower window, narrower map (one shared resize handler)
    width = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-provinces')).getWidth()"
    )
    page.set_viewport_size({"width": 1000, "height": 800})
    page.wait_for_function(
        "(w) => echarts.getInstanceByDom(document.getElementById('chart-provinces'))"
        ".getWidth() < w",
        arg=width,
    )
    page.set_viewport_size(VIEWPORT)
    with page.expect_download() as download:
        page.click("[data-csv=network]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    # the console is in Chinese: the network CSV's header is too (first column: the row's kind)
    assert text.splitlines()[0].startswith("行类型（品类组合或品类）,")
    screenshot(page, "insight-dashboards")
