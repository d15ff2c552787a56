"""Crisis alerts: injected spikes in dated hourly streams of negative mentions, detected by the
hour-of-week Poisson detector (care/alerts/detect.py) and by the classic mean + 3σ rule in the
same run.

World per stream: 60 stores in 12 cities (5 each), 3 topics, 16 weeks of hours starting on a
Monday; a store's base rate of negative mentions per topic is log-normal around 6 a day, shaped
by an hour-of-week profile (quiet nights, lunch and evening peaks, busier weekends). Crises:
scope store (60%) / city (30%) / national (10%), multiplier 2–10× (uniform), duration 1–48 h
(log-uniform), start uniform in weeks 5–16 (the first 4 weeks are the baseline's history);
extra mentions are Poisson((m − 1)·λ) on every affected store for the crisis's hours.
Keys: store × topic, city × topic, national × topic. A crisis is detected by an alert that opens
on its own key or a key inside it (a city crisis on the city or one of its stores) between its
first hour and 2 hours after its end; delay = alert hour − first hour (0 = the alert is raised
at the end of the crisis's first hour). An alert is false when no crisis covers its key (or a
key containing it) within [start, end + 12 h].

    python bench/crisis_alerts.py [--streams 10] [--crises 105] [--open-score 6] [--min-count 4]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from omniretail.care.alerts.detect import HOURS_PER_WEEK, Alert, DetectorConfig, detect, mean_3sigma

STORES, PER_CITY, TOPICS, WEEKS = 60, 5, 3, 16
CITIES = STORES // PER_CITY


@dataclass
class Crisis:
    scope: str
    unit: int  # store, city or 0
    topic: int
    start: int
    hours: int
    mult: float


def profile() -> np.ndarray:
    h = np.arange(HOURS_PER_WEEK)
    hour, day = h % 24, h // 24
    base = np.where((hour >= 8) & (hour <= 22), 1.0, 0.15)
    base = base + 0.8 * np.exp(-((hour - 12) ** 2) / 4) + 1.0 * np.exp(-((hour - 19) ** 2) / 6)
    base = base * np.where(day >= 5, 1.3, 1.0)
    return base / base.mean()


def simulate(rng: np.random.Generator, n_crises: int) -> tuple[np.ndarray, list[Crisis]]:
    n = WEEKS * HOURS_PER_WEEK
    rate_day = rng.lognormal(np.log(6.0), 0.6, size=(STORES, TOPICS))
    prof = np.tile(profile(), WEEKS)
    lam = rate_day[:, :, None] / 24 * prof[None, None, :]  # store × topic × hour
    counts = rng.poisson(lam)
    crises: list[Crisis] = []
    for _ in range(n_crises):
        scope = rng.choice(["store", "city", "national"], p=[0.6, 0.3, 0.1])
        unit = int(rng.integers(STORES if scope == "store" else CITIES if scope == "city" else 1))
        hours = int(np.clip(np.round(np.exp(rng.uniform(0, np.log(48)))), 1, 48))
        start = int(rng.integers(4 * HOURS_PER_WEEK, n - hours))
        c = Crisis(
            str(scope), unit, int(rng.integers(TOPICS)), start, hours, float(rng.uniform(2, 10))
        )
        stores = _stores(c)
        window = slice(c.start, c.start + c.hours)
        counts[stores, c.topic, window] += rng.poisson((c.mult - 1) * lam[stores, c.topic, window])
        crises.append(c)
    return counts, crises


def _stores(c: Crisis) -> np.ndarray:
    if c.scope == "store":
        return np.array([c.unit])
    if c.scope == "city":
        return np.arange(c.unit * PER_CITY, (c.unit + 1) * PER_CITY)
    return np.arange(STORES)


def cube(counts: np.ndarray) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Keys: store × topic, city × topic, national × topic."""
    rows, keys = [], []
    for t in range(TOPICS):
        for s in range(STORES):
            rows.append(counts[s, t])
            keys.append(("store", s, t))
        for c in range(CITIES):
            rows.append(counts[c * PER_CITY : (c + 1) * PER_CITY, t].sum(axis=0))
            keys.append(("city", c, t))
        rows.append(counts[:, t].sum(axis=0))
        keys.append(("national", 0, t))
    return np.asarray(rows), keys


