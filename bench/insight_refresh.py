"""Insight benchmark: full and incremental refresh at scale, the aggregation stage against two
baselines, and the segment count preview latency. Results go to docs/benchmarks/insight.md.

    python -m bench.insight_refresh --customers 1000000 --runs 3
    python -m bench.insight_refresh --customers 1000000 --runs 1 --quick --no-baselines \
        --world WORLD.duckdb          # a world generated earlier by bench.insight_world

Scale 10 = 1M members, ~20M order lines. The contract tables are generated synthetically
(bench/insight_world.py) directly in the analytics database. Each round holds out the last day
of orders/events/reviews, runs a full refresh (yesterday's state), brings the day in, runs the
incremental refresh, then a full refresh over the same data (the incremental's baseline) and
counts the customer_tags rows on which the two differ. Wall and CPU seconds (every DuckDB thread
of the process) and the load average are reported for each run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from bench.insight_world import attach_world, create_world, write_world
from bench.segment_count import measure as measure_preview

from omniretail.insight.tag import features
from omniretail.platform import pipeline
from omniretail.platform.config import Settings
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.engine.snapshot import PublishedSnapshot

STEPS = [
    "insight.features",
    "insight.rfm",
    "insight.lifecycle",
    "insight.tags",
    "insight.kpis",
    "insight.basket",
]
FEATURE_STEP = "insight.features"

# One hand-written DuckDB query for the per-customer order aggregates (the DuckDB ceiling).
HAND_WRITTEN = """
WITH lt AS (
  SELECT source, order_id, sum(quantity) AS units, count(*) AS lines
  FROM order_lines GROUP BY source, order_id
), a AS (SELECT max(CAST(ordered_at AS DATE)) AS as_of FROM orders)
SELECT o.customer_id,
  count(*) AS orders_total,
  count(*) FILTER (WHERE date_diff('day', CAST(o.ordered_at AS DATE), a.as_of) < 30) AS o30,
  count(*) FILTER (WHERE date_diff('day', CAST(o.ordered_at AS DATE), a.as_of) < 90) AS o90,
  count(*) FILTER (WHERE date_diff('day', CAST(o.ordered_at AS DATE), a.as_of) < 365) AS o365,
  sum(o.paid_amount) AS sales_total,
  sum(o.paid_amount) FILTER (WHERE date_diff('day', CAST(o.ordered_at AS DATE), a.as_of) < 365)
    AS sales_365d,
  max(o.paid_amount) AS max_order, sum(lt.units) AS units, sum(lt.lines) AS lines,
  count(*) FILTER (WHERE o.coupon_code IS NOT NULL) AS coupon_orders,
  min(CAST(o.ordered_at AS DATE)) AS first_day, max(CAST(o.ordered_at AS DATE)) AS last_day,
  count(DISTINCT CAST(o.ordered_at AS DATE)) AS purchase_days,
  count(DISTINCT o.channel_code) AS channels, count(DISTINCT o.store_code) AS stores
FROM orders o JOIN lt ON lt.source = o.source AND lt.order_id = o.order_id, a
WHERE o.status = 'paid' AND o.customer_id IS NOT NULL
GROUP BY o.customer_id
"""


def inlined_features_sql() -> str:
    """The whole feature stage as ONE query (no intermediate tables): what a person writing
    it by hand in DuckDB would run; the stage's own SQL, with its tables as CTEs."""
    body = features.CUSTOMER_FEATURES_SQL.strip()
    assert body.startswith("WITH ")
    return (
        f"WITH ins_order_facts AS ({features.order_facts_sql()}), "
        f"ins_customer_sku_day AS ({features.customer_sku_day_sql()}), "
        f"ins_customer_sku AS ({features.CUSTOMER_SKU_SQL}), "
        f"ins_customer_orders AS ({features.customer_orders_sql()}), " + body[len("WITH ") :]
    )


