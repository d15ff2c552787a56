"""Benchmark: identity resolution on a demo world — time and pairwise precision / recall.

Run: ``.venv/bin/python bench/identity.py --scale 1 [--runs 3] [--work DIR] [--world DIR]
[--reader] [--threshold T] [--sweep 0.8,0.95] [--rule-prior-baseline] [--no-baseline]``

1. Generates the demo world (unless ``--world`` points at one), imports every channel and runs
   the ``standardize`` step (with ``--reader``: bench/identity_world.py, the same code on the
   identity part of the mappings only, much faster at scale 10), in an isolated
   ``OMNIRETAIL_HOME`` under ``--work``; skipped when the work database already exists.
2. Resolves identities ``--runs`` times from scratch (no previous map), then once more as a
   re-run with the previous map (the nightly case), each time on the same std tables.
   Baselines in the same process: the deterministic graph alone (Splink disabled) and, with
   ``--rule-prior-baseline``, the previous prior estimate. ``--sweep``: one run per threshold.
3. Evaluates every run against ``truth/identity_truth.parquet``.

Prints JSON: medians of wall-clock and CPU seconds, the per-phase timings of the last run,
precision, recall and F1, record and customer counts. Target (issue 3): precision ≥ 0.995,
recall ≥ 0.98 at scales 1 and 10; scale 10 resolves in ≤ 5 minutes.
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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _cli(*args: str) -> None:
    exe = Path(sys.executable).parent / "omniretail"
    subprocess.run([str(exe), *args], check=True, stdout=subprocess.DEVNULL)


def prepare(world: Path, home: Path, scale: float, seed: int, reader: bool) -> dict[str, Any]:
    """Generate the world when needed, then fill the work database's std tables: through the
    real import + standardize, or with ``reader`` through bench/identity_world.py (the ingest's
    code on the identity part of the mappings only: the same std identity tables, faster)."""
    timings: dict[str, Any] = {}
    if not (world / "truth").exists():
        from omniretail.demo import generate_world

        t0 = time.perf_counter()
        generate_world(world, scale=scale, seed=seed)
        timings["generate_s"] = round(time.perf_counter() - t0, 1)
    work = home / "analytics" / "work.duckdb"
    if work.exists():
        return timings
    t0 = time.perf_counter()
    if not reader:
        _cli("init")
        _cli("import", "--world", str(world))
        _cli("pipeline", "run", "--only", "standardize", "--no-publish")
        timings["std_tables_from"] = "omniretail import + standardize"
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        from identity_world import convert

        work.parent.mkdir(parents=True, exist_ok=True)
        timings.update(convert(str(world), str(work)))
        timings["std_tables_from"] = "bench/identity_world.py (identity part of the mappings)"
    timings["prepare_s"] = round(time.perf_counter() - t0, 1)
    return timings


def resolve_once(
    splink: bool, keep_previous: bool, threshold: float | None = None, prior: str | None = None
) -> dict[str, Any]:
    from omniretail.cdp.identity.config import load_config
    from omniretail.cdp.identity.evaluate import evaluate
    from omniretail.cdp.identity.resolve import resolve
    from omniretail.cdp.identity.stable_ids import state_dir
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine

    settings = get_settings()
    if not keep_previous:
        shutil.rmtree(state_dir(settings), ignore_errors=True)
    cfg = load_config(settings)
    cfg.splink.enabled = splink
    if threshold is not None:
        cfg.splink.threshold = threshold
    if prior is not None:
        cfg.splink.prior = prior  # type: ignore[assignment]
    engine = open_engine("duckdb", settings)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        out = resolve(engine, settings, cfg=cfg, constraints=[])
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        quality = evaluate(engine, Path(os.environ["BENCH_WORLD"]))
    finally:
        engine.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    return {"wall_s": wall, "cpu_s": cpu, "resolve": out, "quality": quality, "peak_gib": peak}


def publish_timings() -> dict[str, Any]:
    """unify + publish_customers into a fresh SQLite store: the first publish writes
    everything, the second (unchanged data) only the difference."""
    from omniretail.platform import migrate, pipeline
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine

    settings = get_settings()
    store = settings.home / "omniretail.db"
    store.unlink(missing_ok=True)
    for snap in (settings.analytics_dir / "identity").glob("published_*.parquet"):
        snap.unlink()
    migrate.upgrade()
    out: dict[str, Any] = {}
    engine = open_engine("duckdb", settings)
    try:
        ctx = pipeline.PipelineContext(engine=engine, settings=settings)
        for label, steps in (
            ("unify", ["unify"]),
            ("publish_first", ["publish_customers"]),
            ("publish_again", ["publish_customers"]),
        ):
            t0 = time.perf_counter()
            result = pipeline.run(ctx, only=steps)
            out[label] = {"wall_s": round(time.perf_counter() - t0, 1), **result[steps[-1]]}
    finally:
        engine.close()
    return out


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    last = runs[-1]
    q = last["quality"]
    return {
        "wall_s_median": round(statistics.median(r["wall_s"] for r in runs), 1),
        "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 1),
        "peak_rss_gib": round(max(r["peak_gib"] for r in runs), 2),
        "wall_s": [round(r["wall_s"], 1) for r in runs],
        "runs": len(runs),
        "records": last["resolve"]["records"],
        "customers": last["resolve"]["customers"],
        "persons": q["persons"],
        "precision": q["precision"],
        "recall": q["recall"],
        "f1": q["f1"],
        "phases_s": last["resolve"]["timings"],
        "probabilistic_edges": last["resolve"]["probabilistic_edges"],
        "shared_values": last["resolve"]["shared_values"],
        "conflicts": last["resolve"]["final"]["conflicting_clusters"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/omniretail-bench-identity"))
    parser.add_argument("--world", type=Path, default=None)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--reader",
        action="store_true",
        help="Fill the std identity tables with bench/identity_world.py instead of the import.",
    )
    parser.add_argument("--threshold", type=float, default=None, help="Splink threshold.")
    parser.add_argument(
        "--sweep", type=lambda v: [float(x) for x in v.split(",")], default=[],
        help="Also one run at each of these thresholds, e.g. 0.8,0.95.",
    )  # fmt: skip
    parser.add_argument(
        "--rule-prior-baseline",
        action="store_true",
        help="Baseline in the same run: λ from the deterministic rule (the previous default).",
    )
    parser.add_argument("--no-rerun", action="store_true", help="Skip the re-run with the map.")
    parser.add_argument("--publish", action="store_true", help="Also time unify + publish.")
    args = parser.parse_args()

    work = args.work / f"scale-{args.scale:g}"
    world = args.world or work / "world"
    home = work / "home"
    os.environ["OMNIRETAIL_HOME"] = str(home)
    os.environ.setdefault("OMNIRETAIL_DEMO", "1")
    os.environ["BENCH_WORLD"] = str(world)
    from omniretail.platform.config import reset_settings

    reset_settings()
    sys.path.insert(0, str(ROOT / "bench"))
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "scale": args.scale,
        "seed": args.seed,
    }
    result.update(prepare(world, home, args.scale, args.seed, args.reader))
    if not args.no_baseline:
        result["baseline_deterministic_only"] = summarize(
            [resolve_once(splink=False, keep_previous=False) for _ in range(args.runs)]
        )
    if args.rule_prior_baseline:
        result["baseline_rule_prior"] = summarize(
            [resolve_once(True, False, args.threshold, "rule") for _ in range(args.runs)]
        )
    result["load_before"] = os.getloadavg()
    result["full"] = summarize(
        [resolve_once(True, False, args.threshold) for _ in range(args.runs)]
    )
    result["load_after"] = os.getloadavg()
    if not args.no_rerun:  # right after the full runs: the previous map is theirs
        rerun = resolve_once(True, True, args.threshold)
        result["rerun_with_previous_map"] = {
            "wall_s": round(rerun["wall_s"], 1),
            "changes": rerun["resolve"]["changes"],
        }
    for t in args.sweep:
        result[f"threshold_{t:g}"] = summarize([resolve_once(True, False, t)])
    if args.publish:
        result["publish"] = publish_timings()
    # Recall against what the world's evidence allows at all (bench/identity_ceiling.py).
    from identity_ceiling import recall_ceiling, with_ceiling

    from omniretail.platform.config import get_settings

    ceiling = recall_ceiling(get_settings().analytics_dir / "work.duckdb", world)
    result["recall_ceiling"] = ceiling
    for key in ("baseline_deterministic_only", "baseline_rule_prior", "full"):
        if key in result:
            result[key].update(with_ceiling(result[key]["recall"], ceiling))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
