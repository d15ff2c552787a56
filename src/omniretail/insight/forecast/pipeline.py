"""Pipeline step ``insight.forecast`` (order 620): store × SKU demand forecasts for the console.

Feature building is engine-neutral SQL (weekly and day-of-week demand per store × SKU from
``orders`` / ``order_lines`` with ``dim_store`` and ``dim_product``); the models run in Python
on the arrays. Writes to the snapshot:

- ``fc_weekly``: the next ``HORIZON_WEEKS`` ISO weeks at every level — ``store_sku``,
  ``city_sku``, ``region_sku``, ``sku``, ``store_category``, ``city_category``,
  ``region_category``, ``category`` — with ``forecast`` (mean) and quantiles ``p50``, ``p90``,
  ``p95``; coherent (see :mod:`hierarchy`);
- ``fc_daily``: store × SKU for the next ``HORIZON_DAYS`` days: the week's forecast spread by
  the store's day-of-week shares, with quantiles;
- ``fc_backtest``: the same forecast made ``HORIZON_WEEKS`` weeks earlier beside what sold
  (the forecast-vs-actual page), and ``fc_accuracy``: WAPE, bias and RMSSE per level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from omniretail.insight.forecast import hierarchy, quantiles
from omniretail.insight.forecast.evaluation import scaled_errors
from omniretail.insight.forecast.hierarchy import IntArray
from omniretail.insight.forecast.methods import ROW_WISE, Array, Method, catalogue
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.pipeline import PipelineContext, step

HORIZON_WEEKS = 8
HORIZON_DAYS = 14
HISTORY_WEEKS = 52
METHOD = "croston_sba_arrays"  # statsforecast's CrostonSBA, across all series at once
QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95}
TABLES = ("orders", "order_lines", "dim_store", "dim_product")


def lines_sql(engine: AnalyticsEngine) -> str:
    """Store demand lines with their store's city/region and product's category."""
    cols = set(engine.fetch_arrow("SELECT * FROM order_lines LIMIT 0").schema.names)
    kind = "coalesce(l.line_kind, 'sale') = 'sale' AND " if "line_kind" in cols else ""
    return f"""
SELECT o.store_code, l.sku, o.ordered_at, CAST(l.quantity AS DOUBLE) AS quantity,
       coalesce(s.city, '?') AS city, coalesce(s.region, '?') AS region,
       coalesce(p.category_code, '?') AS category_code
FROM order_lines l
JOIN orders o ON o.source = l.source AND o.order_id = l.order_id
JOIN dim_store s ON s.store_code = o.store_code
LEFT JOIN dim_product p ON p.sku = l.sku
WHERE {kind}coalesce(o.status, 'paid') = 'paid' AND l.quantity > 0 AND l.sku IS NOT NULL
  AND o.ordered_at IS NOT NULL