def _inside(key: tuple[str, int, int], c: Crisis) -> bool:
    """Does the alert key lie inside the crisis's footprint (same topic)?"""
    scope, unit, topic = key
    if topic != c.topic:
        return False
    if c.scope == "national":
        return True
    if c.scope == "city":
        return (scope == "city" and unit == c.unit) or (
            scope == "store" and unit // PER_CITY == c.unit
        )
    return scope == "store" and unit == c.unit


def _covers(key: tuple[str, int, int], c: Crisis) -> bool:
    """Is the alert key affected by the crisis (inside it, or an aggregate containing it)?"""
    scope, unit, topic = key
    if topic != c.topic:
        return False
    if scope == "national":
        return True
    if scope == "city":
        return (
            c.scope == "national"
            or (c.scope == "city" and c.unit == unit)
            or (c.scope == "store" and c.unit // PER_CITY == unit)
        )
    return _inside(key, c)


def score(
    alerts: list[Alert], keys: list[tuple[str, int, int]], crises: list[Crisis]
) -> dict[str, object]:
    delays: list[int] = []
    hit = np.zeros(len(crises), dtype=bool)
    for i, c in enumerate(crises):
        first = None
        for a in alerts:
            if c.start <= a.opened <= c.start + c.hours + 1 and _inside(keys[a.key], c):
                first = a.opened if first is None else min(first, a.opened)
        if first is not None:
            hit[i] = True
            delays.append(first - c.start)
    false = 0
    for a in alerts:
        if not any(
            c.start <= a.opened <= c.start + c.hours + 12 and _covers(keys[a.key], c)
            for c in crises
        ):
            false += 1
    strong = np.array([c.mult >= 3 for c in crises])
    return {
        "hit": hit,
        "strong": strong,
        "delays": delays,
        "false": false,
        "alerts": len(alerts),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=10)
    ap.add_argument("--crises", type=int, default=105)
    ap.add_argument("--open-score", type=float, default=DetectorConfig.open_score)
    ap.add_argument("--min-count", type=int, default=DetectorConfig.min_count)
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    cfg = DetectorConfig(open_score=args.open_score, min_count=args.min_count)
    results: dict[str, list[dict[str, object]]] = {"poisson": [], "mean3sigma": []}
    all_crises: list[Crisis] = []
    secs = {"poisson": 0.0, "mean3sigma": 0.0}
    for seed in range(args.streams):
        rng = np.random.default_rng(seed)
        counts, crises = simulate(rng, args.crises)
        all_crises += crises
        mat, keys = cube(counts)
        methods = [("poisson", lambda m: detect(m, cfg))]
        if not args.skip_baseline:
            methods.append(("mean3sigma", mean_3sigma))
        for name, fn in methods:
            t = time.perf_counter()
            alerts = fn(mat)
            secs[name] += time.perf_counter() - t
            results[name].append(score(alerts, keys, crises))
    store_months = args.streams * STORES * WEEKS * 7 / 30.4
    print(
        f"{len(all_crises)} injected crises in {args.streams} streams; "
        f"{store_months:.0f} store-months"
    )
    for name, rs in results.items():
        if not rs:
            continue
        hit = np.concatenate([r["hit"] for r in rs])  # type: ignore[misc]
        strong = np.concatenate([r["strong"] for r in rs])  # type: ignore[misc]
        delays = [d for r in rs for d in r["delays"]]  # type: ignore[attr-defined]
        false = sum(int(r["false"]) for r in rs)  # type: ignore[call-overload]
        print(
            f"{name}: recall(≥3×) {hit[strong].mean():.3f}  recall(all) {hit.mean():.3f}  "
            f"median delay {np.median(delays):.0f} h  false alerts {false} "
            f"({false / store_months:.3f} per store-month)  {secs[name]:.1f} s"
        )
        for scope in ("store", "city", "national"):
            sel = np.array([c.scope == scope for c in all_crises]) & strong
            print(f"   {scope:8s} ≥3×: recall {hit[sel].mean():.3f} (n={sel.sum()})")
        for lo, hi in ((1, 2), (3, 6), (7, 24), (25, 48)):
            sel = np.array([lo <= c.hours <= hi for c in all_crises]) & strong
            print(f"   {lo:2d}–{hi:2d} h ≥3×: recall {hit[sel].mean():.3f} (n={sel.sum()})")


if __name__ == "__main__":
    main()