# -- the per-customer order aggregates the common pandas way ------------------------------
# ``ins_customer_orders`` (52 columns: counts and sums in windows, first/last day, distinct
# days and months, returned/cancelled, preferred daypart/weekday/payment/fulfilment/channel/
# store, SKU/category/brand/flavour counts and favourites, new-product units, price index,
# replenishment cycle) written as an analyst would: read the tables, merge, named
# aggregations, sort + drop_duplicates for "the most frequent X" with its tie-break.
PANDAS_COLUMNS = {
    "orders": [
        "source",
        "order_id",
        "customer_id",
        "channel_code",
        "store_code",
        "ordered_at",
        "status",
        "fulfillment",
        "payment_method",
        "gross_amount",
        "discount_amount",
        "paid_amount",
        "coupon_code",
    ],
    "order_lines": ["source", "order_id", "sku", "quantity", "unit_price", "amount"],
    "dim_product": [
        "sku",
        "category_code",
        "parent_category_code",
        "brand",
        "flavor",
        "price",
        "launch_date",
        "replenish_days",
    ],
    "dim_channel": ["channel_code", "kind"],
}


def _read_frame(path: Path, columns: list[str]) -> pd.DataFrame:
    """pd.read_parquet with the usual care: decimals to float64 and dates to datetime64 at
    once, through the Arrow types (not millions of Python Decimal objects)."""
    df = pd.read_parquet(path, columns=columns, dtype_backend="pyarrow")
    for col in df.columns:
        typ = df[col].dtype.pyarrow_dtype
        if pa.types.is_decimal(typ) or pa.types.is_floating(typ):
            df[col] = df[col].astype("float64")
        elif pa.types.is_integer(typ):
            df[col] = df[col].astype("float64" if df[col].hasnans else "int64")
        elif pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            df[col] = df[col].astype("datetime64[us]")
        else:
            df[col] = df[col].astype("str")
    return df


def pandas_read(world: Path) -> dict[str, pd.DataFrame]:
    """The tables as DataFrames (the world's Parquet files, the columns used)."""
    frames = {t: _read_frame(world / t, cols) for t, cols in PANDAS_COLUMNS.items()}
    last = max(
        _read_frame(world / t, [c])[c].max()
        for t, c in (("orders", "ordered_at"), ("events", "occurred_at"), ("reviews", "created_at"))
    )
    frames["as_of"] = pd.DataFrame({"d": [last.normalize()]})
    return frames


def _top_key(
    df: pd.DataFrame, key: str, score: str, name: str, second: str | None = None
) -> pd.DataFrame:
    """Per customer the ``key`` with the highest ``score`` (ties: smallest key), the number
    of keys, and optionally the runner-up."""
    df = df.sort_values(["customer_id", score, key], ascending=[True, False, True])
    g = df.groupby("customer_id", sort=False)
    out = (
        g.head(1)
        .set_index("customer_id")[[key, score]]
        .rename(columns={key: name, score: f"{name}_score"})
    )
    out[f"{name}_n"] = g.size()
    if second:
        out[second] = g.nth(1).set_index("customer_id")[key]
    return out


