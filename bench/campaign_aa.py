"""Benchmark: A/A false-alarm rates of the campaign report, before (Wald interval, Welch test)
and after (Newcombe–Wilson interval + Fisher mid-p, permutation test, "not enough data" rule),
on the same simulated or real outcomes.

Run: ``.venv/bin/python bench/campaign_aa.py [--campaigns 1000]``

Two parts: (1) CDNOW's 23,570 customers (master file in the ``lifetimes`` wheel) with no campaign:
random audiences, outcome = buying in a window (a day: 0.56%, a week: 3.4%, four weeks: 10%),
spend = their real spend; (2) the simulated grid of the target (base rate 0.3%–20%, audiences
500–100,000, holdouts 2–20%) with lognormal spend (σ = 1). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd

from omniretail.insight.clv.datasets import package_data_file
from omniretail.marketing.campaign import stats

Z = stats.Z95


def wald_flag(ct: int, nt: int, cc: int, nc: int) -> bool:
    pt, pc = ct / nt, cc / nc
    se = math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    d = pt - pc
    return d != 0 if se == 0 else abs(d / se) > Z


def welch_flag(t: np.ndarray, c: np.ndarray) -> bool:
    se = math.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
    d = float(t.mean() - c.mean())
    return d != 0 if se == 0 else abs(d / se) > Z


def run(draw, campaigns: int, audience: int, holdout: float, seed: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    treat = np.arange(audience) >= round(audience * holdout)
    old = [0, 0]
    new = [0, 0]
    concluded = [0, 0]
    for _ in range(campaigns):
        conv, spend = draw(rng, audience)
        ct, cc = int(conv[treat].sum()), int(conv[~treat].sum())
        old[0] += wald_flag(ct, int(treat.sum()), cc, int((~treat).sum()))
        old[1] += welch_flag(spend[treat], spend[~treat])
        e = stats.proportion_effect(ct, int(treat.sum()), cc, int((~treat).sum()))
        r = stats.mean_effect(spend[treat], spend[~treat])
        for i, eff in enumerate((e, r)):
            new[i] += eff.significant
            concluded[i] += eff.conclusive
    return {
        "old_conv": old[0] / campaigns,
        "old_rev": old[1] / campaigns,
        "new_conv": new[0] / concluded[0] if concluded[0] else float("nan"),
        "new_rev": new[1] / concluded[1] if concluded[1] else float("nan"),
        "inconclusive": 1 - concluded[0] / campaigns,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--campaigns", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument(
        "--large-campaigns",
        type=int,
        default=None,
        help="campaigns for the 100,000-member cells (default: a quarter of --campaigns)",
    )
    args = ap.parse_args()
    print(
        "| data | rate | audience | holdout | before: conv / revenue flagged "
        "| after: conv / revenue flagged (of concluded) | after: not enough data |"
    )
    print("|---|---|---|---|---|---|---|")
    frame = pd.read_csv(
        package_data_file("lifetimes", "datasets", "CDNOW_master.txt"),
        sep=r"\s+",
        dtype={"customer_id": str, "date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    ids = np.sort(frame["customer_id"].unique())
    for start, days, audience, holdout in (
        ("1997-04-15", 1, 2000, 0.1),
        ("1997-04-14", 7, 2000, 0.1),
        ("1997-04-14", 7, 5000, 0.1),
        ("1997-04-14", 28, 2000, 0.05),
        ("1997-04-14", 28, 5000, 0.02),
    ):
        win = frame[
            (frame["date"] >= start)
            & (frame["date"] < pd.Timestamp(start) + pd.Timedelta(days=days))
        ]
        by = win.groupby("customer_id")["dollar_value"].sum()
        spend_all = pd.Series(0.0, index=ids)
        spend_all[by.index] = by.to_numpy()
        pop = spend_all.to_numpy()

        def draw(
            rng: np.random.Generator, n: int, pop: np.ndarray = pop
        ) -> tuple[np.ndarray, np.ndarray]:
            pick = pop[rng.choice(len(pop), n, replace=False)]
            return pick > 0, pick

        res = run(draw, args.campaigns, audience, holdout, args.seed)
        _row(f"CDNOW {days} d", float((pop > 0).mean()), audience, holdout, res)
    for base in (0.003, 0.02, 0.2):
        for audience in (500, 5000, 100_000):
            for holdout in (0.02, 0.2):

                def sim(
                    rng: np.random.Generator, n: int, base: float = base
                ) -> tuple[np.ndarray, np.ndarray]:
                    conv = rng.random(n) < np.minimum(1.0, base * rng.gamma(2.0, 0.5, n))
                    spend = np.zeros(n)
                    spend[conv] = stats.simulated_spend(
                        rng, int(conv.sum()), dist="lognormal", mean=100.0, shape=1.0
                    )
                    return conv, spend

                large = args.large_campaigns or max(100, args.campaigns // 4)
                n = args.campaigns if audience < 100_000 else large
                _row(
                    "simulated", base, audience, holdout, run(sim, n, audience, holdout, args.seed)
                )


def _row(name: str, rate: float, audience: int, holdout: float, r: dict[str, float]) -> None:
    def pct(v: float) -> str:
        return "—" if math.isnan(v) else f"{v:.1%}"

    print(
        f"| {name} | {rate:.2%} | {audience:,} | {holdout:.0%} "
        f"| {pct(r['old_conv'])} / {pct(r['old_rev'])} "
        f"| {pct(r['new_conv'])} / {pct(r['new_rev'])} | {r['inconclusive']:.0%} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
