"""Draw customer summaries from the models' own generative stories.

Used to check that fitting recovers known parameters and to benchmark at scale. Each
function returns column arrays: frequency, recency, T (and monetary for spend).
"""

from __future__ import annotations

import numpy as np

from omniretail.insight.clv.base import FloatArray


def _ages(rng: np.random.Generator, n: int, T: float | tuple[float, float]) -> FloatArray:
    if isinstance(T, tuple):
        return rng.uniform(T[0], T[1], n)
    return np.full(n, float(T))


def bgnbd_summary(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | tuple[float, float] = 52.0,
    seed: int = 0,
) -> dict[str, FloatArray]:
    """BG/NBD: first purchase at 0; while active, Exp(λ) gaps; after each repeat purchase the
    customer drops out with probability p (FHL 2005, assumptions i-v)."""
    rng = np.random.default_rng(seed)
    age = _ages(rng, n, T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    now = np.zeros(n)
    last = np.zeros(n)
    freq = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        gap = rng.exponential(1.0, len(idx)) / np.maximum(lam[idx], 1e-300)
        nxt = now[idx] + gap
        buys = nxt <= age[idx]
        bought = idx[buys]
        now[bought] = nxt[buys]
        last[bought] = nxt[buys]
        freq[bought] += 1
        drops = rng.random(len(bought)) < p[bought]
        active[idx[~buys]] = False
        active[bought[drops]] = False
    return {"frequency": freq, "recency": last, "T": age}


def paretonbd_summary(
    n: int,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: float | tuple[float, float] = 52.0,
    seed: int = 0,
) -> dict[str, FloatArray]:
    """Pareto/NBD: Poisson(λ) purchases during an Exp(μ) lifetime (Schmittlein et al. 1987)."""
    rng = np.random.default_rng(seed)
    age = _ages(rng, n, T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    lifetime = rng.exponential(1.0, n) / np.maximum(mu, 1e-300)
    window = np.minimum(lifetime, age)
    freq = rng.poisson(lam * window).astype(np.float64)
    # the last of `freq` uniform purchase times in the window: window · U^(1/freq)
    u = rng.random(n)
    with np.errstate(divide="ignore"):
        last = np.where(freq > 0, window * u ** (1.0 / np.maximum(freq, 1.0)), 0.0)
    return {"frequency": freq, "recency": last, "T": age}


def gammagamma_spend(
    frequency: FloatArray, *, p: float, q: float, gamma: float, seed: int = 0
) -> FloatArray:
    """Mean spend of x transactions: z ~ Gamma(p, ν) with ν ~ Gamma(q, γ); 0 where x = 0."""
    rng = np.random.default_rng(seed)
    nu = rng.gamma(q, 1.0 / gamma, len(frequency))
    x = np.maximum(frequency, 1.0)
    mean_spend = rng.gamma(p * x, 1.0 / (nu * x))
    out: FloatArray = np.where(frequency > 0, mean_spend, 0.0)
    return out