"""


@dataclass
class Demand:
    geo: hierarchy.Geography
    skus: list[str]
    category: dict[str, str]
    first_week: date
    values: Array  # stores × skus × weeks
    dow_share: Array  # stores × 7 (Monday first)


def load_demand(engine: AnalyticsEngine, *, end_week: date, weeks: int) -> Demand | None:
    """Weekly demand per store × SKU for ``weeks`` weeks before ``end_week`` (exclusive)."""
    start = end_week - timedelta(weeks=weeks)
    engine.materialize(
        "__fc_lines",
        f"SELECT *, CAST(date_trunc('week', ordered_at) AS DATE) AS week FROM "
        f"({lines_sql(engine)}) x WHERE CAST(ordered_at AS DATE) >= DATE '{start}' "
        f"AND CAST(ordered_at AS DATE) < DATE '{end_week}'",
        scratch=True,
    )
    t = engine.fetch_arrow(
        "SELECT store_code, sku, week, sum(quantity) AS qty FROM __fc_lines GROUP BY ALL"
    )
    if t.num_rows == 0:
        return None
    stores = engine.fetch_rows(
        "SELECT store_code, any_value(city) AS city, any_value(region) AS region "
        "FROM __fc_lines GROUP BY store_code ORDER BY store_code"
    )
    cats = engine.fetch_rows(
        "SELECT sku, any_value(category_code) AS c FROM __fc_lines GROUP BY sku ORDER BY sku"
    )
    dow = engine.fetch_rows(
        "SELECT store_code, CAST(isodow(ordered_at) AS INTEGER) AS d, sum(quantity) AS q "
        "FROM __fc_lines GROUP BY ALL"
    )
    geo = hierarchy.Geography(
        stores=[r["store_code"] for r in stores],
        city=[r["city"] for r in stores],
        region=[r["region"] for r in stores],
    )
    skus = [r["sku"] for r in cats]
    s_pos = {s: i for i, s in enumerate(geo.stores)}
    values = np.zeros((len(geo.stores), len(skus), weeks))
    si = _positions(t.column("store_code"), geo.stores)
    ki = _positions(t.column("sku"), skus)
    days = t.column("week").cast(pa.date32()).cast(pa.int32()).to_numpy()  # since 1970-01-01
    wi = (days.astype(np.int64) - (start - date(1970, 1, 1)).days) // 7
    np.add.at(values, (si, ki, wi), np.asarray(t.column("qty").to_numpy(), dtype=np.float64))
    share = np.full((len(geo.stores), 7), 1.0)
    for r in dow:
        share[s_pos[r["store_code"]], r["d"] - 1] += float(r["q"])
    share /= share.sum(axis=1, keepdims=True)
    return Demand(geo, skus, {r["sku"]: r["c"] for r in cats}, start, values, share)


def coherent_forecasts(
    d: Demand, method: Method, h: int, *, row_wise: bool = False
) -> list[hierarchy.TreeForecast]:
    """Per SKU, the tree of the stores that sold it: base forecasts at every node, reconciled.

    ``row_wise``: the method forecasts each series from that series alone, bit for bit (see
    :data:`methods.ROW_WISE`), so the nodes of all trees go through it in one call rather than
    one call per SKU (the same numbers, without 4,000 loops over the weeks). Everything here
    runs with BLAS on one thread: the matrices are one SKU's tree (a few hundred rows at most),
    and on 2 cores OpenBLAS's second thread spinning between such small products costs about
    four times the products' own CPU. One thread also makes the result independent of the
    machine's core count; it differs from two threads' by a few ulps where a product or solve
    splits its sums differently (``tests/insight/forecast/test_pipeline.py`` bounds it).
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(limits=1, user_api="blas"):
        trees = []
        for k, sku in enumerate(d.skus):
            hist = d.values[:, k, :]
            idx = np.flatnonzero(hist.sum(axis=1) > 0)
            if len(idx) == 0:
                continue
            s, regions, cities = hierarchy.summing_matrix(d.geo, idx)
            trees.append((sku, idx, s, regions, cities, s @ hist[idx]))
        if row_wise and trees:
            every = method(np.vstack([t[5] for t in trees]), h)
            ends = np.cumsum([len(t[5]) for t in trees])
            bases = np.split(every, ends[:-1])
        else:
            bases = [method(t[5], h) for t in trees]
        return [
            hierarchy.TreeForecast(sku, regions, cities, idx, hierarchy.reconcile(s, base), history)
            for (sku, idx, s, regions, cities, history), base in zip(trees, bases, strict=True)
        ]


def _positions(column: pa.ChunkedArray, values: list[str]) -> IntArray:
    """Each entry's position in ``values`` (every entry is one of them)."""
    import pyarrow.compute as pc

    at = pc.index_in(column, value_set=pa.array(values, type=column.type))
    if at.null_count:
        raise ValueError(f"{at.null_count} entries of {column.type} not among the values")
    out: IntArray = at.to_numpy().astype(np.int64)
    return out


Key = tuple[str, str | None, str | None, str | None, str | None, str]


CATEGORY_LEVEL = {
    "sku": "category",
    "region_sku": "region_category",
    "city_sku": "city_category",
    "store_sku": "store_category",
}


