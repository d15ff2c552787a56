"""Benchmark: the whole pipeline on DuckDB and on a local Spark standalone cluster, one run.

Run: ``.venv/bin/python bench/spark_pipeline.py --scale 1 [--work DIR] [--workers 2]
[--cores 1] [--memory 2g] [--partitions 8] [--splink] [--skip-duckdb] [--skip-spark]``

1. Generates the demo world at ``--scale`` (cached under ``--work``), initializes an instance
   and imports every channel's export once (the template home). Splink is off unless
   ``--splink`` (as in tests/platform/test_spark_cluster.py: its parity has its own test).
2. DuckDB: a copy of the template runs ``omniretail pipeline run --engine duckdb --full``.
3. Spark: a master and ``--workers`` workers (``--cores`` each) start on 127.0.0.1
   (tests/sparkcluster.py), sized in a ``spark-defaults.conf`` (executor memory and cores,
   ``--partitions`` shuffle partitions) as an operator would; a fresh copy of the template
   in the same folder runs ``pipeline run --engine spark --full`` with
   ``OMNIRETAIL_SPARK_MASTER=spark://127.0.0.1:PORT`` (one folder for both runs: a landed
   batch's path names it, and would differ).
4. The published snapshots of both runs are compared table by table (tests/parity.py).

Per engine and per step: wall seconds (the step's own, from analytics/pipeline_run.json) and
CPU seconds — every process of the run (the CLI, its driver JVM and Python workers; for Spark
also the workers' executors and the worker daemons), sampled every ``--sample`` seconds from
/proc and charged to the step running at the sample ("(outside steps)": start-up, the JVM,
the published snapshot). The CPU figure is what "throughput per core" in docs/scaling.md is
made of. Prints JSON; while a run goes on, its CPU per step so far is in
``<work>/cpu-<engine>.json`` (a run stopped early keeps its figures).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
OUTSIDE = "(outside steps)"


def _env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", **(extra or {})}
    env.pop("OMNIRETAIL_DATABASE_URL", None)  # each home its own SQLite store
    return env


def _cli(home: Path, *args: str) -> str:
    exe = Path(sys.executable).parent / "omniretail"
    out = subprocess.run(
        [str(exe), *args], check=True, capture_output=True, text=True, env=_env(home)
    )
    return out.stdout


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, utime + stime + reaped children's, seconds) of one process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree_cpu(roots: list[int]) -> float:
    """CPU seconds of ``roots`` and every live descendant (a reaped child is in its parent's
    figure, so nothing is counted twice)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None:
                stats[int(entry.name)] = st
    total, wanted = 0.0, set(roots)
    for pid, (_ppid, cpu) in stats.items():
        p, seen = pid, 0
        while p and seen < 64:  # walk up to a root (or init)
            if p in wanted:
                total += cpu
                break
            p, seen = stats.get(p, (0, 0.0))[0], seen + 1
    return total


class StepSampler(threading.Thread):
    """Charge the CPU of a process tree to the pipeline step running at each sample."""

    def __init__(
        self, run_file: Path, roots: list[int], every: float, partial: Path | None = None
    ) -> None:
        super().__init__(daemon=True)
        self.run_file, self.roots, self.every, self.partial = run_file, roots, every, partial
        self.cpu: dict[str, float] = {}
        self.samples = 0
        self.stop = threading.Event()
        self.last = tree_cpu(roots)

    def _running(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(self.run_file.read_text())
            for s in state.get("steps", []):
                if s.get("status") == "running":
                    return str(s["name"])
        return OUTSIDE

    def save(self) -> None:
        if self.partial is not None:
            self.partial.write_text(json.dumps({k: round(v, 1) for k, v in self.cpu.items()}))

    def sample(self) -> None:
        now = tree_cpu(self.roots)
        step = self._running()
        self.cpu[step] = self.cpu.get(step, 0.0) + max(now - self.last, 0.0)
        self.last = now
        self.samples += 1
        if self.samples % 20 == 0:  # a run stopped early keeps its figures
            self.save()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self.sample()


def run_engine(
    template: Path,
    home: Path,
    engine: str,
    *,
    env: dict[str, str] | None = None,
    also: list[int] | None = None,
    every: float = 0.5,
    resume: bool = False,
) -> dict[str, Any]:
    """One ``pipeline run --full`` on a fresh copy of the template; ``also``: more process
    trees whose CPU belongs to the run (the Spark workers and their executors). ``resume``:
    continue the failed run in ``home`` (``pipeline run --resume``: the finished steps are
    kept), adding to the CPU per step the earlier attempts recorded."""
    partial = home.parent / f"cpu-{engine}.json"
    earlier: dict[str, float] = {}
    if resume:
        with contextlib.suppress(OSError, ValueError):
            earlier = {k: float(v) for k, v in json.loads(partial.read_text()).items()}
        cmd = ["pipeline", "run", "--resume"]
    else:
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(template, home)
        cmd = ["pipeline", "run", "--engine", engine, "--full"]
    exe = Path(sys.executable).parent / "omniretail"
    run_file = home / "analytics" / "pipeline_run.json"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(home, env),
    )
    sampler = StepSampler(run_file, [proc.pid, *(also or [])], every, partial)
    sampler.cpu = dict(earlier)
    sampler.start()
    _out, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    time.sleep(2)  # the executors exit with the application; the workers reap them
    sampler.sample()
    sampler.save()
    if proc.returncode != 0:
        raise RuntimeError(f"pipeline run --engine {engine} failed:\n{err[-4000:]}")
    log = json.loads(run_file.read_text())
    steps = {
        s["name"]: {
            "wall_s": s.get("seconds"),
            "cpu_s": round(sampler.cpu.get(s["name"], 0.0), 1),
        }
        for s in log["steps"]
    }
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(sum(sampler.cpu.values()), 1),
        "outside_steps_cpu_s": round(sampler.cpu.get(OUTSIDE, 0.0), 1),
        "steps": steps,
    }


