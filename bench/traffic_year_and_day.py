"""Issue 18's counter target end to end, and the next day's import (incremental standardize).

One year of hourly counts for N stores (one door each) as the vendor's CSV through the shipped
``people_counter`` mapping: the import (landing), ``standardize`` (first run: every row) and
step ``insight.traffic`` (first build). Target: 2,000 stores (17.5 M rows) in ≤ 60 s on 2
cores. Baseline in the same run: plain DuckDB ``read_csv`` + one GROUP BY store × day.

Then the next day's export for every store (24 rows a store): its import, ``standardize``
incremental (reads the new batch only) against a full-refresh ``standardize`` (every batch
again, as every run did before) on the same data, alternately, and the traffic step's
incremental refresh. Between repeats the day is taken out of the standardize and traffic
state again (and its rows out of ``std_traffic_counts``), so each repeat folds in the same day.

Wall and CPU seconds (the process's CPU, DuckDB's threads included: the figure comparable
on a shared machine) per operation; load average at start and end.

    python -m bench.traffic_year_and_day [--stores 2000] [--days 365] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.traffic_counters import baseline, land, make_files
from bench.traffic_incremental import _next_day, _sales


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    load_start = os.getloadavg()[0]
    out: dict[str, Any] = {"benchmark": "traffic_year_and_day", "stores": args.stores,
                           "days": args.days, "runs": args.runs, "cpus": os.cpu_count(),
                           "load_avg_1m_start": round(load_start, 1)}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_files(tmp, args.stores, args.days, 1)
        day_file = _next_day(tmp, args.stores, args.days)
        out["csv_mb"] = round(files[0].stat().st_size / 1e6, 1)
        w, c, _ = _timed(lambda: baseline(files[0]))
        out["floor_read_csv_group_by"] = {"wall_s": round(w, 2), "cpu_s": round(c, 2)}

        from omniretail.cdp.ingest import service
        from omniretail.cdp.ingest.mapping import shipped_mapping
        from omniretail.platform import db, pipeline
        from omniretail.platform.config import get_settings
        from omniretail.platform.engine import open_engine

        w0, c0 = time.perf_counter(), time.process_time()
        import_year = land(tmp, 0, files)  # wall of the counts' import only
        c_import = time.process_time() - c0  # (includes the small master imports)
        eng = open_engine()
        ctx = pipeline.PipelineContext(engine=eng, settings=get_settings(), full_refresh=False)
        ws, cs, _ = _timed(lambda: pipeline.run(ctx, only=["standardize"]))
        assert ctx.results["standardize"]["counters"]["counter"] == "first_run"
        _sales(eng, args.days)  # not timed: the sales the step sets against visitors
        wt, ct, _ = _timed(lambda: pipeline.run(ctx, only=["insight.traffic"]))
        rows = int(eng.scalar("SELECT count(*) FROM std_traffic_counts") or 0)
        out["rows"] = rows
        out["year"] = {
            "import_wall_s": round(import_year, 2), "import_cpu_s": round(c_import, 2),
            "standardize_wall_s": round(ws, 2), "standardize_cpu_s": round(cs, 2),
            "traffic_step_wall_s": round(wt, 2), "traffic_step_cpu_s": round(ct, 2),
            "total_wall_s": round(import_year + ws + wt, 2),
            "total_cpu_s": round(c_import + cs + ct, 2),
            "elapsed_incl_masters_s": round(time.perf_counter() - w0, 2),
        }  # fmt: skip

        def import_day() -> None:
            with db.session_scope() as s:
                service.import_with_mapping_file(
                    s, source="counter", mapping_path=shipped_mapping("people_counter"),
                    files=[day_file],
                )  # fmt: skip

        wi, ci, _ = _timed(import_day)
        batch = ""  # the day's batch id, once standardize has seen it

        def forget_day(day_batch: str) -> None:
            for table, c in (("q_counter_batches", "batch_id"), ("q_counter_metrics", "batch_id"),
                             ("q_counter_quarantined", "_batch_id"),
                             ("std_traffic_counts", "_batch_id")):  # fmt: skip
                eng.execute(f"DELETE FROM {table} WHERE {c} = '{day_batch}'")

        def std(full: bool) -> dict[str, Any]:
            ctx.full_refresh = full
            pipeline.run(ctx, only=["standardize"])
            return dict(ctx.results["standardize"])

        inc: list[tuple[float, float]] = []
        full: list[tuple[float, float]] = []
        for i in range(args.runs):
            w, c, res = _timed(lambda: std(False))
            assert res["counters"]["counter"] == "incremental:1_new_batches", res["counters"]
            inc.append((w, c))
            if not batch:
                batch = str(
                    eng.scalar(
                        "SELECT _batch_id FROM std_traffic_counts "
                        "GROUP BY _batch_id ORDER BY max(bucket_start) DESC LIMIT 1"
                    )
                )
            rows_inc = int(eng.scalar("SELECT count(*) FROM std_traffic_counts") or 0)
            w, c, res = _timed(lambda: std(True))
            assert res["counters"]["counter"] == "full_refresh"
            full.append((w, c))
            assert int(eng.scalar("SELECT count(*) FROM std_traffic_counts") or 0) == rows_inc
            if i < args.runs - 1:
                forget_day(batch)
        _sales(eng, args.days + 1)
        ctx.full_refresh = False
        wd, cd, _ = _timed(lambda: pipeline.run(ctx, only=["insight.traffic"]))
        step = ctx.results["insight.traffic"]
        eng.close()

    def med(xs: list[tuple[float, float]], k: int) -> float:
        return round(statistics.median(x[k] for x in xs), 2)

    out["next_day"] = {
        "rows": args.stores * 24,
        "import_wall_s": round(wi, 2), "import_cpu_s": round(ci, 2),
        "standardize_incremental_wall_s": med(inc, 0),
        "standardize_incremental_cpu_s": med(inc, 1),
        "standardize_full_wall_s": med(full, 0), "standardize_full_cpu_s": med(full, 1),
        "traffic_step_wall_s": round(wd, 2), "traffic_step_cpu_s": round(cd, 2),
        "traffic_step_mode": step.get("mode"),
        "runs_wall_s": {"incremental": [round(w, 2) for w, _ in inc],
                        "full": [round(w, 2) for w, _ in full]},
    }  # fmt: skip
    out["load_avg_1m_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