def member_orders(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Members' orders (every status) with their units and lines, the channel's kind, the
    order day, days before the as-of day and the ISO weekday."""
    as_of = t["as_of"].d.iloc[0]
    orders, lines = t["orders"], t["order_lines"]
    lt = lines.groupby(["source", "order_id"], as_index=False).agg(
        units=("quantity", "sum"), lines=("sku", "size")
    )
    f = orders[orders.customer_id.notna()].merge(lt, on=["source", "order_id"], how="left")
    f = f.merge(t["dim_channel"], on="channel_code", how="left")
    f["online"] = f.kind.eq("online")
    f["order_day"] = f.ordered_at.dt.normalize()
    f["days_ago"] = (as_of - f.order_day).dt.days
    f["weekday"] = f.ordered_at.dt.day_of_week + 1
    return f


def paid_product_lines(t: dict[str, pd.DataFrame], paid: pd.DataFrame) -> pd.DataFrame:
    """The lines of the paid member orders with the product's attributes, new-product units
    (launched within 90 days of the order) and the price index against the category mean."""
    prod = t["dim_product"]
    cat_price = prod.assign(p=prod.price.astype(float)).groupby("category_code").p.mean()
    pl = (
        t["order_lines"]
        .merge(paid[["source", "order_id", "customer_id", "order_day"]], on=["source", "order_id"])
        .merge(prod, on="sku", how="left")
    )
    age = (pl.order_day - pl.launch_date.astype("datetime64[us]")).dt.days
    pl["new_units"] = pl.quantity.where(age.between(0, 90), 0)
    pl["price_index"] = (
        pl.quantity * pl.unit_price.astype(float) / pl.category_code.map(cat_price)
    ).round(6)
    return pl


def pandas_customer_orders(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    f = member_orders(t)
    f["daypart"] = pd.cut(
        f.ordered_at.dt.hour,
        [-1, 10, 16, 20, 24],
        labels=["morning", "afternoon", "evening", "night"],
    ).astype(str)
    for c in ("gross_amount", "discount_amount", "paid_amount"):
        f[c] = f[c].astype(float)
    paid = f[f.status == "paid"].copy()
    d = paid.days_ago
    paid["o30"], paid["o90"], paid["o180"], paid["o365"] = d < 30, d < 90, d < 180, d < 365
    paid["oprev"] = (d >= 365) & (d < 730)
    paid["s30"] = paid.paid_amount.where(d < 30, 0.0)
    paid["s90"] = paid.paid_amount.where(d < 90, 0.0)
    paid["s365"] = paid.paid_amount.where(d < 365, 0.0)
    paid["sprev"] = paid.paid_amount.where(paid.oprev, 0.0)
    paid["coupon"] = paid.coupon_code.notna()
    paid["offline"] = ~paid.online
    paid["delivery"] = paid.fulfillment.isin(["delivery", "express"])
    paid["weekend"] = paid.weekday >= 6
    paid["month_12m"] = paid.order_day.dt.to_period("M").where(d < 365)
    ord_ = paid.groupby("customer_id").agg(
        orders_total=("order_id", "size"),
        orders_30d=("o30", "sum"),
        orders_90d=("o90", "sum"),
        orders_180d=("o180", "sum"),
        orders_365d=("o365", "sum"),
        orders_prev_365d=("oprev", "sum"),
        sales_total=("paid_amount", "sum"),
        sales_30d=("s30", "sum"),
        sales_90d=("s90", "sum"),
        sales_365d=("s365", "sum"),
        sales_prev_365d=("sprev", "sum"),
        max_order_amount=("paid_amount", "max"),
        gross_total=("gross_amount", "sum"),
        discount_total=("discount_amount", "sum"),
        units_total=("units", "sum"),
        lines_total=("lines", "sum"),
        coupon_orders=("coupon", "sum"),
        online_orders=("online", "sum"),
        offline_orders=("offline", "sum"),
        delivery_orders=("delivery", "sum"),
        weekend_orders=("weekend", "sum"),
        first_order_day=("order_day", "min"),
        last_order_day=("order_day", "max"),
        purchase_days=("order_day", "nunique"),
        active_months_12m=("month_12m", "nunique"),
        channel_count=("channel_code", "nunique"),
        store_count=("store_code", "nunique"),
    )
    f["returned"] = f.status.eq("returned")
    f["cancelled"] = f.status.eq("cancelled")
    f["credit"] = -f.paid_amount.where(f.returned & (f.paid_amount < 0), 0)
    anyst = f.groupby("customer_id").agg(
        returned_orders=("returned", "sum"),
        cancelled_orders=("cancelled", "sum"),
        returns_total=("credit", "sum"),
    )
    tops = []
    for key, name in (
        ("daypart", "preferred_daypart"),
        ("weekday", "preferred_weekday"),
        ("payment_method", "preferred_payment"),
        ("fulfillment", "preferred_fulfillment"),
        ("channel_code", "top_order_channel"),
    ):
        n = paid.groupby(["customer_id", key]).size().rename("n").reset_index()
        tops.append(_top_key(n, key, "n", name)[[name]])
    st = paid[paid.store_code.notna() & (paid.days_ago < 365)]
    st = st.groupby(["customer_id", "store_code"]).agg(
        n=("order_id", "size"), recent=("days_ago", "min")
    )
    st["score"] = st.n * 100000 - st.recent
    tops.append(
        _top_key(st.reset_index(), "store_code", "score", "store_preference")[["store_preference"]]
    )
    # per customer x SKU (paid member lines) with the product's attributes
    prod = t["dim_product"]
    pl = paid_product_lines(t, paid)
    cs = (
        pl.groupby(["customer_id", "sku"], as_index=False)
        .agg(
            units=("quantity", "sum"),
            new_units=("new_units", "sum"),
            price_index_units=("price_index", "sum"),
        )
        .merge(prod, on="sku", how="left")
    )
    cs["replenish_units"] = cs.replenish_days.astype(float) * cs.units
    cs["replenish_known"] = cs.units.where(cs.replenish_days.notna())
    sku = cs.groupby("customer_id").agg(
        distinct_skus=("sku", "size"),
        new_product_units=("new_units", "sum"),
        sku_units=("units", "sum"),
        price_index_units=("price_index_units", "sum"),
        replenish_units=("replenish_units", "sum"),
        replenish_known=("replenish_known", "sum"),
    )
    sku["replenish_days"] = sku.pop("replenish_units") / sku.pop("replenish_known")
    for key, name, second, count in (
        ("category_code", "top_category", "second_category", "category_count"),
        ("parent_category_code", "top_parent_category", None, None),
        ("brand", "top_brand", None, "brand_count"),
        ("flavor", "top_flavor", None, "flavor_count"),
        ("sku", "favorite_sku", None, None),
    ):
        u = cs.groupby(["customer_id", key], as_index=False).units.sum()
        top = _top_key(u, key, "units", name, second)
        cols = [name] + ([second] if second else [])
        if count:
            top[count] = top[f"{name}_n"]
            cols.append(count)
        if key == "category_code":
            top["top_category_units"] = top[f"{name}_score"]
            cols.append("top_category_units")
        tops.append(top[cols])
    return anyst.join([ord_, *tops, sku], how="left")


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _refresh(engine: DuckDBEngine, settings: Settings, *, full: bool) -> dict[str, Any]:
    """One pipeline run of the insight steps: wall and CPU seconds (all DuckDB threads of the
    process), seconds per step, the load average when it ended."""
    ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=full)
    c0, t0 = time.process_time(), time.perf_counter()
    out = pipeline.run(ctx, only=STEPS)
    return {
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - c0, 1),
        "steps_s": {s: round(out[s]["seconds"], 2) for s in STEPS},
        "features": {k: v for k, v in out[FEATURE_STEP].items() if k != "seconds"},
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


_HELD = {"orders": "ordered_at", "events": "occurred_at", "reviews": "created_at"}


def hold_out_last_day(engine: DuckDBEngine) -> str:
    """Move the last day of orders, events and reviews aside (the day the next run brings)."""
    last = str(engine.scalar("SELECT max(CAST(ordered_at AS DATE)) FROM orders"))
    for table, col in _HELD.items():
        engine.execute(
            f"CREATE OR REPLACE TABLE _held_{table} AS SELECT * FROM {table} "
            f"WHERE CAST({col} AS DATE) >= DATE '{last}'"
        )
        engine.execute(f"DELETE FROM {table} WHERE CAST({col} AS DATE) >= DATE '{last}'")
    return last


def bring_last_day(engine: DuckDBEngine) -> int:
    for table in _HELD:
        engine.execute(f"INSERT INTO {table} SELECT * FROM _held_{table}")
    return int(engine.scalar("SELECT count(*) FROM _held_orders") or 0)


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 1)


def run(
    customers: int,
    runs: int,
    pandas_customers: int,
    threads: int,
    memory: str,
    world: Path | None = None,
    baselines: bool = True,
    quick: bool = False,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {threads} DuckDB threads, "
        f"memory_limit {memory}",
        "customers": customers,
        "load_average_start": [round(x, 1) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        db = home / "work.duckdb"
        if world is not None:  # a world generated earlier (same generator), copied
            shutil.copyfile(world, db)
        engine = DuckDBEngine(db, threads=threads, memory_limit=memory)
        if world is None:
            gen_s, _ = _timed(lambda: create_world(engine.con, customers=customers))
        else:
            gen_s = 0.0
        counts = {
            t: int(engine.scalar(f"SELECT count(*) FROM {t}") or 0)
            for t in ("customers", "orders", "order_lines", "events")
        }
        report["world"] = {"generate_seconds": round(gen_s, 1), **counts}
        _log(f"world {report['world']}")
        settings = Settings(home=home, demo=True)

        # Each round: full refresh without the last day (the state of yesterday's run), the last
        # day arrives, incremental refresh, then a full refresh over the same data (the baseline
        # of the incremental, and the full refresh at this scale); both must agree (the number of
        # differing customer_tags rows is reported).
        before, incremental, full = [], [], []
        for i in range(runs):
            last = hold_out_last_day(engine)
            before.append(_refresh(engine, settings, full=True))
            new_orders = bring_last_day(engine)
            incremental.append(_refresh(engine, settings, full=False))
            if not quick:
                engine.execute(
                    "CREATE OR REPLACE TEMP TABLE _inc_tags AS SELECT * FROM customer_tags"
                )
                full.append(_refresh(engine, settings, full=True))
                diff = engine.scalar(
                    "SELECT count(*) FROM ((SELECT * FROM _inc_tags EXCEPT "
                    "SELECT * FROM customer_tags) UNION ALL "
                    "(SELECT * FROM customer_tags EXCEPT SELECT * FROM _inc_tags))"
                )
                incremental[-1]["customer_tags_rows_differing_from_full"] = int(diff or 0)
            incremental[-1]["day"] = last
            incremental[-1]["new_orders"] = new_orders
            _log(f"round {i}: before {before[-1]} incremental {incremental[-1]} full {full[-1:]}")
        report["full_refresh_runs"] = full + before
        report["full_refresh_median_wall_s"] = _median(full + before, "wall_s")
        report["full_refresh_median_cpu_s"] = _median(full + before, "cpu_s")
        report["steps_median_s"] = {
            s: round(statistics.median(r["steps_s"][s] for r in full + before), 2) for s in STEPS
        }
        report["incremental_runs"] = incremental
        report["incremental_median_wall_s"] = _median(incremental, "wall_s")
        report["incremental_median_cpu_s"] = _median(incremental, "cpu_s")
        baseline = full or before  # quick: the full refresh of the day before
        report["incremental_vs_full_wall"] = round(
            report["incremental_median_wall_s"] / _median(baseline, "wall_s"), 2
        )
        report["incremental_vs_full_cpu"] = round(
            report["incremental_median_cpu_s"] / _median(baseline, "cpu_s"), 2
        )
        report["peak_rss_mb_refresh"] = round(peak_rss_mb(), 0)

        if baselines:
            # aggregation stage vs one hand-written DuckDB query (same tables, same run)
            hand = []
            for _ in range(runs):
                t, _ = _timed(
                    lambda: engine.con.execute(f"CREATE OR REPLACE TEMP TABLE _h AS {HAND_WRITTEN}")
                )
                hand.append(t)
            report["hand_written_query_median"] = round(statistics.median(hand), 2)
            inlined = []
            for _ in range(runs):
                t, _ = _timed(
                    lambda: engine.con.execute(
                        f"CREATE OR REPLACE TEMP TABLE _i AS {inlined_features_sql()}"
                    )
                )
                inlined.append(t)
            report["inlined_features_query_median"] = round(statistics.median(inlined), 2)
            feat = report["steps_median_s"][FEATURE_STEP]
            report["features_vs_inlined"] = round(feat / report["inlined_features_query_median"], 2)
            report["features_vs_hand_written"] = round(
                feat / report["hand_written_query_median"], 2
            )
            _log(f"baselines done {report}")

        # segment count preview on the published (read-only) file, as the console opens it
        engine.close()
        published = home / "published.duckdb"
        shutil.copyfile(db, published)
        reader = PublishedSnapshot(published)
        report["preview"] = measure_preview(reader, 30)
        reader.close()
        report["peak_rss_mb"] = round(peak_rss_mb(), 0)

    if baselines:
        report.update(pandas_baseline(pandas_customers, runs, threads, memory))
    report["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    return report


def customer_orders_inlined_sql() -> str:
    """``ins_customer_orders`` as ONE hand-written query over the contract tables (its inputs
    as CTEs): the DuckDB baseline of the pandas comparison, same 52 columns."""
    body = features.customer_orders_sql().strip()
    assert body.startswith("WITH ")
    return (
        f"WITH ins_order_facts AS ({features.order_facts_sql()}), "
        f"ins_customer_sku_day AS ({features.customer_sku_day_sql()}), "
        f"ins_customer_sku AS ({features.CUSTOMER_SKU_SQL}), " + body[len("WITH ") :]
    )


def _cpu_wall(fn: Any) -> tuple[float, float, Any]:
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def stage_on_world(
    world: Path, threads: int, memory: str
) -> tuple[DuckDBEngine, dict[str, int], Callable[[], None]]:
    """A DuckDB engine over a Parquet world, its row counts, and the features step's own SQL
    for ``ins_customer_orders`` (order facts, customer x SKU x day, customer x SKU, customer
    orders: what the step materialises for these columns) as one callable."""
    engine = DuckDBEngine(threads=threads, memory_limit=memory)
    attach_world(engine.con, world)
    counts = {
        t: int(engine.scalar(f"SELECT count(*) FROM {t}") or 0)
        for t in ("customers", "orders", "order_lines")
    }
    engine.materialize("ins_as_of", features.AS_OF_SQL)
    stage_sql = [
        ("ins_order_facts", features.order_facts_sql()),
        ("ins_customer_sku_day", features.customer_sku_day_sql()),
        ("ins_customer_sku", features.CUSTOMER_SKU_SQL),
        ("ins_customer_orders", features.customer_orders_sql()),
    ]

    def stage() -> None:
        for name, sql in stage_sql:
            engine.materialize(name, sql)

    return engine, counts, stage


def emit(report: dict[str, Any], out: Path | None) -> None:
    """Print the JSON report, and write it to ``out`` too."""
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    print(text)
    if out:
        out.write_text(text, encoding="utf-8")


def pandas_baseline(
    pandas_customers: int,
    runs: int,
    threads: int,
    memory: str,
    world: Path | None = None,
) -> dict[str, Any]:
    """The per-customer order aggregates (``ins_customer_orders``, 52 columns) computed three
    ways over the same Parquet files, interleaved, wall and CPU seconds each: the stage's own
    SQL (order facts, customer x SKU x day, customer x SKU, customer orders: what the features
    step materialises for these columns), the same as one hand-written DuckDB query, and pandas
    (read_parquet, merge, groupby-agg). The pandas result is checked equal to the stage's."""
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if world is None:
            world = Path(tmp) / "world"
            write_world(world, customers=pandas_customers, threads=threads)
        engine, report["world"], stage = stage_on_world(world, threads, memory)

        def hand() -> None:
            engine.execute(f"CREATE OR REPLACE TEMP TABLE _h AS {customer_orders_inlined_sql()}")

        times: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("stage", "hand_written", "pandas_read", "pandas_compute")
        }
        result = None
        for i in range(runs):
            w, c, _ = _cpu_wall(stage)
            times["stage"].append((w, c))
            w, c, _ = _cpu_wall(hand)
            times["hand_written"].append((w, c))
            w, c, frames = _cpu_wall(partial(pandas_read, world))
            times["pandas_read"].append((w, c))
            w, c, result = _cpu_wall(partial(pandas_customer_orders, frames))
            times["pandas_compute"].append((w, c))
            del frames
            _log(f"pandas comparison run {i}: {times}")
        report["rss_peak_mb"] = round(peak_rss_mb(), 0)
        assert result is not None
        report["pandas_equals_stage"] = _equal_to_stage(engine, result)
        engine.close()
    for k, v in times.items():
        report[f"{k}_wall_s"] = round(statistics.median(x[0] for x in v), 2)
        report[f"{k}_cpu_s"] = round(statistics.median(x[1] for x in v), 2)
    for base in ("stage", "hand_written"):
        for unit in ("wall", "cpu"):
            pd_total = report[f"pandas_read_{unit}_s"] + report[f"pandas_compute_{unit}_s"]
            report[f"pandas_vs_{base}_{unit}"] = round(pd_total / report[f"{base}_{unit}_s"], 1)
            report[f"pandas_compute_only_vs_{base}_{unit}"] = round(
                report[f"pandas_compute_{unit}_s"] / report[f"{base}_{unit}_s"], 1
            )
    return report


