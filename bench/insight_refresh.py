"""Insight benchmark: full refresh at scale, the aggregation stage against two baselines,
and the segment count preview latency. Results go to docs/benchmarks/insight.md.

    python -m bench.insight_refresh --customers 1000000 --runs 3

Scale 10 = 1M members, ~20M order lines. The contract tables are generated synthetically
(bench/insight_world.py) directly in the analytics database.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from bench.insight_world import create_world

from omniretail.insight.segment import service as segment_service
from omniretail.insight.tag import features
from omniretail.platform import pipeline
from omniretail.platform.config import Settings
from omniretail.platform.engine.duckdb import DuckDBEngine

STEPS = [
    "insight.features",
    "insight.rfm",
    "insight.lifecycle",
    "insight.tags",
    "insight.kpis",
    "insight.basket",
]
FEATURE_STEP = "insight.features"

PREVIEW_RULE: dict[str, Any] = {
    "all": [
        {"field": "gender", "op": "eq", "value": "F"},
        {"field": "age", "op": "between", "value": [20, 45]},
        {"field": "rfm_group", "op": "in", "value": ["重要价值", "重要发展", "重要保持"]},
        {"not": {"field": "lifecycle_stage", "op": "in", "value": ["churned", "prospect"]}},
        {"purchase": {"category": "DUCK_NECK", "min_times": 2, "days": 180}},
    ]
}

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
        f"ins_customer_sku AS ({features.CUSTOMER_SKU_SQL}), " + body[len("WITH ") :]
    )


def pandas_features(con: duckdb.DuckDBPyConnection) -> int:
    """The same order aggregates the common pandas way (merge, then groupby-agg)."""
    orders = con.sql("SELECT * FROM orders").df()
    lines = con.sql("SELECT * FROM order_lines").df()
    lt = lines.groupby(["source", "order_id"]).agg(units=("quantity", "sum"), lines=("sku", "size"))
    o = orders[(orders.status == "paid") & orders.customer_id.notna()].merge(
        lt.reset_index(), on=["source", "order_id"]
    )
    o["day"] = o.ordered_at.dt.normalize()
    as_of = orders.ordered_at.max().normalize()
    o["days_ago"] = (as_of - o.day).dt.days
    o["paid"] = o.paid_amount.astype(float)
    o["o30"] = o.days_ago < 30
    o["o90"] = o.days_ago < 90
    o["o365"] = o.days_ago < 365
    o["s365"] = o.paid.where(o.o365, 0.0)
    o["coupon"] = o.coupon_code.notna()
    feats = o.groupby("customer_id").agg(
        orders_total=("order_id", "size"),
        o30=("o30", "sum"),
        o90=("o90", "sum"),
        o365=("o365", "sum"),
        sales_total=("paid", "sum"),
        sales_365d=("s365", "sum"),
        max_order=("paid", "max"),
        units=("units", "sum"),
        lines=("lines", "sum"),
        coupon_orders=("coupon", "sum"),
        first_day=("day", "min"),
        last_day=("day", "max"),
        purchase_days=("day", "nunique"),
        channels=("channel_code", "nunique"),
        stores=("store_code", "nunique"),
    )
    return len(feats)


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    customers: int,
    runs: int,
    pandas_customers: int,
    threads: int,
    memory: str,
    world: Path | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {threads} DuckDB threads, memory_limit {memory}",
        "customers": customers,
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
        refreshes = []
        step_times: dict[str, list[float]] = {s: [] for s in STEPS}
        for _ in range(runs):
            ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
            total, out = _timed(lambda ctx=ctx: pipeline.run(ctx, only=STEPS))
            refreshes.append(total)
            for s in STEPS:
                step_times[s].append(out[s]["seconds"])
        report["full_refresh_seconds"] = [round(x, 1) for x in refreshes]
        report["full_refresh_median"] = round(statistics.median(refreshes), 1)
        report["steps_median"] = {s: round(statistics.median(v), 2) for s, v in step_times.items()}
        _log(f"refresh {refreshes} {report['steps_median']}")

        # incremental: a day of new orders on top of the last run
        engine.execute(
            "CREATE TEMP TABLE _new AS SELECT * REPLACE (order_id || 'N' AS order_id, "
            "(SELECT max(ordered_at) FROM orders) + INTERVAL 1 HOUR AS ordered_at) "
            "FROM orders USING SAMPLE 0.3 PERCENT (reservoir, 42)"
        )
        engine.execute(
            "CREATE TEMP TABLE _newl AS SELECT l.* REPLACE (l.order_id || 'N' AS order_id) "
            "FROM order_lines l JOIN _new n ON n.order_id = l.order_id || 'N' "
            "AND n.source = l.source"
        )
        engine.execute("INSERT INTO orders SELECT * FROM _new")
        engine.execute("INSERT INTO order_lines SELECT * FROM _newl")
        ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=False)
        inc, out = _timed(lambda: pipeline.run(ctx, only=STEPS))
        report["incremental_refresh_seconds"] = round(inc, 1)
        report["incremental_new_orders"] = out[FEATURE_STEP]["new_orders"]
        report["incremental_features_seconds"] = out[FEATURE_STEP]["seconds"]

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
        report["features_vs_inlined"] = round(
            report["steps_median"][FEATURE_STEP] / report["inlined_features_query_median"], 2
        )
        _log(f"baselines done {report}")
        report["features_vs_hand_written"] = round(
            report["steps_median"][FEATURE_STEP] / report["hand_written_query_median"], 2
        )

        # segment count preview on the published (read-only) file
        engine.close()
        published = home / "published.duckdb"
        published.write_bytes(db.read_bytes())
        reader = DuckDBEngine(published, read_only=True)
        lat = []
        for i in range(32):
            t, res = _timed(
                lambda: segment_service.count_segment(reader, PREVIEW_RULE, breakdown=True)
            )
            if i >= 2:  # warm-up
                lat.append(t * 1000)
        lat.sort()
        report["preview_count"] = res["count"]
        report["preview_ms_p50"] = round(statistics.median(lat), 1)
        report["preview_ms_p95"] = round(lat[int(0.95 * len(lat)) - 1], 1)
        plain = []
        for _ in range(20):
            t, _ = _timed(lambda: segment_service.count_segment(reader, PREVIEW_RULE))
            plain.append(t * 1000)
        report["count_only_ms_p50"] = round(statistics.median(plain), 1)
        reader.close()
        report["peak_rss_mb"] = round(peak_rss_mb(), 0)

    # pandas baseline vs the DuckDB stage on the same smaller world (pandas cannot hold more)
    con_engine = DuckDBEngine(threads=threads, memory_limit=memory)
    create_world(con_engine.con, customers=pandas_customers)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), demo=True)
        ctx = pipeline.PipelineContext(engine=con_engine, settings=settings, full_refresh=True)
        duck_t = []
        hand_t = []
        pandas_t = []
        for _ in range(runs):
            duck_t.append(pipeline.run(ctx, only=[FEATURE_STEP])[FEATURE_STEP]["seconds"])
            t, _ = _timed(
                lambda: con_engine.con.execute(f"CREATE OR REPLACE TEMP TABLE _h AS {HAND_WRITTEN}")
            )
            hand_t.append(t)
            t, _ = _timed(lambda: pandas_features(con_engine.con))
            pandas_t.append(t)
    con_engine.close()
    report["pandas_world_customers"] = pandas_customers
    report["pandas_seconds_median"] = round(statistics.median(pandas_t), 2)
    report["hand_written_small_median"] = round(statistics.median(hand_t), 3)
    report["features_small_median"] = round(statistics.median(duck_t), 3)
    report["pandas_vs_hand_written"] = round(
        report["pandas_seconds_median"] / report["hand_written_small_median"], 1
    )
    report["pandas_vs_features"] = round(
        report["pandas_seconds_median"] / report["features_small_median"], 1
    )
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
    args = ap.parse_args()
    report = run(
        args.customers, args.runs, args.pandas_customers, args.threads, args.memory, args.world
    )
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
