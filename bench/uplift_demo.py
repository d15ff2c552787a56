"""Benchmark: who should get a coupon — uplift targeting vs purchase propensity on the demo
world's true offer effects.

Run: ``.venv/bin/python bench/uplift_demo.py --world DIR [--world DIR2 ...] [--seeds 42 43 44]
[--budget 0.2]``  (worlds from ``omniretail demo-world --scale S``).

For each world and seed (a different random split and randomized training campaign), prints the
exact expected incremental revenue of the coupons sent by each policy (T-learner, X-learner,
cross-fitted X-learner, lift learner, purchase propensity, random, oracle), Qini coefficients,
the limits the truth sets (ranking by the true purchase probability; a model fitted on the true
effects with the same features), CPU seconds, and the medians over seeds. See
``omniretail.demo.uplift_eval`` for the protocol.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from omniretail.demo.uplift_eval import customer_features, evaluate_demo_world, purchase_history


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=Path, action="append", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    ap.add_argument("--budget", type=float, default=0.2)
    ap.add_argument("--base", default="gbm")
    args = ap.parse_args()
    out: dict[str, Any] = {"date": date.today().isoformat(), "machine": "2-core shared"}
    for world in args.world:
        t0, c0 = time.perf_counter(), time.process_time()
        ids = pd.read_parquet(world / "truth" / "offer_response.parquet")["person_id"].astype(str)
        feats = customer_features(purchase_history(world), ids)
        runs = []
        for seed in args.seeds:
            r = evaluate_demo_world(
                world, budget=args.budget, base=args.base, seed=seed, features=feats
            )
            for p in r["policies"].values():
                p.pop("qini_curve", None)
            runs.append(r)
        names = list(runs[0]["policies"])
        out[str(world.name)] = {
            "persons": runs[0]["world"]["persons"],
            "budget": args.budget,
            "runs": runs,
            "median_incremental_revenue": {
                n: round(
                    statistics.median(r["policies"][n]["incremental_revenue"] for r in runs), 2
                )
                for n in names
            },
            "median_qini_true": {
                n: round(statistics.median(r["policies"][n]["qini_true"] for r in runs), 4)
                for n in names
                if "qini_true" in runs[0]["policies"][n]
            },
            "median_limits": {
                k: round(statistics.median(r["limits"][k] for r in runs), 4)
                for k in runs[0]["limits"]
            },
            "median_vs_propensity": {
                n: round(
                    statistics.median(
                        r["policies"][n]["incremental_revenue"]
                        / r["policies"]["purchase_propensity"]["incremental_revenue"]
                        - 1
                        for r in runs
                    ),
                    4,
                )
                for n in names
            },
            "seconds": round(time.perf_counter() - t0, 1),
            "cpu_seconds": round(time.process_time() - c0, 1),
            "load_average_end": round(os.getloadavg()[0], 2),
        }
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
