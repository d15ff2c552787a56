"""People-counter import at chain scale (issue 18): one year of hourly counts for N stores,
the vendor CSV through the shipped ``people_counter`` mapping, ``standardize`` and step
``insight.traffic``. Target: 2,000 stores (17.5 M rows) in ≤ 60 s on 2 cores.

Same run, same landed files, alternately (generic first, then the fast path, per run):

- ``old``: the generic row-wise standardizer (``SourceStandardizer``);
- ``new``: the counter fast path (``cdp/quality/counters.py``), chosen by the pipeline for
  counter mappings;
- ``floor``: plain DuckDB ``read_csv`` + one GROUP BY store × day (what reading the file costs).

The import (landing the CSV as Parquet) and the traffic step are the same code for both and
timed once per run; ``old_positions_s`` is what the import's former per-row Python numbering
of the landed rows cost on this file (replaced by numpy in the same change).

    python bench/traffic_import.py [--stores 2000] [--days 365] [--runs 1]
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

from bench.traffic_counters import baseline, fake_sales, land, make_files


def _old_positions(n: int) -> float:
    import pyarrow as pa

    t0 = time.perf_counter()
    skipped: set[int] = set()
    positions = [i for i in range(1, n + len(skipped) + 1) if i not in skipped][:n]
    pa.array(positions, pa.int64())
    return time.perf_counter() - t0


def _run(tmp: Path, run: int, files: tuple[Path, Path, Path], days: int) -> dict[str, Any]:
    from omniretail.cdp.quality import pipeline as quality_pipeline
    from omniretail.platform import pipeline
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine

    out: dict[str, Any] = {"import_s": land(tmp, run, files)}
    eng = open_engine()
    ctx = pipeline.PipelineContext(engine=eng, settings=get_settings(), full_refresh=True)
    applies = quality_pipeline.fast_path_applies
    for label, fast in (("old", False), ("new", True)):
        quality_pipeline.fast_path_applies = (  # type: ignore[assignment]
            (lambda m, o: applies(m, o)) if fast else (lambda m, o: False)
        )
        t1 = time.perf_counter()
        pipeline.run(ctx, only=["standardize"])
        out[f"{label}_standardize_s"] = time.perf_counter() - t1
    quality_pipeline.fast_path_applies = applies
    fake_sales(eng, days)
    t2 = time.perf_counter()
    pipeline.run(ctx, only=["insight.traffic"])
    out["traffic_step_s"] = time.perf_counter() - t2
    out["rows"] = int(eng.scalar("SELECT count(*) FROM std_traffic_counts") or 0)
    eng.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_files(tmp, args.stores, args.days, 1)
        floor: list[float] = []
        runs: list[dict[str, Any]] = []
        for i in range(args.runs):
            floor.append(baseline(files[0]))
            runs.append(_run(tmp, i, files, args.days))
        rows = int(runs[0]["rows"])

        def med(key: str) -> float:
            return round(statistics.median(float(r[key]) for r in runs), 2)

        out = {
            "benchmark": "traffic_import",
            "stores": args.stores,
            "days": args.days,
            "rows": rows,
            "csv_mb": round(files[0].stat().st_size / 1e6, 1),
            "cpus": os.cpu_count(),
            "load_avg_1m_end": round(os.getloadavg()[0], 1),
            "floor_duckdb_read_csv_group_by_s": round(statistics.median(floor), 2),
            "import_s": med("import_s"),
            "old_standardize_s": med("old_standardize_s"),
            "new_standardize_s": med("new_standardize_s"),
            "traffic_step_s": med("traffic_step_s"),
            "old_total_s": round(
                med("import_s") + med("old_standardize_s") + med("traffic_step_s"), 2
            ),
            "new_total_s": round(
                med("import_s") + med("new_standardize_s") + med("traffic_step_s"), 2
            ),
            "old_positions_s": round(_old_positions(rows), 2),
        }
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
