"""Browser: the store-traffic page on a snapshot built by the real step — KPIs, the hourly heat
map, the funnel and the decomposition drawn, narrowing to one store, the phone layout, and no
untranslated English in zh-CN (the same check as the zh-CN page walk, on a populated page)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import ADMIN, admin_page, run_cli, serve_console
from tests.e2e.test_zh_untranslated import COLLECT_JS, findings
from tests.insight.traffic.world import write_traffic_snapshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def traffic_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("traffic")
    home = root / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    run_cli(env, "init")
    run_cli(
        env, "users", "create", "--username", ADMIN[0], "--role", "admin",
        "--display-name", "李区域经理", "--password", ADMIN[1],
    )  # fmt: skip
    write_traffic_snapshot(home / "analytics" / "published.duckdb", root / "step").close()
    with serve_console(env, home / "server.log") as url:
        yield url


def _charts(page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[_echarts_instance_]')]
             .map(el => [el.dataset.chart, echarts.getInstanceByDom(el).getOption().series
               .reduce((n, s) => n + (s.data || []).length, 0)]))"""
    )


def test_traffic_page(browser, traffic_url: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    with admin_page(browser, traffic_url) as page:
        page.click("nav >> text=门店客流")
        page.wait_for_url(f"{traffic_url}/traffic")
        page.wait_for_load_state("networkidle")
        kpis = page.locator("[data-testid=traffic-kpis]")
        for label in ("客流量", "进店率", "进店转化率", "客单价", "连带率", "坪效", "会员识别率"):
            assert kpis.get_by_text(label, exact=True).count() == 1, label
        charts = _charts(page)
        assert charts["heatmap"] >= 31 * 13  # every day × opening hour of October
        assert charts["funnel"] == 4
        assert charts["change"] == 6
        rows = page.locator("[data-testid=change-last_year] tbody tr")
        assert rows.count() == 1 + 2 + 3  # chain, two regions, three stores
        assert findings(page.evaluate(COLLECT_JS)) == set()
        screenshot(page, "traffic-desktop")

        page.click("[data-testid=traffic-stores] a:has-text('武汉光谷店')")
        page.wait_for_load_state("networkidle")
        assert "store=S202" in page.url
        assert "武汉光谷店" in page.locator("#chart-heatmap").locator("xpath=..").inner_text()

        page.set_viewport_size(PHONE)
        page.goto("/traffic")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone ({width} px)"
        heat = page.locator("#chart-heatmap").bounding_box()
        assert heat is not None
        assert heat["width"] > 200
        screenshot(page, "traffic-phone")
