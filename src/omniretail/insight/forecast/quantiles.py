"""Forecast quantiles: a negative binomial around the point forecast.

Retail demand per store × SKU × period is a count with more spread than a Poisson. Each series
gets the negative binomial with the forecast as its mean μ and the dispersion of its own recent
history by moments: var = μ + μ² / k, k = mean² / (variance − mean) (a Poisson where the
history is not over-dispersed). Quantiles of a sum over ``n`` periods use mean n·μ and
dispersion n·k (the sum of independent NB with a common p stays NB).
"""

from __future__ import annotations

import numpy as np

from omniretail.insight.forecast.methods import Array

MAX_K = 1e6  # "infinitely" dispersed-free: a Poisson


def dispersion(history: Array, *, lookback: int = 26) -> Array:
    """Per series k (NB size) from the last ``lookback`` periods; MAX_K when not over-dispersed."""
    h = history[:, -lookback:]
    m = h.mean(axis=1)
    v = h.var(axis=1, ddof=1) if h.shape[1] > 1 else np.zeros(len(h))
    excess = v - m
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(excess > 1e-9, m**2 / excess, MAX_K)
    out: Array = np.clip(np.nan_to_num(k, nan=MAX_K), 0.05, MAX_K)
    return out


def nb_quantile(mean: Array, k: Array, q: float) -> Array:
    """The ``q`` quantile of NB(mean, k) elementwise (0 where the mean is 0)."""
    from scipy.stats import nbinom, poisson

    mean = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    k = np.broadcast_to(np.asarray(k, dtype=np.float64), mean.shape)
    out = np.zeros(mean.shape)
    pos = mean > 0
    pois = pos & (k >= MAX_K)
    nb = pos & ~pois
    if np.any(pois):
        out[pois] = poisson.ppf(q, mean[pois])
    if np.any(nb):
        kk = k[nb]
        out[nb] = nbinom.ppf(q, kk, kk / (kk + mean[nb]))
    return out


def sum_quantile(mean_per_period: Array, k: Array, periods: Array | float, q: float) -> Array:
    """Quantile of demand summed over ``periods`` periods (fractional allowed)."""
    return nb_quantile(mean_per_period * periods, np.asarray(k) * periods, q)