def prepare(work: Path, scale: float, seed: int, splink: bool) -> Path:
    """The template home: initialized, every channel imported (nothing run yet)."""
    world = work / f"world-{scale}"
    template = work / f"home-{scale}{'' if splink else '-nosplink'}"
    if not (world / "world.json").exists():
        from omniretail.demo import generate_world

        generate_world(world, scale=scale, seed=seed)
    if not (template / "omniretail.db").exists():
        shutil.rmtree(template, ignore_errors=True)
        _cli(template, "init")
        if not splink:
            (template / "config").mkdir(parents=True, exist_ok=True)
            (template / "config" / "identity.yaml").write_text("splink:\n  enabled: false\n")
        _cli(template, "import", "--world", str(world))
    return template


def spark_defaults(args: argparse.Namespace) -> str:
    return "\n".join(
        [
            f"spark.executor.memory {args.memory}",
            f"spark.executor.cores {args.cores}",
            f"spark.cores.max {args.workers * args.cores}",
            f"spark.driver.memory {args.driver_memory}",
            f"spark.sql.shuffle.partitions {args.partitions}",
            f"spark.default.parallelism {args.partitions}",
            "spark.locality.wait 0s",
            "",
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "omniretail-bench-spark"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--memory", default="2g", help="each worker's and executor's memory")
    ap.add_argument("--driver-memory", default="2g")
    ap.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    ap.add_argument("--sample", type=float, default=0.5, help="seconds between CPU samples")
    ap.add_argument("--splink", action="store_true", help="identity with Splink (default off)")
    ap.add_argument("--skip-duckdb", action="store_true")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument(
        "--resume",
        action="store_true",
        help="continue the failed Spark run in <work>/run (after a fix) instead of a new one",
    )
    ap.add_argument(
        "--duckdb-dir",
        default="run-duckdb",
        help="folder (under --work) of the DuckDB run; the default runs it in <work>/run and"
        " renames it, so a landed file's path is the same as in the Spark run; another name"
        " lets the two runs go at the same time (then q_counter_batches.path differs)",
    )
    args = ap.parse_args()

    from tests.parity import compare_snapshots
    from tests.sparkcluster import SparkCluster

    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    template = prepare(work, args.scale, args.seed, args.splink)
    out: dict[str, Any] = {
        "scale": args.scale,
        "splink": args.splink,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "load_avg_start": os.getloadavg(),
        "prepare_s": round(time.perf_counter() - t0, 1),
    }
    home, duck_home = work / "run", work / args.duckdb_dir
    if not args.skip_duckdb:
        renamed = args.duckdb_dir == "run-duckdb"
        out["duckdb"] = run_engine(
            template, home if renamed else duck_home, "duckdb", every=args.sample
        )
        out["load_avg_after_duckdb"] = os.getloadavg()
        if renamed:
            shutil.rmtree(duck_home, ignore_errors=True)
            home.rename(duck_home)
    if not args.skip_spark:
        conf = work / "spark-conf"
        conf.mkdir(exist_ok=True)
        (conf / "spark-defaults.conf").write_text(spark_defaults(args))
        with SparkCluster(workers=args.workers, cores=args.cores, memory=args.memory) as cluster:
            env = {
                "OMNIRETAIL_SPARK_MASTER": cluster.url,
                "SPARK_LOCAL_IP": "127.0.0.1",
                "SPARK_CONF_DIR": str(conf),
                "PYSPARK_PYTHON": sys.executable,
            }
            workers = [p.pid for p in cluster.worker_procs()]
            res = run_engine(
                template, home, "spark", env=env, also=workers, every=args.sample,
                resume=args.resume,
            )  # fmt: skip
            res["cluster"] = (
                f"{args.workers} workers x {args.cores} core, {args.memory}, "
                f"{args.partitions} shuffle partitions"
            )
            out["spark"] = res
    if (duck_home / "analytics" / "published.duckdb").exists() and (
        home / "analytics" / "published.duckdb"
    ).exists():
        diffs = compare_snapshots(
            duck_home / "analytics" / "published.duckdb", home / "analytics" / "published.duckdb"
        )
        out["parity"] = {"tables_differing": diffs}
    if "duckdb" in out and "spark" in out:
        out["ratio_spark_duckdb"] = {
            "wall": round(out["spark"]["wall_s"] / max(out["duckdb"]["wall_s"], 1e-9), 2),
            "cpu": round(out["spark"]["cpu_s"] / max(out["duckdb"]["cpu_s"], 1e-9), 2),
        }
    out["load_avg_end"] = os.getloadavg()
    out["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
