"""Benchmark: demo-world generation time and peak memory at several scales.

Each run is a fresh child process (``generate_world`` in a new interpreter); its wall time, CPU
time and peak memory (max RSS from ``os.wait4``) are measured from the parent. A baseline job
is measured the same way in the same session: writing a 2M-row, 16-column CSV with pyarrow
(about the size of the scale-1 POS + platform exports), so results on a shared, noisy machine
can be read as a ratio.

    .venv/bin/python bench/demo_world.py --scales 1 10 --runs 3 1 \
        --write docs/benchmarks/demo-world.md
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

GENERATE = """
import sys
from pathlib import Path
from omniretail.demo import generate_world
s = generate_world(Path(sys.argv[1]), scale=float(sys.argv[2]), seed=42)
print(s.counts["order_lines"], s.counts["events"])
"""

BASELINE = """
import sys
import numpy as np, pyarrow as pa, pyarrow.csv as csv
rng = np.random.default_rng(0)
n = 2_000_000
cols = {f"n{i}": rng.integers(0, 10**9, n) for i in range(8)}
cols.update({f"s{i}": pa.array(rng.integers(0, 10**6, n)).cast(pa.string()) for i in range(8)})
csv.write_csv(pa.table(cols), sys.argv[1])
"""


def run_child(code: str, *args: str) -> dict[str, float | str]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        raise RuntimeError(f"child failed ({status}): {err[-2000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024,
        "stdout": out.strip(),
    }


def measure(scale: float, runs: int, work: Path) -> dict[str, object]:
    results = []
    for i in range(runs):
        out = work / f"world-{scale}-{i}"
        r = run_child(GENERATE, str(out), str(scale))
        lines, events = (int(x) for x in str(r["stdout"]).split())
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        shutil.rmtree(out, ignore_errors=True)
        results.append({**r, "order_lines": lines, "events": events, "bytes": size})
        print(
            f"scale {scale} run {i + 1}: {r['wall_s']:.1f} s, {r['max_rss_mb']:.0f} MB", flush=True
        )
    return {
        "scale": scale,
        "runs": runs,
        "wall_s": statistics.median(float(r["wall_s"]) for r in results),
        "cpu_s": statistics.median(float(r["cpu_s"]) for r in results),
        "user_s": statistics.median(float(r["user_s"]) for r in results),
        "sys_s": statistics.median(float(r["sys_s"]) for r in results),
        "max_rss_mb": statistics.median(float(r["max_rss_mb"]) for r in results),
        "order_lines": results[0]["order_lines"],
        "events": results[0]["events"],
        "output_mb": results[0]["bytes"] / 2**20,  # type: ignore[operator]
    }


def baseline(runs: int, work: Path) -> dict[str, float]:
    res = [run_child(BASELINE, str(work / "baseline.csv")) for _ in range(runs)]
    return {
        "wall_s": statistics.median(float(r["wall_s"]) for r in res),
        "max_rss_mb": statistics.median(float(r["max_rss_mb"]) for r in res),
    }


def render(rows: list[dict[str, object]], base: dict[str, float]) -> str:
    load = os.getloadavg()
    lines = [
        "# Benchmark: demo-world generation",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}; shared with other jobs (load average at the end "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f})",
        "- Command: `.venv/bin/python bench/demo_world.py` — every run is a fresh child "
        "process; peak memory is its max RSS (`os.wait4`); values are medians of the runs.",
        f"- Baseline in the same session: writing a 2M-row × 16-column CSV with pyarrow "
        f"(a child process too): {base['wall_s']:.1f} s, {base['max_rss_mb']:.0f} MB.",
        "",
        "| scale | people | runs | wall (s) | CPU user + sys (s) | peak RSS (MB) | order lines | "
        "events | output (MB) | wall / baseline |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scale']} | {int(float(str(r['scale'])) * 100_000):,} | {r['runs']} | "
            f"{float(str(r['wall_s'])):.1f} | {float(str(r['user_s'])):.1f} + "
            f"{float(str(r['sys_s'])):.1f} | "
            f"{float(str(r['max_rss_mb'])):.0f} | {int(str(r['order_lines'])):,} | "
            f"{int(str(r['events'])):,} | {float(str(r['output_mb'])):.0f} | "
            f"{float(str(r['wall_s'])) / base['wall_s']:.1f} |"
        )
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        k = float(str(b["scale"])) / float(str(a["scale"]))
        lines += [
            "",
            f"Growth from scale {a['scale']} to {b['scale']} (×{k:g}): wall ×"
            f"{float(str(b['wall_s'])) / float(str(a['wall_s'])):.1f}, CPU ×"
            f"{float(str(b['cpu_s'])) / float(str(a['cpu_s'])):.1f}, peak memory ×"
            f"{float(str(b['max_rss_mb'])) / float(str(a['max_rss_mb'])):.1f}.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--runs", type=int, nargs="+", default=[3, 1], help="runs per scale")
    ap.add_argument("--baseline-runs", type=int, default=3)
    ap.add_argument("--write", type=Path, help="write the markdown report here")
    args = ap.parse_args()
    runs = args.runs + [args.runs[-1]] * (len(args.scales) - len(args.runs))
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        work = Path(tmp)
        base = baseline(args.baseline_runs, work)
        rows = [measure(s, n, work) for s, n in zip(args.scales, runs, strict=False)]
    report = render(rows, base)
    print(json.dumps({"baseline": base, "results": rows}, indent=2))
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(report, "utf-8")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
