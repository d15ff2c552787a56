"""Spike detection on hourly counts of negative mentions (one series per cube key: topic ×
channel × store/city/national).

Baseline: the **hour-of-week profile**. For hour t the expected count is

    λ_t = level_t · share[how(t)]        level_t = median of the last ``weeks`` weekly totals
                                           share   = smoothed share of each hour-of-week in the
                                                     key's own history (Bayesian-shrunk to the
                                                     pooled profile of all keys)

Score: the Poisson upper-tail surprise of the observed count, −log10 P(X ≥ x | λ), taken over
trailing windows of 1, 3, 6 and 12 hours (sums of counts against sums of λ), so a long moderate
rise is found as well as a sharp one. Poisson tails stay meaningful at low counts where a z-score
(mean + 3σ) is not: at λ = 0.2 a single mention is "5σ", but not surprising.

An alert **opens** when score ≥ ``open_score``, the window's count ≥ ``min_count`` and count ≥
``min_ratio`` · λ; it stays open while score ≥ ``close_score`` (hysteresis) and, once closed, the
key is quiet for ``cooldown_h`` hours."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import poisson

HOURS_PER_WEEK = 168


@dataclass(frozen=True)
class DetectorConfig:
    weeks: int = 4
    windows: tuple[int, ...] = (1, 3, 6, 12)
    open_score: float = 3.5
    close_score: float = 2.0
    min_count: int = 3
    min_ratio: float = 2.0
    cooldown_h: int = 12
    prior_strength: float = (
        672.0  # pseudo-counts (4 per hour-of-week) pulling a sparse key's profile to the pool
    )
    floor: float = 0.02  # the least expected count per hour


@dataclass
class Alert:
    key: int
    opened: int  # hour index
    closed: int | None = None
    peak_score: float = 0.0
    count: int = 0
    expected: float = 0.0
    window: int = 1
    hours: list[int] = field(default_factory=list)


def expected_counts(counts: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """λ for every key × hour from that key's past only (the first ``weeks`` weeks: NaN)."""
    k, n = counts.shape
    how = np.arange(n) % HOURS_PER_WEEK
    pooled = np.bincount(how, weights=counts.sum(axis=0), minlength=HOURS_PER_WEEK)
    pooled = (pooled + 1) / (pooled + 1).sum()
    lam = np.full((k, n), np.nan)
    n_weeks = n // HOURS_PER_WEEK
    for w in range(cfg.weeks, n_weeks + 1):
        lo, hi = (w - cfg.weeks) * HOURS_PER_WEEK, w * HOURS_PER_WEEK
        past = counts[:, lo:hi].reshape(k, cfg.weeks, HOURS_PER_WEEK)
        level = np.median(past.sum(axis=2), axis=1)  # weekly total, robust to one bad week
        per_how = past.sum(axis=1)  # k × 168
        share = (per_how + cfg.prior_strength * pooled) / (
            per_how.sum(axis=1, keepdims=True) + cfg.prior_strength
        )
        start, stop = hi, min(hi + HOURS_PER_WEEK, n)
        if start >= n:
            break
        lam[:, start:stop] = np.maximum(level[:, None] * share[:, how[start:stop]], cfg.floor)
    return lam


def surprise(count: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """−log10 P(X ≥ count | Poisson(lam)); 0 where count ≤ lam."""
    tail = poisson.logsf(count - 1, lam) / np.log(10)
    out: np.ndarray = np.where(count > lam, -tail, 0.0)
    return out


def detect(counts: np.ndarray, cfg: DetectorConfig | None = None) -> list[Alert]:
    """Alerts over ``counts`` (keys × hours), processed hour by hour as a live stream would."""
    cfg = cfg or DetectorConfig()
    lam = expected_counts(counts, cfg)
    k, n = counts.shape
    best = np.zeros((k, n))
    best_c = np.zeros((k, n))
    best_l = np.ones((k, n))
    best_w = np.ones((k, n), dtype=int)
    csum = np.concatenate([np.zeros((k, 1)), np.cumsum(counts, axis=1)], axis=1)
    lsum = np.concatenate(
        [np.zeros((k, 1)), np.cumsum(np.nan_to_num(lam, nan=0.0), axis=1)], axis=1
    )
    # a window counts only when every hour in it has a baseline
    nan_sum = np.concatenate([np.zeros((k, 1)), np.cumsum(np.isnan(lam), axis=1)], axis=1)
    wmax = max(cfg.windows)
    valid = np.zeros((k, n), dtype=bool)
    valid[:, wmax - 1 :] = (nan_sum[:, wmax:] - nan_sum[:, :-wmax]) == 0
    for w in cfg.windows:
        c = csum[:, w:] - csum[:, :-w]  # window ending at hour i (index i = w-1 ...)
        lw = lsum[:, w:] - lsum[:, :-w]
        s = np.zeros((k, n))
        cc = np.zeros((k, n))
        ll = np.ones((k, n))
        s[:, w - 1 :] = surprise(c, np.maximum(lw, cfg.floor * w))
        cc[:, w - 1 :] = c
        ll[:, w - 1 :] = lw
        ok = (cc >= cfg.min_count) & (cc >= cfg.min_ratio * ll)
        s = np.where(ok, s, 0.0)
        better = s > best
        best = np.where(better, s, best)
        best_c = np.where(better, cc, best_c)
        best_l = np.where(better, ll, best_l)
        best_w = np.where(better, w, best_w)
    best = np.where(valid, best, 0.0)
    alerts: list[Alert] = []
    for key in range(k):
        row = best[key]
        candidates = np.flatnonzero(row >= cfg.close_score)
        if candidates.size == 0:
            continue
        current: Alert | None = None
        quiet_until = -1
        for t in range(int(candidates[0]), n):
            score = row[t]
            if current is None:
                if t >= quiet_until and score >= cfg.open_score:
                    current = Alert(
                        key=key,
                        opened=t,
                        peak_score=float(score),
                        count=int(best_c[key, t]),
                        expected=float(best_l[key, t]),
                        window=int(best_w[key, t]),
                        hours=[t],
                    )
            elif score >= cfg.close_score:
                current.hours.append(t)
                if score > current.peak_score:
                    current.peak_score = float(score)
                    current.count = int(best_c[key, t])
                    current.expected = float(best_l[key, t])
                    current.window = int(best_w[key, t])
            else:
                current.closed = t
                alerts.append(current)
                current = None
                quiet_until = t + cfg.cooldown_h
        if current is not None:
            alerts.append(current)
    return alerts


def mean_3sigma(counts: np.ndarray, *, window_h: int = 14 * 24, gap_h: int = 48) -> list[Alert]:
    """The classic rule (Huginn's peak detector): a peak is a count above mean + 3σ of the
    previous two weeks, peaks at least two days apart."""
    k, n = counts.shape
    alerts: list[Alert] = []
    csum = np.concatenate([np.zeros((k, 1)), np.cumsum(counts, axis=1)], axis=1)
    csq = np.concatenate([np.zeros((k, 1)), np.cumsum(counts.astype(float) ** 2, axis=1)], axis=1)
    for key in range(k):
        last = -gap_h
        for t in range(window_h, n):
            s = csum[key, t] - csum[key, t - window_h]
            q = csq[key, t] - csq[key, t - window_h]
            mean = s / window_h
            sd = np.sqrt(max(q / window_h - mean**2, 0.0))
            x = counts[key, t]
            if x > mean + 3 * sd and x > 0 and t - last >= gap_h:
                alerts.append(
                    Alert(key=key, opened=t, closed=t + 1, count=int(x), expected=mean, hours=[t])
                )
                last = t
    return alerts
