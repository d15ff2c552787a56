"""Benchmark: the demo build's phases after the pipeline (``stock and fulfilment``, ``shopping
guides``) of two versions of the code, alternately, on copies of one prepared home, with the
operational store compared column by column.

``--home`` is an ``OMNIRETAIL_HOME`` as the demo leaves it after ``publish the snapshot`` (the
pipeline run and published, nothing built in the store after it). Each run copies the SQLite
store and the analytics folder (the landed files and the world are linked), runs the phases in
a fresh child process as ``omniretail demo`` runs them, at a fixed clock (``--now``) and seed,
with the simulated rider service on loopback, and measures each phase's CPU (``process_time``:
every thread of the process) and wall time. After the runs, the stores the last run of each
version left are compared table by table, rows in insertion order: the columns that differ are
listed with their number of differing rows (write times such as ``created_at`` and the random
pickup codes differ from run to run by design; everything else must be equal).

    .venv/bin/python bench/demo_phases.py --home H --before main --after . --runs 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_build import export  # noqa: E402
from pipeline_steps import copy_home  # noqa: E402

COPIED = ("analytics", "omniretail.db", "omniretail.db-wal", "omniretail.db-shm")
PHASES = ("stock and fulfilment", "shopping guides")
CHILD = """
import json, sys, time
from datetime import datetime
from omniretail.demo import guides, operations
from omniretail.omnichannel.fulfillment import rider
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from omniretail.platform.engine import published_engine

now = datetime.fromisoformat(sys.argv[1])
settings = get_settings()
out = {}

def timed(name, fn):
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    out[name] = {"cpu_s": round(time.process_time() - c0, 2),
                 "wall_s": round(time.perf_counter() - t0, 2)}

def stock():
    with rider.running() as url, session_scope() as s:
        operations.build(s, seed=42, rider_url=url, now=now)

def shopping_guides():
    snap = published_engine(settings)
    try:
        with session_scope() as s:
            guides.build(s, snap, seed=42, now=now)
    finally:
        snap.close()

timed("stock and fulfilment", stock)
timed("shopping guides", shopping_guides)
print("RESULT " + json.dumps(out))
"""


def run(tree: Path, home: Path, now: str) -> dict[str, Any]:
    env = {**os.environ, "OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1",
           "PYTHONPATH": str(tree / "src")}  # fmt: skip
    env.pop("OMNIRETAIL_DATABASE_URL", None)
    env.pop("OMNIRETAIL_RIDER_URL", None)
    load = os.getloadavg()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, now], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"phases failed in {tree}: {proc.stdout[-2000:]}{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    result["load"] = [round(load[0], 1), round(os.getloadavg()[0], 1)]
    return result


def compare(a: Path, b: Path) -> dict[str, Any]:
    """Per table of store ``a``: equal, or the columns that differ (rows in insertion order)."""
    ca, cb = sqlite3.connect(str(a)), sqlite3.connect(str(b))
    out: dict[str, Any] = {"equal_tables": 0, "differ": {}}
    names = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    for (t,) in ca.execute(names).fetchall():
        cols = [r[1] for r in ca.execute(f'PRAGMA table_info("{t}")')]
        ra = ca.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall()
        rb = cb.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall()
        if ra == rb:
            out["equal_tables"] += 1
        elif len(ra) != len(rb):
            out["differ"][t] = f"rows {len(ra)} vs {len(rb)}"
        else:
            bad: dict[str, int] = {}
            for x, y in zip(ra, rb, strict=True):
                for c, u, v in zip(cols, x, y, strict=True):
                    bad[c] = bad.get(c, 0) + (u != v)
            out["differ"][t] = {c: n for c, n in bad.items() if n}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--before", default="main")
    ap.add_argument("--after", default=".")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--now", default="2026-12-07T12:00:00+00:00")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="demo-phases-"))
    try:
        trees = {"before": export(args.before, work), "after": export(args.after, work)}
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        last: dict[str, Path] = {}
        for i in range(args.runs):
            for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
                home = copy_home(args.home, work / f"home-{name}-{i}", COPIED)
                r = run(trees[name], home, args.now)
                runs[name].append(r)
                print(name, i, json.dumps(r), flush=True)
                kept = work / f"store-{name}.db"
                sqlite3.connect(str(home / "omniretail.db")).execute(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).connection.close()
                shutil.copy2(home / "omniretail.db", kept)
                last[name] = kept
                shutil.rmtree(home)
        summary: dict[str, Any] = {"runs": runs, "medians": {}}
        for name, rs in runs.items():
            summary["medians"][name] = {
                p: {k: statistics.median(r[p][k] for r in rs) for k in ("cpu_s", "wall_s")}
                for p in PHASES
            }
        summary["store"] = compare(last["before"], last["after"])
        print(json.dumps(summary["medians"], indent=1))
        print(json.dumps(summary["store"], indent=1))
        if args.out:
            args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
