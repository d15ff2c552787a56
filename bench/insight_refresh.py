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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from bench.insight_world import create_world
from bench.segment_count import measure as measure_preview

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
        reader = segment_service.PublishedSnapshot(published)
        report["preview"] = measure_preview(reader, 30)
        reader.close()
        report["peak_rss_mb"] = round(peak_rss_mb(), 0)

    if baselines:
        report.update(pandas_baseline(pandas_customers, runs, threads, memory))
    report["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    return report


def pandas_baseline(pandas_customers: int, runs: int, threads: int, memory: str) -> dict[str, Any]:
    """pandas vs the DuckDB stage on the same smaller world (pandas cannot hold more)."""
    report: dict[str, Any] = {}
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
    ap.add_argument(
        "--no-baselines", action="store_true", help="Skip the hand-written and pandas baselines."
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="No second full refresh per round: the incremental run is compared with the full "
        "refresh of the day before (same size less one day), and not checked for equality.",
    )
    args = ap.parse_args()
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
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
