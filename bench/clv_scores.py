"""Benchmark: the ``customer_scores`` pipeline step on a synthetic world of the contract tables.

Run: ``.venv/bin/python bench/clv_scores.py [--customers 100000]``

Builds the insight engineers' deterministic world (``bench/insight_world.py``: orders,
order_lines, dim_product with replenish_days, events) in DuckDB and times the whole step:
RFM summary SQL, BG/NBD backtest + fit + scoring, Gamma-Gamma, churn features at three
cutoffs, logistic regression, factors in words, replenishment SQL and the final tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()

    from insight_world import create_world

    from omniretail.insight.clv.pipeline import build_scores
    from omniretail.platform.engine.duckdb import DuckDBEngine

    with DuckDBEngine() as engine:
        t0 = time.perf_counter()
        create_world(engine.con, customers=args.customers)
        world_seconds = time.perf_counter() - t0
        orders = int(engine.scalar("SELECT count(*) FROM orders"))
        t0, c0 = time.perf_counter(), time.process_time()
        out = build_scores(engine)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        churn = engine.scalar("SELECT report FROM customer_score_models WHERE model = 'churn'")
    print(  # noqa: T201
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "date": date.today().isoformat(),
                "load_average": os.getloadavg()[0],
                "customers": args.customers,
                "orders": orders,
                "world_seconds": round(world_seconds, 1),
                "step_seconds": round(seconds, 2),
                "step_cpu_seconds": round(cpu, 2),
                "step": out,
                "churn_test": json.loads(churn).get("test", {}) if churn else None,
            },
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
