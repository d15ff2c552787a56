"""The model pages in a real browser: charts drawn, parameter table, both languages."""

from __future__ import annotations

import duckdb
import pytest

from omniretail.insight.clv.pipeline import MODELS_TABLE, SCORES_TABLE, build_scores
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.churn.synthetic import history, load

pytestmark = pytest.mark.browser

CHART_JS = """
(key) => {
  const el = document.getElementById('chart-' + key);
  const chart = echarts.getInstanceByDom(el);
  const canvas = el.querySelector('canvas');
  return {instance: !!chart, width: canvas ? canvas.width : 0,
          points: chart ? chart.getOption().series.map((s) => s.data.length) : []};
}
"""


@pytest.fixture(scope="module")
def published_models(live_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Our model tables, fitted on a synthetic history, added to the live server's snapshot."""
    work = tmp_path_factory.mktemp("clv") / "work.duckdb"
    with DuckDBEngine(work) as eng:
        load(eng, history(n=800, seed=9))
        build_scores(eng)
    target = live_server.home / "analytics" / "published.duckdb"
    con = duckdb.connect(str(target))
    try:
        con.execute(f"ATTACH '{work}' AS w (READ_ONLY)")
        for table in (SCORES_TABLE, MODELS_TABLE):
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM w.{table}")
    finally:
        con.close()
    return target


def test_clv_page_draws_its_charts(published_models, logged_in_page, screenshot) -> None:  # type: ignore[no-untyped-def]
    page = logged_in_page
    page.goto("/models/clv")
    page.locator("[data-testid=parameters]").wait_for()
    assert "客户终身价值模型" in page.inner_text("h1")
    for key in ("calibration", "backtest"):
        page.wait_for_function("(k) => document.querySelector('#chart-' + k + ' canvas')", arg=key)
        state = page.evaluate(CHART_JS, key)
        assert state["instance"]
        assert state["width"] > 100
        assert all(n >= 2 for n in state["points"])
    assert "alpha" in page.inner_text("[data-testid=parameters]")
    screenshot(page, "models-clv")


def test_churn_page_in_english(published_models, logged_in_page, screenshot) -> None:  # type: ignore[no-untyped-def]
    page = logged_in_page
    page.goto("/models/churn")
    page.click("[data-lang=en]")
    page.locator("[data-testid=churn-kpis]").wait_for()
    assert "Churn risk model" in page.inner_text("h1")
    page.wait_for_function("() => document.querySelector('#chart-reliability canvas')")
    state = page.evaluate(CHART_JS, "reliability")
    assert state["points"][1] >= 3  # the model's reliability bins
    assert "raises risk" in page.inner_text("[data-testid=coefficients]")
    screenshot(page, "models-churn-en")
