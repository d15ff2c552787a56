"""Store traffic step, incremental vs the old full copies (issue 18), in the same run on the same
data: one year of hourly counts for N stores (the vendor CSV through the shipped
``people_counter`` mapping and ``standardize``), then the next day's export for every store.

- ``old``: the step as it was — ``trf_counts`` copied from ``std_traffic_counts`` as a table
  and every ``trf_*`` table rebuilt from it, on every run;
- ``new``: ``trf_counts`` a view, the year built once (``full``), the next day's batch
  folded in by replacing only the store-days it (and the day's sales) touched.

Timed per run, alternately (old first): the step over the year (old copy vs new full build)
and the step after the next day's batch (old full rebuild vs new incremental). The landing of
the files and ``standardize`` are the same code for both (timed once: they re-read every
landed batch on each run, see docs/benchmarks.md). Between repeats of the incremental step
the new batch is taken out of ``trf_batch_state`` again, so each repeat folds in the same day.

    python -m bench.traffic_incremental [--stores 2000] [--days 365] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from bench.traffic_counters import land, make_files


def _next_day(tmp: Path, stores: int, days: int) -> Path:
    path = tmp / "next_day.csv"
    con = duckdb.connect()
    con.execute(
        f"""COPY (
          SELECT 'S' || lpad(CAST(s AS VARCHAR), 5, '0') AS 门店编码, 'D0' AS 门编码,
                 strftime(TIMESTAMP '2025-01-01' + to_hours({days * 24} + h), '%Y-%m-%d %H:%M')
                   AS 时段开始,
                 CAST(hash(s, h, 7) % 40 AS INTEGER) AS 进店人数,
                 CAST(hash(s, h, 7) % 40 AS INTEGER) AS 出店人数,
                 CAST(hash(s, h, 7) % 40 * 5 AS INTEGER) AS 过店人数
          FROM range({stores}) a(s), range(24) c(h)
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()
    return path


def _sales(eng: Any, days: int) -> None:
    """Two paid in-store tickets a day per store."""
    eng.materialize(
        "ins_order_facts",
        "SELECT store_code, DATE '2025-01-01' + CAST(d AS INTEGER) AS order_day,"
        " CAST(10 + k * 5 AS INTEGER) AS order_hour, CAST(58.5 AS DECIMAL(12,2)) AS paid_amount,"
        " 2 AS units, CAST(NULL AS VARCHAR) AS customer_id, FALSE AS online, 'paid' AS status "
        f"FROM dim_store, range({days}) a(d), range(2) b(k)",
    )


def _old_step(eng: Any) -> float:
    from omniretail.insight.traffic import pipeline as trf
    from omniretail.insight.traffic import sql

    t0 = time.perf_counter()
    eng.drop("trf_counts")
    eng.materialize("trf_counts", sql.counts_sql(True))  # the full copy, as before
    trf._full(eng)
    return time.perf_counter() - t0


def _new_step(ctx: Any, *, full: bool) -> tuple[float, dict[str, Any]]:
    from omniretail.platform import pipeline

    ctx.full_refresh = full
    t0 = time.perf_counter()
    pipeline.run(ctx, only=["insight.traffic"])
    return time.perf_counter() - t0, ctx.results["insight.traffic"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_files(tmp, args.stores, args.days, 1)
        day_file = _next_day(tmp, args.stores, args.days)

        from omniretail.cdp.ingest import service
        from omniretail.cdp.ingest.mapping import shipped_mapping
        from omniretail.platform import db, pipeline
        from omniretail.platform.config import get_settings
        from omniretail.platform.engine import open_engine

        import_year = land(tmp, 0, files)
        eng = open_engine()
        ctx = pipeline.PipelineContext(engine=eng, settings=get_settings(), full_refresh=True)
        t0 = time.perf_counter()
        pipeline.run(ctx, only=["standardize"])
        std_year = time.perf_counter() - t0
        _sales(eng, args.days)
        year_old: list[float] = []
        year_new: list[float] = []
        for _ in range(args.runs):
            year_old.append(_old_step(eng))
            year_new.append(_new_step(ctx, full=True)[0])

        t0 = time.perf_counter()
        with db.session_scope() as s:
            service.import_with_mapping_file(
                s, source="counter", mapping_path=shipped_mapping("people_counter"),
                files=[day_file],
            )  # fmt: skip
        import_day = time.perf_counter() - t0
        t0 = time.perf_counter()
        ctx.full_refresh = False
        pipeline.run(ctx, only=["standardize"])
        std_day = time.perf_counter() - t0
        _sales(eng, args.days + 1)
        batch = str(
            eng.scalar(
                "SELECT _batch_id FROM std_traffic_counts GROUP BY _batch_id "
                "ORDER BY min(bucket_start) DESC LIMIT 1"
            )
        )
        day_old: list[float] = []
        day_new: list[float] = []
        affected = 0
        for _ in range(args.runs):
            day_old.append(_old_step(eng))
            eng.execute(f"DELETE FROM trf_batch_state WHERE _batch_id = '{batch}'")
            took, res = _new_step(ctx, full=False)
            assert res["mode"] == "incremental", res
            affected = int(res["affected_store_days"])
            day_new.append(took)
        rows = int(eng.scalar("SELECT count(*) FROM std_traffic_counts") or 0)
        eng.close()

    def med(xs: list[float]) -> float:
        return round(statistics.median(xs), 2)

    print(
        json.dumps(
            {
                "benchmark": "traffic_incremental",
                "stores": args.stores,
                "days": args.days,
                "rows": rows,
                "runs": args.runs,
                "cpus": os.cpu_count(),
                "load_avg_1m_start": round(load_start, 1),
                "load_avg_1m_end": round(os.getloadavg()[0], 1),
                "import_year_s": round(import_year, 2),
                "standardize_year_s": round(std_year, 2),
                "year_step_old_s": med(year_old),
                "year_step_new_s": med(year_new),
                "import_next_day_s": round(import_day, 2),
                "standardize_with_next_day_s": round(std_day, 2),
                "next_day_step_old_s": med(day_old),
                "next_day_step_new_s": med(day_new),
                "next_day_affected_store_days": affected,
                "runs_s": {
                    "year_old": [round(x, 2) for x in year_old],
                    "year_new": [round(x, 2) for x in year_new],
                    "next_day_old": [round(x, 2) for x in day_old],
                    "next_day_new": [round(x, 2) for x in day_new],
                },
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
