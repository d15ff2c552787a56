"""Benchmark: lifetime-value models on 1M customers, ours vs the archived ``lifetimes``.

Run: ``.venv/bin/python bench/clv.py [--customers 1000000] [--runs 3]``

1. Summary: transactions (≈4.5 purchases per customer) → (frequency, recency, T, monetary),
   ours as canonical SQL in DuckDB through the AnalyticsEngine, the baseline
   ``lifetimes.utils.summary_data_from_transaction_data`` (pandas) on the same rows.
2. Fit + scoring on a 1M-customer summary simulated from BG/NBD (day periods): BG/NBD fit,
   Gamma-Gamma fit, P(alive), expected purchases in 90 days, expected average value and
   a 12-month discounted CLV. Baseline: lifetimes' BetaGeoFitter/GammaGammaFitter.

``lifetimes`` (archived) is imported only here. It currently imports and runs with our
pandas 3 (checked 2026-11-22); if it stops doing so, run its half in a throwaway venv with
``lifetimes`` and ``pandas<3`` (see docs/benchmarks/clv.md). Medians of ``--runs`` runs
(wall clock and process CPU time) are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

CAL_END = date(2025, 6, 30)


CPU: dict[str, float] = {}


def timed(fn: Callable[[], Any], runs: int, label: str = "") -> tuple[float, Any]:
    """Median wall-clock seconds of ``runs`` runs; the median process CPU seconds go to
    ``CPU[label]`` (the machine is shared: CPU time is less distorted by other load)."""
    times, cpu, out = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[label] = round(statistics.median(cpu), 3)
    return statistics.median(times), out


def transactions_sql(customers: int) -> str:
    """Deterministic transactions: 1-8 purchase days per customer within 540 days."""
    return f"""
    SELECT 'C' || c AS customer_id,
           DATE '2024-01-01' + CAST(hash(c, k) % 540 AS INTEGER) AS purchased_at,
           CAST(5 + hash(k, c) % 200 AS DOUBLE) AS amount
    FROM range({customers}) t(c),
         LATERAL (SELECT unnest(range(CAST(1 + hash(c) % 8 AS BIGINT))) AS k)
    """


def bench_summary(customers: int, runs: int, baseline: bool) -> dict[str, Any]:
    from omniretail.insight.clv.summary import SummarySpec, summary_sql
    from omniretail.platform.engine.duckdb import DuckDBEngine

    out: dict[str, Any] = {}
    with DuckDBEngine() as engine:
        engine.materialize("tx", transactions_sql(customers))
        out["transactions"] = int(engine.scalar("SELECT count(*) FROM tx"))
        spec = SummarySpec(
            source="tx",
            customer_col="customer_id",
            date_col="purchased_at",
            amount_col="amount",
            calibration_end=CAL_END,
            period="day",
        )
        sec, table = timed(lambda: engine.fetch_arrow(summary_sql(spec)), runs, "s")
        out["ours_seconds"] = round(sec, 3)
        out["ours_cpu_seconds"] = CPU["s"]
        out["customers"] = table.num_rows
        if baseline:
            frame = engine.fetch_arrow("SELECT * FROM tx").to_pandas()
            from lifetimes.utils import summary_data_from_transaction_data

            sec, _ = timed(
                lambda: summary_data_from_transaction_data(
                    frame,
                    "customer_id",
                    "purchased_at",
                    monetary_value_col="amount",
                    observation_period_end=str(CAL_END),
                    freq="D",
                ),
                1,
                "sb",
            )
            out["lifetimes_seconds"] = round(sec, 3)
            out["lifetimes_cpu_seconds"] = CPU["sb"]
    return out


def bench_fit_score(customers: int, runs: int, baseline: bool) -> dict[str, Any]:
    from omniretail.insight.clv import simulate
    from omniretail.insight.clv.bgnbd import BetaGeoModel
    from omniretail.insight.clv.gammagamma import GammaGammaModel
    from omniretail.insight.clv.value import customer_lifetime_value

    data = simulate.bgnbd_summary(
        customers, r=0.8, alpha=40.0, a=0.8, b=6.0, T=(30.0, 540.0), seed=11
    )
    x = data["frequency"]
    # day granularity, as from real transactions
    t_x = np.round(data["recency"])
    age = np.maximum(np.round(data["T"]), t_x)
    spend = simulate.gammagamma_spend(x, p=6.0, q=3.8, gamma=15.0, seed=12)
    out: dict[str, Any] = {"customers": customers, "repeat_buyers": int((x > 0).sum())}

    def ours() -> dict[str, float]:
        model = BetaGeoModel().fit(x, t_x, age)
        gg = GammaGammaModel().fit(x, spend)
        model.probability_alive(x, t_x, age)
        model.expected_purchases(90.0, x, t_x, age)
        value = gg.expected_average_value(x, spend)
        customer_lifetime_value(
            model, x, t_x, age, value, horizon=365.0, step=30.0, discount_rate=0.01
        )
        return model.summary()

    sec, params = timed(ours, runs, "f")
    out["ours_seconds"] = round(sec, 3)
    out["ours_cpu_seconds"] = CPU["f"]
    out["ours_parameters"] = {k: round(v, 4) for k, v in params.items()}
    if baseline:
        import pandas as pd
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        fx, ft, fT, fm = (pd.Series(v) for v in (x, t_x, age, spend))
        repeat = fx > 0

        def theirs() -> dict[str, float]:
            bgf = BetaGeoFitter().fit(fx, ft, fT)
            ggf = GammaGammaFitter().fit(fx[repeat], fm[repeat])
            bgf.conditional_probability_alive(fx, ft, fT)
            bgf.conditional_expected_number_of_purchases_up_to_time(90, fx, ft, fT)
            ggf.conditional_expected_average_profit(fx, fm)
            ggf.customer_lifetime_value(bgf, fx, ft, fT, fm, time=12, freq="D", discount_rate=0.01)
            return {k: float(v) for k, v in bgf.params_.items()}

        sec, params = timed(theirs, max(1, runs // 2), "fb")
        out["lifetimes_seconds"] = round(sec, 3)
        out["lifetimes_cpu_seconds"] = CPU["fb"]
        out["lifetimes_parameters"] = {k: round(v, 4) for k, v in params.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--summary-baseline-customers", type=int, default=1_000_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    baseline = not args.no_baseline
    result = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "python": platform.python_version(),
        "date": date.today().isoformat(),
        "runs": args.runs,
        "load_average_at_start": __import__("os").getloadavg()[0],
        "fit_and_score": bench_fit_score(args.customers, args.runs, baseline),
        "summary": bench_summary(args.customers, args.runs, baseline),
    }
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
