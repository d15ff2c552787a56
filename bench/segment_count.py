"""Segment count preview latency on a published (read-only) snapshot.

    python -m bench.segment_count --customers 1000000
    python -m bench.segment_count --snapshot WORK.duckdb   # a database the pipeline ran on

The 5-condition rule of the issue (gender, age between, RFM group in, NOT lifecycle in, bought
category X on ≥ 2 days in 180 days) is timed three ways in the same process, interleaved so that
machine load hits all of them alike:

- ``preview``: count + breakdown by store/region/channel/tier (what the console calls);
- ``count``: the count alone (the baseline the target is compared with);
- ``sku_path``: the count with the purchase condition on the SKU × day table joined to products
  (the formulation before ``ins_customer_category_day``), to show what the table buys.

Reports p50/p95 wall milliseconds and CPU milliseconds per call, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.insight_world import create_world

from omniretail.insight.segment import service as segment_service
from omniretail.insight.segment.rules import compile_rule
from omniretail.platform import pipeline
from omniretail.platform.config import Settings
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.engine.snapshot import PublishedSnapshot

RULE: dict[str, Any] = {
    "all": [
        {"field": "gender", "op": "eq", "value": "F"},
        {"field": "age", "op": "between", "value": [20, 45]},
        {"field": "rfm_group", "op": "in", "value": ["重要价值", "重要发展", "重要保持"]},
        {"not": {"field": "lifecycle_stage", "op": "in", "value": ["churned", "prospect"]}},
        {"purchase": {"category": "DUCK_NECK", "min_times": 2, "days": 180}},
    ]
}
STEPS = ["insight.features", "insight.rfm", "insight.lifecycle", "insight.tags"]


def sku_path_sql() -> str:
    """The same count with the purchase condition on ins_customer_sku_day ⋈ dim_product."""
    head = compile_rule({"all": RULE["all"][:4]})
    purchase = (
        "t.customer_id IN (SELECT s.customer_id FROM ins_customer_sku_day s "
        "LEFT JOIN dim_product p ON p.sku = s.sku WHERE s.order_day > "
        "(SELECT as_of FROM ins_as_of) - 180 AND p.category_code = 'DUCK_NECK' "
        "GROUP BY s.customer_id HAVING count(DISTINCT s.order_day) >= 2)"
    )
    return f"SELECT count(*) FROM customer_tags t WHERE {head.where} AND {purchase}"


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, int(round(q * len(s))) - 1))], 1)


def measure(reader: DuckDBEngine, calls: int) -> dict[str, Any]:
    cases: dict[str, Callable[[], Any]] = {
        "preview": lambda: segment_service.count_segment(reader, RULE, breakdown=True)["count"],
        "count": lambda: segment_service.count_segment(reader, RULE)["count"],
        "sku_path": lambda: reader.scalar(sku_path_sql()),
    }
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    counts: dict[str, int] = {}
    for i in range(calls + 2):
        for name, fn in cases.items():
            t0, c0 = time.perf_counter(), time.process_time()
            counts[name] = int(fn())
            if i >= 2:  # two warm-up rounds
                wall[name].append((time.perf_counter() - t0) * 1000)
                cpu[name].append((time.process_time() - c0) * 1000)
    assert len(set(counts.values())) == 1, counts  # the three formulations agree
    return {
        "matched": counts["count"],
        "calls": calls,
        **{
            name: {
                "p50_ms": _pct(wall[name], 0.5),
                "p95_ms": _pct(wall[name], 0.95),
                "cpu_ms_median": round(statistics.median(cpu[name]), 1),
            }
            for name in cases
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--snapshot", type=Path, help="a database the insight pipeline ran on")
    ap.add_argument("--world", type=Path, help="a generated world (bench.insight_world) to copy")
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    report: dict[str, Any] = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        published = home / "published.duckdb"
        if args.snapshot is not None:
            shutil.copyfile(args.snapshot, published)
        else:
            work = home / "work.duckdb"
            if args.world is not None:
                shutil.copyfile(args.world, work)
            engine = DuckDBEngine(work, threads=args.threads, memory_limit="8GB")
            if args.world is None:
                create_world(engine.con, customers=args.customers)
            ctx = pipeline.PipelineContext(
                engine=engine, settings=Settings(home=home, demo=True), full_refresh=True
            )
            pipeline.run(ctx, only=STEPS)
            engine.close()
            shutil.copyfile(work, published)
        reader = PublishedSnapshot(published)  # as the console opens it
        report["members"] = int(reader.scalar("SELECT count(*) FROM customer_tags") or 0)
        for table in ("ins_customer_category_day", "ins_customer_sku_day"):
            report[f"{table}_rows"] = int(reader.scalar(f"SELECT count(*) FROM {table}") or 0)
        report.update(measure(reader, args.calls))
        reader.close()
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2), file=sys.stdout)


if __name__ == "__main__":
    main()