def _equal_to_stage(engine: DuckDBEngine, result: pd.DataFrame) -> dict[str, Any]:
    """Compare the pandas frame with ``ins_customer_orders`` column by column (numbers to
    1e-6, days as dates, keys as text); returns the number of differing values per column."""
    duck = engine.fetch_arrow("SELECT * FROM ins_customer_orders").to_pandas()
    duck = duck.set_index("customer_id").sort_index()
    mine = result.reindex(duck.index)
    differing: dict[str, int] = {}
    for col in duck.columns:
        a, b = duck[col], mine[col]
        if col.endswith("order_day"):
            a, b = pd.to_datetime(a), pd.to_datetime(b)
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            x, y = a.astype(float), b.astype(float)
            same = ((x - y).abs() <= 1e-6 + 1e-9 * x.abs()) | (x.isna() & y.isna())
        else:
            x, y = a.astype(str), b.astype(str)
            same = (x == y) | (a.isna() & b.isna())
        if int((~same).sum()):
            differing[col] = int((~same).sum())
    return {"rows": len(duck), "columns": len(duck.columns), "differing": differing}


class _LoggedEngine(DuckDBEngine):
    """Logs every table a step materialises (wall, CPU, peak RSS), to see how far a long run
    got and where its time went."""

    def materialize(self, name: str, sql: str, *, scratch: bool = False) -> None:
        c0, t0 = time.process_time(), time.perf_counter()
        super().materialize(name, sql, scratch=scratch)
        _log(
            f"  table {name}: {time.perf_counter() - t0:.1f} s wall, "
            f"{time.process_time() - c0:.1f} s CPU, peak RSS {peak_rss_mb():.0f} MB, "
            f"load {os.getloadavg()[0]:.1f}"
        )


