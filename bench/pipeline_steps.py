"""Benchmark: single pipeline steps of two versions of the code on copies of one prepared home,
alternately, with the outputs compared.

``--home`` is an ``OMNIRETAIL_HOME`` in the state the steps would find during a fresh demo
build (e.g. built like ``omniretail demo`` but stopped before ``publish_customers``, so the
operational store holds no customers yet). For every run and step, each version gets its own
copy of the home's databases (the analytics DuckDB file, the SQLite store, the models folder;
the landed files and the world are linked, not copied), the recommendations' evaluation cache
removed (a fresh demo has nothing cached), and runs the step in a fresh child process as the
demo does (``full_refresh=True``). The figures: the step's CPU seconds measured in the child
(``time.process_time`` around the step: every thread of the process, DuckDB's included), the
child's whole CPU (``os.wait4``, with the imports), wall time and peak RSS; the order of the
two versions alternates from run to run.

The outputs: after each run, an order-independent digest of every table of the analytics
database and of the store's ``customer`` / ``customer_identity`` tables (without the write
times ``created_at`` / ``updated_at``); tables whose digests differ between the versions are
listed (``--ignore`` names columns left out, and rows of a long metrics table whose ``metric``
is one of those names, e.g. the timings in ``recommendation_model_metrics``).

    .venv/bin/python bench/pipeline_steps.py --home H --before main --after . --runs 2 \\
        --steps recommendations publish_customers --out docs/benchmarks/steps.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_build import export  # noqa: E402

CHILD = """
import json, resource, sys, time
from omniretail.platform import pipeline
from omniretail.platform.config import get_settings
from omniretail.platform.engine import open_engine

settings = get_settings()
engine = open_engine(settings=settings)
ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
c0, t0 = time.process_time(), time.perf_counter()
pipeline.run(ctx, only=[sys.argv[1]])
cpu, wall = time.process_time() - c0, time.perf_counter() - t0
engine.close()
print("RESULT " + json.dumps({"step_cpu_s": round(cpu, 2), "step_wall_s": round(wall, 2),
                              "result": ctx.results.get(sys.argv[1], {})}, default=str))
