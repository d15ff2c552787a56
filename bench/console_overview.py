"""Benchmark: the overview dashboard's numbers on a published snapshot of growing size.

Run: ``.venv/bin/python bench/console_overview.py [--orders 200000 2000000] [--runs 5]
[--write docs/benchmarks/console.md]``

1. Builds a synthetic published snapshot in a temporary ``OMNIRETAIL_HOME`` with DuckDB SQL:
   ``orders`` (two years, 15 channels, 200 stores in 30 provinces, 5% cancelled/returned),
   ``dim_store``, ``dim_channel`` and ``customers`` (one per 10 orders), shaped as in
   docs/data-contract.md.
2. Times ``omniretail.web.overview.load_overview`` (what ``GET /api/v1/overview`` computes:
   headline numbers, sales by day, channel, province and store) for the last 90 days and for
   all data, opening the snapshot read-only each time as a request does.
3. Baseline in the same process: one scan ``SELECT count(*), sum(paid_amount) FROM orders``
   on the same snapshot (the floor of any dashboard over all orders).

Prints JSON with the medians over ``--runs`` runs and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import duckdb  # noqa: E402


def build_snapshot(path: Path, orders: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(
        """
        CREATE TABLE dim_channel AS
        SELECT 'CH' || lpad(i::VARCHAR, 2, '0') AS channel_code, '渠道' || i AS name,
               'Channel ' || i AS name_en, CASE WHEN i < 4 THEN 'offline' ELSE 'online' END AS kind,
               'private' AS domain, 'p' || i AS platform
        FROM range(15) t(i);
        CREATE TABLE dim_store AS
        SELECT 'S' || lpad(i::VARCHAR, 4, '0') AS store_code, '门店' || i AS name,
               'street' AS store_type, '省份' || (i % 30) AS province, '城市' || (i % 60) AS city,
               '区域' || (i % 6) AS region, 22 + (i % 20) * 0.9 AS latitude,
               100 + (i % 25) * 0.9 AS longitude, DATE '2020-01-01' AS opened_on
        FROM range(200) t(i);
        """
    )
    con.execute(
        f"""
        CREATE TABLE customers AS
        SELECT 'C' || lpad(i::VARCHAR, 9, '0') AS customer_id,
               'S' || lpad((i % 200)::VARCHAR, 4, '0') AS home_store_code,
               TIMESTAMP '2024-01-01' + to_days((i % 730)::INTEGER) AS registered_at
        FROM range({max(orders // 10, 1)}) t(i);
        CREATE TABLE orders AS
        SELECT 'pos' AS source, 'O' || i AS order_id,
               'C' || lpad((hash(i) % {max(orders // 10, 1)})::VARCHAR, 9, '0') AS customer_id,
               'CH' || lpad((hash(i * 7) % 15)::VARCHAR, 2, '0') AS channel_code,
               CASE WHEN hash(i * 11) % 10 = 0 THEN NULL
                    ELSE 'S' || lpad((hash(i * 13) % 200)::VARCHAR, 4, '0') END AS store_code,
               TIMESTAMP '2024-01-01' + to_seconds((hash(i * 17) % (730 * 86400))::BIGINT)
               AS ordered_at,
               CASE WHEN hash(i * 19) % 20 = 0 THEN 'cancelled' ELSE 'paid' END AS status,
               ((hash(i * 23) % 30000) / 100.0)::DECIMAL(12, 2) AS paid_amount
        FROM range({orders}) t(i);
        """
    )
    con.close()


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, nargs="+", default=[200_000, 2_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.orders:
            home = Path(tmp) / f"home{n}"
            os.environ.update(OMNIRETAIL_HOME=str(home), OMNIRETAIL_DEMO="1")
            from omniretail.platform.config import reset_settings

            reset_settings()
            from omniretail.platform.engine import published_path
            from omniretail.web.overview import load_overview

            build_snapshot(published_path(), n)

            def baseline() -> None:
                con = duckdb.connect(str(published_path()), read_only=True)
                con.sql("SELECT count(*), sum(paid_amount) FROM orders").fetchall()
                con.close()

            load_overview(days=90)  # warm the file cache once
            runs: dict[str, list[float]] = {"days_90": [], "all": [], "baseline_scan": []}
            for _ in range(args.runs):
                runs["baseline_scan"].append(timed(baseline))
                runs["days_90"].append(timed(lambda: load_overview(days=90)))
                runs["all"].append(timed(lambda: load_overview(days=0)))
            medians = {k: round(statistics.median(v) * 1000, 1) for k, v in runs.items()}
            results.append(
                {
                    "orders": n,
                    "median_ms": medians,
                    "ratio_to_baseline": {
                        k: round(medians[k] / medians["baseline_scan"], 1)
                        for k in ("days_90", "all")
                    },
                }
            )
    report = {
        "benchmark": "console overview (load_overview)",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "runs": args.runs,
        "results": results,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.write:
        lines = [
            "# Console benchmarks",
            "",
            "`bench/console_overview.py`: the overview dashboard's numbers "
            "(`omniretail.web.overview.load_overview`, what `GET /api/v1/overview` computes) on "
            "a synthetic published snapshot; baseline = one scan "
            "`SELECT count(*), sum(paid_amount) FROM orders` of the same snapshot in the same "
            "process. Medians of "
            f"{args.runs} runs; {report['machine']}; {report['date']}; the machine was shared "
            "with other jobs (noisy).",
            "",
            "| orders | last 90 days (ms) | all data (ms) | baseline scan (ms) "
            "| 90 days / baseline |",
            "|---:|---:|---:|---:|---:|",
        ]
        for r in results:
            m = r["median_ms"]
            lines.append(
                f"| {r['orders']:,} | {m['days_90']} | {m['all']} | {m['baseline_scan']} | "
                f"{r['ratio_to_baseline']['days_90']} |"
            )
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
