"""Saved-segment refresh at scale: the pipeline step ``insight.segments`` (snapshot the members
of every daily saved segment) over the analytics database a full refresh left behind
(``bench.insight_refresh --parquet-world W --work DIR``), with ``--segments`` daily saved
segments in a fresh, migrated SQLite operational store. Wall and CPU seconds, peak RSS, load.

    python -m bench.insight_segments --parquet-world W --work DIR --segments 5

The rules are the 5-condition rule of ``bench.segment_count`` over five different categories
(tags, RFM group, lifecycle stage and a purchase condition), and one wide rule (every member
active in 365 days) so that one snapshot holds millions of members.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.insight_refresh import emit, peak_rss_mb
from bench.insight_world import attach_world
from bench.segment_count import RULE

from omniretail.platform import config, db, migrate, pipeline
from omniretail.platform.config import Settings
from omniretail.platform.engine.duckdb import DuckDBEngine

CATEGORIES = ["DUCK_NECK", "DUCK_WING", "DUCK_FOOT", "VEG", "SNACK"]
WIDE_RULE: dict[str, Any] = {
    "all": [{"not": {"field": "lifecycle_stage", "op": "in", "value": ["churned", "prospect"]}}]
}


def rules(n: int, categories: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [WIDE_RULE]
    for cat in categories[: max(0, n - 1)]:
        conds = [dict(c) for c in RULE["all"]]
        conds[-1] = {"purchase": {**RULE["all"][-1]["purchase"], "category": cat}}
        out.append({"all": conds})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--parquet-world", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="The full refresh's --work.")
    ap.add_argument("--segments", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="16GB")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="omniretail-segments-"))
    os.environ["OMNIRETAIL_HOME"] = str(home)
    os.environ["OMNIRETAIL_DEMO"] = "1"  # a throwaway store: no secret key needed
    config.reset_settings()
    db.reset_engine()
    migrate.upgrade()

    engine = DuckDBEngine(
        args.work / "scale.duckdb", threads=args.threads, memory_limit=args.memory
    )
    engine.execute(f"SET temp_directory = '{args.work / 'spill'}'")
    attach_world(engine.con, args.parquet_world)
    # snapshots of an earlier run of this bench belong to another (throwaway) store: their
    # snapshot ids would collide with the new store's
    engine.execute("DROP TABLE IF EXISTS segment_members")
    known = {
        r["category_code"]
        for r in engine.fetch_rows("SELECT DISTINCT category_code FROM dim_product")
    }
    from omniretail.insight.segment import service

    chosen = [c for c in CATEGORIES if c in known] or sorted(known)
    with db.session_scope() as s:
        for i, rule in enumerate(rules(args.segments, chosen)):
            service.create_segment(s, name=f"bench-{i}", rule=rule)

    ctx = pipeline.PipelineContext(
        engine=engine, settings=Settings(home=home, demo=True), full_refresh=True
    )
    load0 = [round(x, 1) for x in os.getloadavg()]
    c0, t0 = time.process_time(), time.perf_counter()
    out = pipeline.run(ctx, only=["insight.segments"])["insight.segments"]
    report = {
        "segments": out.get("segments", out),
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - c0, 1),
        "peak_rss_mb": round(peak_rss_mb(), 0),
        "load_average_start": load0,
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
        "customers": engine.scalar("SELECT count(*) FROM customer_tags"),
    }
    engine.close()
    emit(report, args.out)


if __name__ == "__main__":
    main()