def level_rows(d: Demand, trees: list[hierarchy.TreeForecast]) -> tuple[list[Key], Array, Array]:
    """Every node of every level: keys (level, store, city, region, sku, category), the
    coherent mean forecasts (nodes × horizon) and the nodes' histories (nodes × weeks).

    The SKU nodes tree by tree, then the category nodes in the order they first occur, each
    the sum of its SKU nodes added in tree order (one ``np.add.at``: the order of a Python
    loop adding them one by one, so the same sums)."""
    geo = d.geo
    region_of = dict(zip(geo.city, geo.region, strict=True))
    keys: list[Key] = []
    for tf in trees:
        sku, cat = tf.sku, d.category.get(tf.sku, "?")
        keys.append(("sku", None, None, None, sku, cat))
        keys += [("region_sku", None, None, r, sku, cat) for r in tf.regions]
        keys += [("city_sku", None, c, region_of[c], sku, cat) for c in tf.cities]
        keys += [
            ("store_sku", geo.stores[i], geo.city[i], geo.region[i], sku, cat)
            for i in tf.store_idx.tolist()
        ]
    of, firsts = _category_groups(d, trees)
    mean = np.vstack([tf.mean for tf in trees])
    hist = np.vstack([tf.history for tf in trees])
    cat_mean = np.zeros((len(firsts), mean.shape[1]))
    cat_hist = np.zeros((len(firsts), hist.shape[1]))
    np.add.at(cat_mean, of, mean)
    np.add.at(cat_hist, of, hist)
    cat_keys: list[Key] = [
        (CATEGORY_LEVEL[k[0]], k[1], k[2], k[3], None, k[5]) for k in (keys[i] for i in firsts)
    ]
    return keys + cat_keys, np.vstack([mean, cat_mean]), np.vstack([hist, cat_hist])


def _category_groups(d: Demand, trees: list[hierarchy.TreeForecast]) -> tuple[IntArray, IntArray]:
    """For the SKU nodes in ``level_rows``' order, the category node each adds into (numbered
    in the order they first occur) and each category node's first SKU node. A category node is
    (level, place, category): the place a node's store, city or region (which determine the
    ones above them), none for the chain."""
    regions, _, cities, _ = d.geo.ranks
    r_code = {r: i for i, r in enumerate(regions)}
    c_code = {c: i for i, c in enumerate(cities)}
    cat_code = {c: i for i, c in enumerate(sorted(set(d.category.values()) | {"?"}))}
    places = max(len(d.geo.stores), len(cities), len(regions)) + 1
    parts = []
    for tf in trees:
        level = np.repeat([0, 1, 2, 3], [1, len(tf.regions), len(tf.cities), len(tf.store_idx)])
        place = np.concatenate(
            [
                [0],
                [1 + r_code[r] for r in tf.regions],
                [1 + c_code[c] for c in tf.cities],
                1 + tf.store_idx,
            ]
        ).astype(np.int64)
        parts.append(
            (level * places + place) * len(cat_code) + cat_code[d.category.get(tf.sku, "?")]
        )
    key = np.concatenate(parts)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    of: IntArray = rank[inverse.ravel()]
    firsts: IntArray = first[order]
    return of, firsts


def forecast_table(keys: list[Key], mean: Array, hist: Array, first: date) -> pa.Table:
    """Long table: one row per node × week ahead, with NB quantiles."""
    n, h = mean.shape
    k = quantiles.dispersion(hist)
    each = pa.array(np.repeat(np.arange(n), h))  # row i of the table: node i // h
    cols: dict[str, Any] = {
        name: pa.array([key[j] for key in keys]).take(each)
        for j, name in enumerate(("level", "store_code", "city", "region", "sku", "category_code"))
    }
    weeks = pa.array([first + timedelta(weeks=s) for s in range(h)])
    cols["week_start"] = weeks.take(pa.array(np.tile(np.arange(h), n)))
    cols["step"] = np.tile(np.arange(1, h + 1, dtype=np.int32), n)
    cols["forecast"] = np.round(mean.ravel(), 4)
    kk = np.repeat(k, h)
    for name, q in QUANTILES.items():
        cols[name] = quantiles.nb_quantile(mean.ravel(), kk, q)
    return pa.table(cols)


