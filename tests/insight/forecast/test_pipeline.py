"""The forecast step on the small deterministic world: coherent levels, sane quantiles."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest
from hierarchicalforecast.methods import MinTrace

from omniretail.insight.forecast import hierarchy
from omniretail.insight.forecast.methods import ROW_WISE, catalogue
from omniretail.insight.forecast.pipeline import (
    HISTORY_WEEKS,
    HORIZON_DAYS,
    HORIZON_WEEKS,
    METHOD,
    Demand,
    _last_complete_week,
    coherent_forecasts,
    load_demand,
    run_forecasts,
)
from omniretail.platform.engine.duckdb import DuckDBEngine


@pytest.fixture(scope="module")
def engine(small_world: dict[str, pa.Table]) -> Iterator[DuckDBEngine]:
    eng = DuckDBEngine()
    for name, table in small_world.items():
        eng.register_arrow(name, table)
    out = run_forecasts(eng)
    assert out["store_sku_series"] > 0
    yield eng
    eng.close()


def test_every_level_adds_up(engine: DuckDBEngine) -> None:
    totals = engine.fetch_rows(
        "SELECT level, step, sum(forecast) AS f FROM fc_weekly GROUP BY ALL ORDER BY ALL"
    )
    by_step: dict[int, set[float]] = {}
    for r in totals:
        by_step.setdefault(r["step"], set()).add(round(r["f"], 2))
    assert sorted(by_step) == list(range(1, HORIZON_WEEKS + 1))
    assert all(len(v) == 1 for v in by_step.values())  # 8 levels, one total per week
    # a city is the sum of its stores, SKU by SKU
    bad = engine.scalar(
        """SELECT count(*) FROM (
             SELECT c.sku, c.city, c.step, c.forecast, sum(s.forecast) AS stores
             FROM fc_weekly c JOIN fc_weekly s ON s.level = 'store_sku' AND s.sku = c.sku
               AND s.city = c.city AND s.step = c.step
             WHERE c.level = 'city_sku' GROUP BY ALL) x
           WHERE abs(forecast - stores) > 1e-3"""
    )
    assert bad == 0


def test_quantiles_are_ordered_and_daily_matches_weekly(engine: DuckDBEngine) -> None:
    assert (
        engine.scalar("SELECT count(*) FROM fc_weekly WHERE NOT (p50 <= p90 AND p90 <= p95)") == 0
    )
    assert engine.scalar("SELECT count(*) FROM fc_weekly WHERE forecast < 0") == 0
    days = engine.scalar("SELECT count(DISTINCT day) FROM fc_daily")
    assert days == HORIZON_DAYS
    week1 = engine.fetch_rows(
        """SELECT sum(d.forecast) AS daily, (SELECT sum(forecast) FROM fc_weekly
             WHERE level = 'store_sku' AND step = 1) AS weekly
           FROM fc_daily d WHERE d.day < (SELECT min(day) + 7 FROM fc_daily)"""
    )[0]
    assert week1["daily"] == pytest.approx(week1["weekly"], rel=1e-3)


def test_backtest_and_accuracy_per_level(engine: DuckDBEngine) -> None:
    levels = {r["level"]: r for r in engine.fetch_rows("SELECT * FROM fc_accuracy")}
    assert set(levels) == {
        "store_sku",
        "city_sku",
        "region_sku",
        "sku",
        "store_category",
        "city_category",
        "region_category",
        "category",
    }
    # series new in the test weeks count at the levels that existed (a city, a category) only
    assert levels["store_sku"]["actual"] > 0
    assert levels["category"]["actual"] >= levels["store_sku"]["actual"]
    assert levels["city_sku"]["actual"] >= levels["store_sku"]["actual"]
    assert all(0 <= r["p90_coverage"] <= 1 for r in levels.values())


def test_without_tables_the_step_skips() -> None:
    with DuckDBEngine() as eng:
        assert "skipped" in run_forecasts(eng)


@pytest.fixture(scope="module")
def demand(small_world: dict[str, pa.Table]) -> Demand:
    with DuckDBEngine() as eng:
        for name, table in small_world.items():
            eng.register_arrow(name, table)
        end = _last_complete_week(eng)
        assert end is not None
        d = load_demand(eng, end_week=end, weeks=HISTORY_WEEKS)
    assert d is not None
    return d


def test_coherent_forecasts_equal_the_per_sku_reconciliation(demand: Demand) -> None:
    """The step's path (the pipeline's method on all trees' nodes at once, the reconciliations
    with BLAS on one thread) against the reference: each SKU's tree forecast alone and
    reconciled by hierarchicalforecast with default BLAS threads. Equal to a few ulps (a
    product or solve split across threads sums in another order), bit for bit without the
    batching."""
    assert METHOD in ROW_WISE
    method = catalogue(52)[METHOD]
    fast = coherent_forecasts(demand, method, HORIZON_WEEKS, row_wise=True)
    assert len(fast) > 10
    assert max(len(t.store_idx) for t in fast) > 3
    reference = []
    for k, sku in enumerate(demand.skus):
        hist = demand.values[:, k, :]
        idx = np.flatnonzero(hist.sum(axis=1) > 0)
        if len(idx):
            s, regions, cities = hierarchy.summing_matrix(demand.geo, idx)
            history = s @ hist[idx]
            base = method(history, HORIZON_WEEKS)
            n = len(idx)
            if n > 1:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rec = MinTrace(method="wls_struct").fit_predict(S=s, y_hat=base)["mean"]
                mean = s @ np.maximum(rec[-n:], 0.0)
            else:
                mean = s @ base[-1:]
            reference.append(hierarchy.TreeForecast(sku, regions, cities, idx, mean, history))
    assert [t.sku for t in fast] == [t.sku for t in reference]
    for a, b in zip(fast, reference, strict=True):
        assert a.regions == b.regions
        assert a.cities == b.cities
        assert np.array_equal(a.store_idx, b.store_idx)
        assert np.array_equal(a.history, b.history)
        np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12, atol=1e-12)
    one_by_one = coherent_forecasts(demand, method, HORIZON_WEEKS, row_wise=False)
    for a, b in zip(fast, one_by_one, strict=True):
        assert np.array_equal(a.mean, b.mean)
