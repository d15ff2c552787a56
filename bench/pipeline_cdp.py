"""Benchmark: the CDP pipeline over a demo world, end to end (issue 3: ≤ 2 minutes at scale 1).

Run: ``.venv/bin/python bench/pipeline_cdp.py --scale 1 [--world DIR] [--work DIR] [--runs 2]``

Each run starts from an empty instance (fresh ``OMNIRETAIL_HOME``) and times, as separate
commands exactly as an operator would type them:

1. ``omniretail import --world DIR``: every channel export landed as Parquet (ingest);
2. ``omniretail pipeline run --only standardize --only identity --only unify
   --only publish_customers --no-publish``: clean, resolve identities, golden records and
   Customer 360 profiles written to the operational store. With ``--per-step`` each step is
   its own ``pipeline run --only STEP`` command instead, so that its CPU seconds (all threads,
   the steadier number on a shared machine) can be given beside its wall seconds; the
   process start-up (~1–2 s per command) is then counted once per step.
3. ``pipeline run --only publish_customers`` again with nothing changed (the nightly case:
   only the difference is written).

Baseline, measured in the same run: one DuckDB query that reads every landed Parquet file
once (``count(*)`` over each), the floor for any pass over the data. Prints JSON with the
medians, the per-step seconds the pipeline reports, CPU seconds of the child processes, the
1-minute load average at the start and at the end of each run, and precision/recall of the
resolution against the world's truth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from identity_ceiling import recall_ceiling, with_ceiling  # noqa: E402

EXE = Path(sys.executable).parent / "omniretail"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    c0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run([str(EXE), *args], env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, _children_cpu() - c0, done.stdout


def _baseline(home: Path) -> float:
    import duckdb

    files = sorted(str(p) for p in (home / "landing").rglob("*.parquet"))
    con = duckdb.connect()
    t0 = time.perf_counter()
    for f in files:
        con.sql(f"SELECT count(*) FROM read_parquet('{f}')").fetchall()
    return time.perf_counter() - t0


STEPS = ["standardize", "identity", "unify", "publish_customers"]


def _pipeline(env: dict[str, str], steps: list[str]) -> tuple[float, float, dict[str, Any]]:
    args = ["pipeline", "run", "--no-publish"]
    for s in steps:
        args += ["--only", s]
    wall, cpu, out = _timed(env, *args)
    return wall, cpu, json.loads(out[out.index("{") :])


def one_run(world: Path, work: Path, per_step: bool) -> dict[str, Any]:
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1"})
    subprocess.run([str(EXE), "init"], env=env, check=True, capture_output=True)
    load = os.getloadavg()[0]
    imp_wall, imp_cpu, _ = _timed(env, "import", "--world", str(world))
    per: dict[str, dict[str, Any]] = {}
    if per_step:
        pipe_wall = pipe_cpu = 0.0
        for s in STEPS:
            wall, cpu, result = _pipeline(env, [s])
            pipe_wall += wall
            pipe_cpu += cpu
            per[s] = {
                "step_s": (result.get(s) or {}).get("seconds"),
                "command_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
            }
    else:
        pipe_wall, pipe_cpu, result = _pipeline(env, STEPS)
        per = {s: {"step_s": (result.get(s) or {}).get("seconds")} for s in STEPS}
    pub = result.get("publish_customers") or {}
    again_wall, again_cpu, again = _pipeline(env, ["publish_customers"])
    base = _baseline(home)
    _, _, ev = _timed(env, "identity", "evaluate", "--truth", str(world), "--work")
    quality = json.loads(ev)
    return {
        "load_at_start": round(load, 2),
        "load_at_end": round(os.getloadavg()[0], 2),
        "import_s": round(imp_wall, 1),
        "import_cpu_s": round(imp_cpu, 1),
        "pipeline_s": round(pipe_wall, 1),
        "pipeline_cpu_s": round(pipe_cpu, 1),
        "total_s": round(imp_wall + pipe_wall, 1),
        "total_cpu_s": round(imp_cpu + pipe_cpu, 1),
        "steps": per,
        "published": {k: v for k, v in pub.items() if k != "seconds"},
        "publish_again": {
            "command_s": round(again_wall, 1),
            "cpu_s": round(again_cpu, 1),
            **(again.get("publish_customers") or {}),
        },
        "baseline_read_all_landed_s": round(base, 2),
        "precision": quality["precision"],
        # recall beside the ceiling of the world's evidence (bench/identity_ceiling.py)
        **with_ceiling(
            quality["recall"], recall_ceiling(home / "analytics" / "work.duckdb", world)
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--world", type=Path)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument(
        "--per-step",
        action="store_true",
        help="run each pipeline step as its own command to give its CPU seconds",
    )
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    world = a.world or work / "world"
    gen_s = None
    if not (world / "truth").exists():
        from omniretail.demo import generate_world

        t0 = time.perf_counter()
        generate_world(world, scale=a.scale, seed=a.seed)
        gen_s = round(time.perf_counter() - t0, 1)
    runs = [one_run(world, work, a.per_step) for _ in range(a.runs)]
    med = {
        k: round(statistics.median(r[k] for r in runs), 1)
        for k in (
            "import_s",
            "import_cpu_s",
            "pipeline_s",
            "pipeline_cpu_s",
            "total_s",
            "total_cpu_s",
            "baseline_read_all_landed_s",
        )
    }
    for s in STEPS:
        for k in ("step_s", "command_s", "cpu_s"):
            vals = [r["steps"][s][k] for r in runs if r["steps"][s].get(k) is not None]
            if vals:
                med[f"{s}_{k}"] = round(statistics.median(vals), 1)
    print(
        json.dumps(
            {
                "benchmark": "cdp_pipeline",
                "scale": a.scale,
                "seed": a.seed,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "generate_s": gen_s,
                "medians": med,
                "target_s": 120,
                "runs": runs,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