"""
COPIED = ("analytics", "models", "omniretail.db", "omniretail.db-wal", "omniretail.db-shm")
STORE_TABLES = {"customer": "customer_id", "customer_identity": "kind, value, source"}
WRITE_TIMES = {"created_at", "updated_at"}
EVALUATION_CACHE = "recommendations-evaluation.json"


def copy_home(home: Path, dest: Path, copied: tuple[str, ...] = COPIED) -> Path:
    """``dest``: the entries named in ``copied`` (and hidden ones) copied, the rest linked."""
    dest.mkdir(parents=True)
    for entry in home.iterdir():
        if entry.name in copied or entry.name.startswith("."):
            if entry.is_dir():
                shutil.copytree(entry, dest / entry.name)
            else:
                shutil.copy2(entry, dest / entry.name)
        else:
            (dest / entry.name).symlink_to(entry.resolve())
    return dest


def run_step(tree: Path, home: Path, step: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "OMNIRETAIL_HOME": str(home),
        "OMNIRETAIL_DEMO": "1",
        "PYTHONPATH": str(tree / "src"),
    }
    env.pop("OMNIRETAIL_DATABASE_URL", None)
    load = os.getloadavg()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, step],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=str(home),
    )
    assert proc.stdout is not None
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{step} failed in {tree} ({status}): {out[-3000:]}")
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    return {
        **result,
        "process_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "process_wall_s": round(wall, 1),
        "max_rss_mb": round(usage.ru_maxrss / 1024),
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def digests(home: Path, ignore: set[str]) -> dict[str, str]:
    """An order-independent digest of every table (the sum of its rows' hashes, and the count)."""
    import duckdb

    out: dict[str, str] = {}
    con = duckdb.connect(str(home / "analytics" / "work.duckdb"), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        for t in sorted(tables):
            described = [r[0] for r in con.execute(f'DESCRIBE "{t}"').fetchall()]
            cols = [c for c in described if c not in ignore]
            if not cols:
                continue
            row = ", ".join(f'"{c}"' for c in cols)
            where = ""
            if "metric" in described and ignore:  # a long table: (…, metric, value) rows
                names = ", ".join("'" + n.replace("'", "''") + "'" for n in sorted(ignore))
                where = f" WHERE metric IS NULL OR CAST(metric AS VARCHAR) NOT IN ({names})"
            n, h = con.execute(
                f'SELECT count(*), CAST(sum(hash(struct_pack({row}))) AS VARCHAR) FROM "{t}"'
                + where
            ).fetchone()  # type: ignore[misc]
            out[f"analytics.{t}"] = f"{n}:{h}"
    finally:
        con.close()
    db = sqlite3.connect(str(home / "omniretail.db"))
    try:
        for table, key in STORE_TABLES.items():
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in cols if c not in WRITE_TIMES and c != "id" and c not in ignore]
            if table == "customer_identity":  # the customer's row id differs between stores
                keep = [c for c in keep if c != "customer_pk"]
                query = (
                    "SELECT i.kind, i.value, i.source, i.first_seen_at, c.customer_id "
                    "FROM customer_identity i JOIN customer c ON c.id = i.customer_pk "
                    f"ORDER BY {', '.join('i.' + k.strip() for k in key.split(','))}"
                )
            else:
                query = f"SELECT {', '.join(keep)} FROM {table} ORDER BY {key}"
            h = hashlib.sha256()
            n = 0
            for r in db.execute(query):
                h.update(repr(r).encode())
                n += 1
            out[f"store.{table}"] = f"{n}:{h.hexdigest()[:16]}"
    finally:
        db.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True, help="the prepared OMNIRETAIL_HOME")
    ap.add_argument("--steps", nargs="+", required=True)
    ap.add_argument("--before", default="main", help="git ref of the baseline")
    ap.add_argument("--after", default=".", help="git ref of the change ('.' = working tree)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each, alternating")
    ap.add_argument(
        "--ignore",
        nargs="*",
        default=["train_seconds", "inference_seconds"],
        help="columns left out of the digests, and rows whose `metric` is one of them",
    )
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pipeline-steps-"))
    work.mkdir(parents=True, exist_ok=True)
    trees = {"before": export(args.before, work), "after": export(args.after, work)}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        s: {"before": [], "after": []} for s in args.steps
    }
    differences: dict[str, list[str]] = {}
    for i in range(args.runs):
        for step in args.steps:
            order = ["before", "after"] if i % 2 == 0 else ["after", "before"]
            seen: dict[str, dict[str, str]] = {}
            for name in order:
                home = copy_home(args.home, work / f"home-{step}-{name}-{i}")
                (home / "models" / EVALUATION_CACHE).unlink(missing_ok=True)  # as a fresh demo
                r = run_step(trees[name], home, step)
                seen[name] = digests(home, set(args.ignore))
                shutil.rmtree(home, ignore_errors=True)
                runs[step][name].append(r)
                print(
                    f"{step} {name} run {i + 1}: step {r['step_cpu_s']} CPU s "
                    f"({r['step_wall_s']} s wall), process {r['process_cpu_s']} CPU s, "
                    f"peak RSS {r['max_rss_mb']} MB, load {r['load_before']} → {r['load_after']}",
                    flush=True,
                )
            diff = sorted(
                k
                for k in seen["before"].keys() | seen["after"].keys()
                if seen["before"].get(k) != seen["after"].get(k)
            )
            differences.setdefault(step, [])
            differences[step] = sorted(set(differences[step]) | set(diff))
            print(f"{step} run {i + 1}: tables that differ: {diff or 'none'}", flush=True)
    summary = {
        step: {
            name: {
                "step_cpu_s": statistics.median(r["step_cpu_s"] for r in rs),
                "process_cpu_s": statistics.median(r["process_cpu_s"] for r in rs),
                "max_rss_mb": statistics.median(r["max_rss_mb"] for r in rs),
            }
            for name, rs in by_version.items()
        }
        for step, by_version in runs.items()
    }
    print(json.dumps({"summary": summary, "differences": differences}, indent=1))
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}",
                    "before": args.before,
                    "after": args.after,
                    "summary": summary,
                    "differences": differences,
                    "runs": runs,
                },
                ensure_ascii=False,
                indent=1,
                default=str,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
