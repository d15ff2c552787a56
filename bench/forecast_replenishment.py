"""Benchmark: replenishment from forecast quantiles vs a tuned min/max rule on the demo world,
and the forecast's error against the world's true demand.

Run: ``.venv/bin/python bench/forecast_replenishment.py [--scale 0.1] [--draws 10]``

The demo world (``omniretail.demo``, seed 42) is drawn once for the demand the stores see and
``--draws`` more times for its true expected demand (``bench/forecast_world.py``). Shelf
demand only: paid store orders without corporate and group-buying orders. Store × SKU pairs
whose true mean is at least 0.5 units a week and that sold in the year before the simulated
half-year (new launches are stocked by the launch plan, not by replenishment from history).

1. Forecast accuracy: CrostonSBA (and window_level, bootstrap_level, historic_average)
   weekly from the year before the last 26 weeks, 8 weeks ahead, against the true mean
   demand of those weeks and against what the drawn world sold (WAPE); the floor is the
   truth's own WAPE against the draw (the noise no forecast can remove). ``--configs ""``
   stops there.
2. Replenishment over the last 26 weeks, for each (lead time, review period): ours = order up
   to the α quantile of NB demand over L + R around the pipeline's forecast (``--method``,
   default the step's model; ``croston_sba`` for the earlier figures) (dispersion from
   the last 26 weeks of daily sales), α tuned to the smallest that reaches 97 % fill rate;
   min/max = min m·μ·(L+R), max min + μ·R with μ the mean daily demand of the last 26 weeks,
   m bisected to the two values around our fill rate and its stock interpolated there.
   Lost sales, pack size 1, 4 weeks of warm-up. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.forecast_world import store_demand  # noqa: E402

from omniretail.insight.forecast import policy, quantiles  # noqa: E402
from omniretail.insight.forecast import simulate as sim  # noqa: E402
from omniretail.insight.forecast.methods import catalogue  # noqa: E402
from omniretail.insight.forecast.pipeline import HORIZON_WEEKS, METHOD  # noqa: E402

SIM_DAYS = 182
TARGET_FILL = 0.97


def accuracy(realised: np.ndarray, truth: np.ndarray, start: int) -> dict[str, Any]:
    hist = sim.weekly(realised[:, :start])[:, -52:]
    act = realised[:, start : start + 56].reshape(len(realised), 8, 7).sum(axis=2)
    true = truth[:, start : start + 56].reshape(len(truth), 8, 7).sum(axis=2)

    def wape(f: np.ndarray, y: np.ndarray) -> float:
        return round(float(np.abs(f - y).sum() / y.sum()), 4)

    out: dict[str, Any] = {"floor_truth_vs_sold": wape(true, act)}
    for name in ("croston_sba", "window_level", "bootstrap_level", "historic_average"):
        f = catalogue(52)[name](hist, 8)
        out[name] = {
            "wape_vs_truth": wape(f, true),
            "wape_vs_sold": wape(f, act),
            "bias_vs_truth": round(float(f.sum() / true.sum() - 1), 4),
        }
    return out


def ours(alpha: float, lead: int, review: int, method: str = METHOD) -> sim.LevelFn:
    fc = catalogue(52)[method]

    def levels(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # the step's forecast: the level for the next HORIZON_WEEKS weeks (bootstrap_level's
        # level depends on the horizon its loss is scored over; CrostonSBA's does not)
        mean = fc(sim.weekly(h)[:, -52:], HORIZON_WEEKS)[:, 0] / 7.0
        k = quantiles.dispersion(h, lookback=182)
        s, _ = policy.order_up_to(
            mean, k, lead_time_days=float(lead), review_days=float(review), service_level=alpha
        )
        return s, s

    return levels


def replenish(
    demand: np.ndarray, start: int, lead: int, review: int, method: str = METHOD
) -> dict[str, Any]:
    def run(fn: sim.LevelFn, p: float) -> sim.SimResult:
        return sim.simulate(
            demand, fn, start=start, lead_time=lead, review_days=review, parameter=p
        )

    t0 = time.perf_counter()
    a = sim.tune(lambda x: run(ours(x, lead, review, method), x), 0.5, 0.999, TARGET_FILL, steps=9)
    mm_stock, below, above = sim.stock_at_fill(
        lambda m: run(sim.min_max_policy(m, lead_time=lead, review_days=review), m),
        0.2, 12.0, a.fill_rate,
    )  # fmt: skip
    reached = above.fill_rate >= a.fill_rate
    return {
        "lead_time_days": lead,
        "review_days": review,
        "ours": {"service_level": round(a.parameter, 4), "fill_rate": round(a.fill_rate, 4),
                 "average_stock": round(a.average_stock, 1), "orders": a.orders},
        "min_max": {"average_stock_at_same_fill": round(mm_stock, 1),
                    "bracket": [{"multiplier": round(r.parameter, 3),
                                 "fill_rate": round(r.fill_rate, 4),
                                 "average_stock": round(r.average_stock, 1), "orders": r.orders}
                                for r in (below, above)],
                    "reached_fill_rate": reached},
        "stock_saving": round(1 - a.average_stock / mm_stock, 4) if reached else None,
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--configs", default="2x7,3x7,2x3,1x1", help="LEADxREVIEW, comma-separated")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--method", default=METHOD, help="the forecast ours orders around")
    args = ap.parse_args()
    t0 = time.perf_counter()
    sd = store_demand(scale=args.scale, draws=args.draws)
    start = sd.days - SIM_DAYS
    first = np.argmax(sd.realised > 0, axis=1)
    est = (first <= start - 182) & (sd.realised[:, start - 91 : start].sum(axis=1) > 0)
    demand, truth = sd.realised[est], sd.truth[est]
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "scale": args.scale,
        "draws_for_truth": args.draws,
        "method": args.method,
        "stores": sd.stores,
        "pairs": int(est.sum()),
        "pairs_dropped_new_or_silent": int((~est).sum()),
        "mean_weekly_units_per_pair": round(float(demand[:, start:].sum() / est.sum() / 26), 3),
        "world_seconds": round(time.perf_counter() - t0, 1),
        "forecast_accuracy_8_weeks": accuracy(demand, truth, start),
        "replenishment": [],
    }
    for cfg in filter(None, args.configs.split(",")):  # --configs "": accuracy only
        lead, review = (int(x) for x in cfg.split("x"))
        report["replenishment"].append(replenish(demand, start, lead, review, args.method))
        print(json.dumps(report["replenishment"][-1]), file=sys.stderr, flush=True)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
