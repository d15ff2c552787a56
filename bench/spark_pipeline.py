"""Benchmark: the whole pipeline on DuckDB and on a local Spark standalone cluster, one run.

Run: ``.venv/bin/python bench/spark_pipeline.py --scale 1 [--work DIR] [--workers 2]
[--cores 1] [--memory 2g] [--skip-duckdb] [--skip-spark]``

1. Generates the demo world at ``--scale`` (cached under ``--work``), initializes an instance
   and imports every channel's export once (the template home).
2. DuckDB: a copy of the template runs ``omniretail pipeline run --engine duckdb --full``.
3. Spark: a master and ``--workers`` workers (``--cores`` each) start on 127.0.0.1
   (tests/sparkcluster.py), another copy runs ``pipeline run --engine spark --full`` with
   ``OMNIRETAIL_SPARK_MASTER=spark://127.0.0.1:PORT``.
4. The published snapshots of both runs are compared table by table (tests/parity.py).

Per step: wall seconds (analytics/pipeline_run.json) and, per engine, wall and CPU seconds of
the whole run (the CLI process and its JVM; the workers' executors for Spark) — the CPU
figure divided by the cores used is what "throughput per core" in docs/scaling.md is made of.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    exe = Path(sys.executable).parent / "omniretail"
    full_env = {**os.environ, "OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", **(env or {})}
    out = subprocess.run(
        [str(exe), *args], check=True, capture_output=True, text=True, env=full_env
    )
    return out.stdout


def _proc_cpu(pid: int) -> float:
    """utime + stime + waited-for children's, in seconds, of one process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def prepare(work: Path, scale: float, seed: int) -> Path:
    """The template home: initialized, every channel imported (nothing run yet)."""
    world = work / f"world-{scale}"
    template = work / f"home-{scale}"
    if not (world / "world.json").exists():
        from omniretail.demo import generate_world

        generate_world(world, scale=scale, seed=seed)
    if not (template / "omniretail.db").exists():
        shutil.rmtree(template, ignore_errors=True)
        _cli(template, "init")
        _cli(template, "import", "--world", str(world))
    return template


def run_engine(
    template: Path, home: Path, engine: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(template, home)
    cpu0, t0 = _children_cpu(), time.perf_counter()
    _cli(home, "pipeline", "run", "--engine", engine, "--full", env=env)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    log = json.loads((home / "analytics" / "pipeline_run.json").read_text())
    steps = {s["name"]: s.get("seconds") for s in log["steps"]}
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "steps_s": steps}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=Path("/tmp/omniretail-bench-spark"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--memory", default="2g")
    ap.add_argument("--skip-duckdb", action="store_true")
    ap.add_argument("--skip-spark", action="store_true")
    args = ap.parse_args()

    from tests.parity import compare_snapshots
    from tests.sparkcluster import SparkCluster

    args.work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    template = prepare(args.work, args.scale, args.seed)
    out: dict[str, Any] = {
        "scale": args.scale,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "load_avg_start": os.getloadavg(),
        "prepare_s": round(time.perf_counter() - t0, 1),
    }
    duck_home, spark_home = args.work / "run-duckdb", args.work / "run-spark"
    if not args.skip_duckdb:
        out["duckdb"] = run_engine(template, duck_home, "duckdb")
    if not args.skip_spark:
        with SparkCluster(workers=args.workers, cores=args.cores, memory=args.memory) as cluster:
            workers0 = sum(_proc_cpu(p.pid) for p in cluster.worker_procs())
            env = {"OMNIRETAIL_SPARK_MASTER": cluster.url, "SPARK_LOCAL_IP": "127.0.0.1"}
            res = run_engine(template, spark_home, "spark", env)
            time.sleep(2)  # the executors exit with the application; workers reap them
            executors = sum(_proc_cpu(p.pid) for p in cluster.worker_procs()) - workers0
            res["executors_cpu_s"] = round(executors, 1)
            res["cpu_s"] = round(res["cpu_s"] + executors, 1)
            res["cluster"] = f"{args.workers} workers x {args.cores} core, {args.memory}"
            out["spark"] = res
    if not (args.skip_duckdb or args.skip_spark):
        diffs = compare_snapshots(
            duck_home / "analytics" / "published.duckdb",
            spark_home / "analytics" / "published.duckdb",
        )
        out["parity"] = {"tables_differing": diffs}
    out["load_avg_end"] = os.getloadavg()
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