def run_full_on_parquet(world: Path, work: Path, threads: int, memory: str) -> dict[str, Any]:
    """One full refresh over a world written as Parquet files (``bench.insight_world
    write_world``; the contract tables are views over the files), step by step, each step's
    wall and CPU seconds, the peak RSS and the load average logged as soon as it ends (so a run
    that cannot finish still says how far it got). DuckDB spills to ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / "scale.duckdb"
    engine = _LoggedEngine(db, threads=threads, memory_limit=memory)
    engine.execute(f"SET temp_directory = '{work / 'spill'}'")
    attach_world(engine.con, world)
    counts = {
        t: int(engine.scalar(f"SELECT count(*) FROM {t}") or 0)
        for t in ("customers", "orders", "order_lines", "events")
    }
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {threads} DuckDB threads, "
        f"memory_limit {memory}",
        "world": counts,
        "load_average_start": [round(x, 1) for x in os.getloadavg()],
        "steps": {},
    }
    _log(f"world {counts}")
    settings = Settings(home=work, demo=True)
    ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
    c0, t0 = time.process_time(), time.perf_counter()
    for step in STEPS:
        c1, t1 = time.process_time(), time.perf_counter()
        out = pipeline.run(ctx, only=[step])
        report["steps"][step] = {
            "wall_s": round(time.perf_counter() - t1, 1),
            "cpu_s": round(time.process_time() - c1, 1),
            "peak_rss_mb": round(peak_rss_mb(), 0),
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "out": {k: v for k, v in out[step].items() if k != "seconds"},
        }
        _log(f"{step} {report['steps'][step]}")
    report["wall_s"] = round(time.perf_counter() - t0, 1)
    report["cpu_s"] = round(time.process_time() - c0, 1)
    report["peak_rss_mb"] = round(peak_rss_mb(), 0)
    report["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    engine.close()
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pandas-customers", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="8GB")
    ap.add_argument("--out", type=Path, default=None, help="Write the JSON report here too.")
    ap.add_argument("--world", type=Path, default=None, help="Reuse a generated world file.")
    ap.add_argument(
        "--no-baselines", action="store_true", help="Skip the hand-written and pandas baselines."
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="No second full refresh per round: the incremental run is compared with the full "
        "refresh of the day before (same size less one day), and not checked for equality.",
    )
    ap.add_argument(
        "--parquet-world",
        type=Path,
        default=None,
        help="One full refresh, step by step, over a Parquet world (bench.insight_world "
        "write_world); needs --work.",
    )
    ap.add_argument("--work", type=Path, default=None, help="Database and spill directory.")
    ap.add_argument(
        "--pandas-only",
        action="store_true",
        help="Only the pandas comparison (on --pandas-world, or a world of --pandas-customers).",
    )
    ap.add_argument("--pandas-world", type=Path, default=None, help="A Parquet world to use.")
    args = ap.parse_args()
    if args.pandas_only:
        report = pandas_baseline(
            args.pandas_customers, args.runs, args.threads, args.memory, args.pandas_world
        )
        report["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
        emit(report, args.out)
        return
    if args.parquet_world is not None:
        if args.work is None:
            ap.error("--parquet-world needs --work")
        report = run_full_on_parquet(args.parquet_world, args.work, args.threads, args.memory)
        emit(report, args.out)
        return
    report = run(
        args.customers,
        args.runs,
        args.pandas_customers,
        args.threads,
        args.memory,
        args.world,
        baselines=not args.no_baselines,
        quick=args.quick,
    )
    emit(report, args.out)


if __name__ == "__main__":
    main()
