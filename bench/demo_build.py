"""Benchmark: the demo build (``omniretail demo --no-serve``: generate, import, pipeline, publish,
stock and fulfilment) of two versions of the code, alternately, in the same session.

Each run is a fresh child process with a fresh ``OMNIRETAIL_HOME`` and, unless ``--warm-cache``,
an empty ``OMNIRETAIL_CACHE_DIR`` (a fresh machine: nothing trained yet). The parent measures
wall time, CPU time (user + sys of the child and the children it waited for) and peak RSS
(``os.wait4``); the load average is read before and after every run; the child's own per-step
timings come from ``$OMNIRETAIL_HOME/demo-timings.json`` (absent in versions that predate it).
A version is a git ref, exported with ``git archive`` into a temporary folder, ``.`` (the
working tree) or the folder of another checkout (a ``git worktree`` of the baseline).

    .venv/bin/python bench/demo_build.py --scale 1 --before main~3 --after . --runs 1 \\
        --out docs/benchmarks/demo-build.json

``--concurrent`` starts both builds at once: on a machine shared with other jobs whose load
comes and goes, both then see the same load (and each other); CPU seconds are the figure to
compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def export(ref: str, work: Path) -> Path:
    """The source tree of ``ref`` (``.``: this working tree; a folder with ``src/omniretail``:
    that checkout as it is, e.g. a ``git worktree`` of the baseline)."""
    if ref == ".":
        return ROOT
    if (Path(ref) / "src" / "omniretail").is_dir():
        return Path(ref).resolve()
    dest = work / f"src-{ref.replace('/', '_').replace('~', '-')}"
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def start_demo(tree: Path, scale: float, work: Path, *, cache: Path | None) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
    env = {
        **os.environ,
        "OMNIRETAIL_HOME": str(home),
        "OMNIRETAIL_DEMO": "1",
        "PYTHONPATH": f"{tree / 'src'}:{tree}",
        "OMNIRETAIL_CACHE_DIR": str(cache or Path(tempfile.mkdtemp(dir=work, prefix="cache-"))),
    }
    env.pop("OMNIRETAIL_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "omniretail.cli.main", "demo", "--scale", str(scale)]
    load_before = os.getloadavg()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "--no-serve", "--port", "0"],
        env=env,
        stdout=(home / "demo.log").open("wb"),  # a file: two concurrent builds never block
        stderr=subprocess.STDOUT,
        cwd=str(work),
    )
    return {"proc": proc, "home": home, "started": started, "load_before": load_before}


def finish_demo(
    run: dict[str, Any], waited: tuple[int, Any, float] | None = None
) -> dict[str, object]:
    """The run's figures; ``waited``: (status, rusage, time) if its process was reaped already."""
    proc, home, started, load_before = run["proc"], run["home"], run["started"], run["load_before"]
    if waited is None:
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.perf_counter()
    else:
        status, usage, ended = waited
    out = (home / "demo.log").read_text(errors="replace")
    wall = ended - started
    if status != 0:
        raise RuntimeError(f"demo failed ({status}): {out[-3000:]}")
    timings_file = home / "demo-timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else None
    shutil.rmtree(home, ignore_errors=True)
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "max_rss_mb": round(usage.ru_maxrss / 1024),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "timings": timings,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--before", default="main", help="git ref of the baseline")
    ap.add_argument("--after", default=".", help="git ref of the change ('.' = working tree)")
    ap.add_argument("--runs", type=int, default=1, help="runs of each, alternating")
    ap.add_argument("--warm-cache", action="store_true", help="keep one user cache per version")
    ap.add_argument(
        "--concurrent",
        action="store_true",
        help="run both versions at the same time (a busy "
        "machine's load then hits both alike; each slows the other)",
    )
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="demo-build-"))
    work.mkdir(parents=True, exist_ok=True)
    trees = {"before": export(args.before, work), "after": export(args.after, work)}
    caches = {k: work / f"cache-{k}" for k in trees} if args.warm_cache else dict.fromkeys(trees)
    results: dict[str, list[dict[str, object]]] = {"before": [], "after": []}
    for i in range(args.runs):
        if args.concurrent:
            started = {
                n: start_demo(t, args.scale, work, cache=caches[n]) for n, t in trees.items()
            }
            reaped: dict[int, tuple[int, Any, float]] = {}
            while len(reaped) < len(started):  # each one's wall time ends when it exits
                pid, status, usage = os.wait4(-1, 0)
                reaped[pid] = (status, usage, time.perf_counter())
            done = {n: finish_demo(r, reaped[r["proc"].pid]) for n, r in started.items()}
        else:
            done = {
                n: finish_demo(start_demo(t, args.scale, work, cache=caches[n]))
                for n, t in trees.items()
            }
        for name, r in done.items():
            results[name].append(r)
            print(
                f"{name} run {i + 1}: wall {r['wall_s']} s, CPU {r['cpu_s']} s, "
                f"peak RSS {r['max_rss_mb']} MB, load {r['load_before']} → {r['load_after']}",
                flush=True,
            )
    summary = {
        name: {
            "wall_s": statistics.median(float(str(r["wall_s"])) for r in runs),
            "cpu_s": statistics.median(float(str(r["cpu_s"])) for r in runs),
            "max_rss_mb": statistics.median(float(str(r["max_rss_mb"])) for r in runs),
        }
        for name, runs in results.items()
    }
    print(json.dumps(summary))
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}",
                    "scale": args.scale,
                    "before": args.before,
                    "after": args.after,
                    "warm_cache": args.warm_cache,
                    "summary": summary,
                    "runs": results,
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
