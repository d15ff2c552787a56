"""Benchmark: forecasting 1M store × SKU series on 2 cores (target ≤ 30 minutes).

Run: ``.venv/bin/python bench/forecast_scale.py [--series 1000000] [--runs 3] [--workers 2]``

Synthetic weekly series sized like the demo world's store × SKU demand: 52 weeks of history,
negative binomial weekly demand whose means follow a log-normal fitted to the demo world's
pairs (median ~0.2 units a week, a long tail to ~30) and whose dispersion varies per series.
The measured work is what the pipeline step does per series: the forecast 8 weeks ahead
(``--method``, default the pipeline's ``croston_sba_arrays``: statsforecast's CrostonSBA
recursion across the chunk, equal to it per series; ``bootstrap_level``: its bounded search
across the chunk; ``croston_sba``: statsforecast's model called on each series' array), the
series' NB dispersion and the p50 / p90 / p95 quantiles per week.
Chunks of 20,000 series go to ``--workers`` processes.

Baseline in the same run: statsforecast's own front end,
``StatsForecast(models=[CrostonSBA()], freq="W-MON", n_jobs=workers).forecast(df=…, h=8)`` on a
long pandas frame, for the first ``--baseline-series`` series (mean forecasts only, no
quantiles). Medians of ``--runs`` runs; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from omniretail.insight.forecast.pipeline import METHOD  # noqa: E402

WEEKS = 52
H = 8
CHUNK = 20_000


def make_chunk(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = np.exp(rng.normal(np.log(0.2), 1.3, n)).clip(0.01, 60)
    k = np.exp(rng.normal(0.0, 1.0, n)).clip(0.05, 50)
    p = k / (k + mean)
    out: np.ndarray = rng.negative_binomial(k[:, None], p[:, None], (n, WEEKS)).astype(np.float64)
    return out


def forecast_chunk(args: tuple[int, int, str]) -> int:
    from omniretail.insight.forecast import quantiles
    from omniretail.insight.forecast.methods import catalogue

    seed, n, method = args
    y = make_chunk(seed, n)
    mean = catalogue(52)[method](y, H)
    k = quantiles.dispersion(y)
    kk = np.repeat(k, H)
    for q in (0.5, 0.9, 0.95):
        quantiles.nb_quantile(mean.ravel(), kk, q)
    return n


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the pool's workers)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def ours(series: int, workers: int, method: str) -> tuple[float, float]:
    jobs = [(1000 + i, min(CHUNK, series - i * CHUNK), method) for i in range(-(-series // CHUNK))]
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    if workers == 1:
        done = sum(forecast_chunk(j) for j in jobs)
    else:
        with ProcessPoolExecutor(workers) as pool:
            done = sum(pool.map(forecast_chunk, jobs))
    assert done == series
    return time.perf_counter() - t0, cpu_seconds() - c0


def baseline(series: int, workers: int) -> float:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import CrostonSBA

    y = np.vstack([make_chunk(1000 + i, min(CHUNK, series - i * CHUNK))
                   for i in range(-(-series // CHUNK))])  # fmt: skip
    ds = pd.date_range("2025-01-06", periods=WEEKS, freq="W-MON")
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(series), WEEKS),
            "ds": np.tile(ds, series),
            "y": y.ravel(),
        }
    )
    t0 = time.perf_counter()
    StatsForecast(models=[CrostonSBA()], freq="W-MON", n_jobs=workers).forecast(df=df, h=H)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--baseline-series", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--method",
        default=METHOD,
        help=f"{METHOD} (the pipeline's), bootstrap_level or croston_sba (statsforecast "
        "per series)",
    )
    args = ap.parse_args()
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "workers": args.workers,
        "method": args.method,
        "load_average_at_start": os.getloadavg()[0],
        "ours": {},
    }
    for n in args.series:
        timed = [ours(n, args.workers, args.method) for _ in range(args.runs)]
        runs = [r for r, _ in timed]
        med = statistics.median(runs)
        report["ours"][str(n)] = {
            "seconds": [round(r, 1) for r in runs],
            "cpu_seconds": [round(c, 1) for _, c in timed],
            "median_seconds": round(med, 1),
            "series_per_second": round(n / med),
            "extrapolated_1m_minutes": round(med * 1_000_000 / n / 60, 2),
        }
        print(json.dumps({n: report["ours"][str(n)]}), file=sys.stderr, flush=True)
    runs_b = args.runs if args.baseline_series > 0 else 0  # --baseline-series 0: none
    b = [baseline(args.baseline_series, args.workers) for _ in range(runs_b)]
    report["baseline_statsforecast_frame"] = (
        {}
        if not b
        else {
            "series": args.baseline_series,
            "seconds": [round(r, 1) for r in b],
            "median_seconds": round(statistics.median(b), 1),
            "series_per_second": round(args.baseline_series / statistics.median(b)),
        }
    )
    report["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