def daily_table(d: Demand, keys: list[Key], mean: Array, hist: Array, first_day: date) -> pa.Table:
    """store × SKU per day: the week's mean spread by the store's day-of-week shares."""
    rows = np.array([i for i, key in enumerate(keys) if key[0] == "store_sku"], dtype=np.int64)
    s_pos = {s: i for i, s in enumerate(d.geo.stores)}
    store_idx = np.array([s_pos[str(keys[i][1])] for i in rows], dtype=np.int64)
    days = [first_day + timedelta(days=n) for n in range(HORIZON_DAYS)]
    week = np.minimum(np.arange(HORIZON_DAYS) // 7, mean.shape[1] - 1)
    weekday = np.array([day.weekday() for day in days])
    m = mean[rows][:, week] * d.dow_share[store_idx][:, weekday]  # rows × days
    k = np.repeat(quantiles.dispersion(hist[rows]) / 7, HORIZON_DAYS)  # a day: 1/7 of a week
    flat = m.ravel()
    cols: dict[str, Any] = {
        "store_code": pa.array(np.repeat([keys[i][1] for i in rows], HORIZON_DAYS).tolist()),
        "sku": pa.array(np.repeat([keys[i][4] for i in rows], HORIZON_DAYS).tolist()),
        "day": pa.array(np.tile(np.array(days, dtype="datetime64[D]"), len(rows))),
        "forecast": np.round(flat, 4),
        "nb_size": k,
    }
    for name, q in QUANTILES.items():
        cols[name] = quantiles.nb_quantile(flat, k, q)
    return pa.table(cols)


def _last_complete_week(engine: AnalyticsEngine) -> date | None:
    last: date | None = engine.scalar(
        "SELECT CAST(max(o.ordered_at) AS DATE) FROM orders o WHERE o.store_code IS NOT NULL"
    )
    if last is None:
        return None
    monday = last - timedelta(days=last.weekday())
    return monday + timedelta(weeks=1) if last.weekday() == 6 else monday


def run_forecasts(
    engine: AnalyticsEngine, *, method_name: str = METHOD, history_weeks: int = HISTORY_WEEKS
) -> dict[str, Any]:
    if not all(engine.table_exists(t) for t in TABLES):
        return {"skipped": "no orders, order lines, stores or products yet"}
    end = _last_complete_week(engine)
    if end is None:
        return {"skipped": "no store orders"}
    method = catalogue(52)[method_name]
    row_wise = method_name in ROW_WISE
    h = HORIZON_WEEKS
    # the forecast for the coming weeks
    d = load_demand(engine, end_week=end, weeks=history_weeks)
    if d is None:
        return {"skipped": "no store demand in the history window"}
    keys, mean, hist = level_rows(d, coherent_forecasts(d, method, h, row_wise=row_wise))
    engine.register_arrow("__fc_weekly", forecast_table(keys, mean, hist, end), scratch=True)
    engine.materialize("fc_weekly", "SELECT * FROM __fc_weekly")
    engine.register_arrow("__fc_daily", daily_table(d, keys, mean, hist, end), scratch=True)
    engine.materialize("fc_daily", "SELECT * FROM __fc_daily")
    # the same forecast made h weeks earlier, against what sold
    cut = end - timedelta(weeks=h)
    past = load_demand(engine, end_week=cut, weeks=history_weeks)
    back = 0
    if past is not None:
        bkeys, bmean, bhist = level_rows(
            past, coherent_forecasts(past, method, h, row_wise=row_wise)
        )
        actual = _actuals(engine, past, bkeys, cut, h)
        back = _write_backtest(engine, bkeys, bmean, bhist, actual, cut)
    engine.drop("__fc_lines")
    return {
        "method": method_name,
        "forecast_from": end.isoformat(),
        "nodes": len(keys),
        "store_sku_series": sum(1 for k in keys if k[0] == "store_sku"),
        "backtest_rows": back,
    }


def _actuals(engine: AnalyticsEngine, d: Demand, keys: list[Key], cut: date, h: int) -> Array:
    """Sold quantity of every node in the ``h`` weeks from ``cut`` (0 where nothing sold)."""
    fut = load_demand(engine, end_week=cut + timedelta(weeks=h), weeks=h)
    out = np.zeros((len(keys), h))
    if fut is None:
        return out
    geo = fut.geo
    cities, city_of = np.unique(np.array(geo.city, dtype=object), return_inverse=True)
    regions, region_of = np.unique(np.array(geo.region, dtype=object), return_inverse=True)
    cats, cat_of = np.unique(
        np.array([fut.category.get(s, "?") for s in fut.skus], dtype=object), return_inverse=True
    )
    v = fut.values  # stores × skus × weeks
    by_city = np.zeros((len(cities), v.shape[1], h))
    np.add.at(by_city, city_of, v)
    by_region = np.zeros((len(regions), v.shape[1], h))
    np.add.at(by_region, region_of, v)
    by_sku = v.sum(axis=0)

    one_hot = np.zeros((v.shape[1], len(cats)))
    one_hot[np.arange(v.shape[1]), cat_of] = 1.0

    def per_cat(a: Array) -> Array:  # (..., skus, h) -> (..., cats, h)
        out: Array = np.einsum("...kh,kc->...ch", a, one_hot)
        return out

    tables = {
        "store": (v, {c: i for i, c in enumerate(geo.stores)}),
        "city": (by_city, {c: i for i, c in enumerate(cities)}),
        "region": (by_region, {c: i for i, c in enumerate(regions)}),
    }
    cat_tables = {name: per_cat(t) for name, (t, _) in tables.items()}
    by_cat = per_cat(by_sku)
    k_pos = {s: i for i, s in enumerate(fut.skus)}
    c_pos = {c: i for i, c in enumerate(cats)}
    for row, (level, store, city, region, sku, cat) in enumerate(keys):
        place = level.split("_")[0] if "_" in level else ""
        where = {"store": store, "city": city, "region": region}.get(place)
        if sku is not None:
            if sku not in k_pos:
                continue
            if place:
                table, pos = tables[place]
                if where in pos:
                    out[row] = table[pos[where], k_pos[sku]]
            else:
                out[row] = by_sku[k_pos[sku]]
        elif cat in c_pos:
            if place:
                _, pos = tables[place]
                if where in pos:
                    out[row] = cat_tables[place][pos[where], c_pos[cat]]
            else:
                out[row] = by_cat[c_pos[cat]]
    return out


def _write_backtest(
    engine: AnalyticsEngine, keys: list[Key], mean: Array, hist: Array, actual: Array, cut: date
) -> int:
    table = forecast_table(keys, mean, hist, cut)
    table = table.append_column("actual", pa.array(actual.ravel()))
    engine.register_arrow("__fc_back", table, scratch=True)
    engine.materialize("fc_backtest", "SELECT * FROM __fc_back")
    r, _ = scaled_errors(mean, hist, actual)
    per_level: dict[str, list[float]] = {}
    for key, v in zip(keys, r, strict=True):
        if np.isfinite(v):
            per_level.setdefault(key[0], []).append(float(v))
    engine.register_arrow(
        "__fc_rmsse",
        pa.table(
            {
                "level": list(per_level),
                "rmsse": [float(np.mean(v)) for v in per_level.values()],
            }
        ),
        scratch=True,
    )
    engine.materialize(
        "fc_accuracy",
        """SELECT b.level, count(*) AS rows, sum(actual) AS actual, sum(forecast) AS forecast,
                  sum(abs(actual - forecast)) / nullif(sum(actual), 0) AS wape,
                  (sum(forecast) - sum(actual)) / nullif(sum(actual), 0) AS bias,
                  avg(CASE WHEN actual <= p90 THEN 1.0 ELSE 0.0 END) AS p90_coverage,
                  any_value(r.rmsse) AS rmsse
           FROM __fc_back b LEFT JOIN __fc_rmsse r ON r.level = b.level
           GROUP BY b.level ORDER BY b.level""",
    )
    return int(table.num_rows)


@step("insight.forecast", order=620)
def forecast_step(ctx: PipelineContext) -> dict[str, Any]:
    """Store × SKU demand forecasts (weekly, daily, quantiles), coherent up the hierarchies."""
    return run_forecasts(ctx.engine)
