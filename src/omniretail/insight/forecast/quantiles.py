"""Forecast quantiles: a negative binomial around the point forecast.

Retail demand per store × SKU × period is a count with more spread than a Poisson. Each series
gets the negative binomial with the forecast as its mean μ and the dispersion of its own recent
history by moments: var = μ + μ² / k, k = mean² / (variance − mean) (a Poisson where the
history is not over-dispersed). Quantiles of a sum over ``n`` periods use mean n·μ and
dispersion n·k (the sum of independent NB with a common p stays NB).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from omniretail.insight.forecast.methods import Array

IntArray = NDArray[np.int64]

MAX_K = 1e6  # "infinitely" dispersed-free: a Poisson
# where the Poisson quantile search runs (elsewhere scipy's ppf); tested equal to scipy's ppf
# within these bounds
SEARCHED_Q = (1e-4, 0.9999)
BEYOND = 2.0**23  # counts from which the search leaves the value to scipy's ppf


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
    """The ``q`` quantile of NB(mean, k) elementwise (0 where the mean is 0): scipy's
    ``nbinom.ppf(q, k, k / (k + mean))``, ``poisson.ppf(q, mean)`` where ``k`` is ``MAX_K``.

    The same numbers at a fraction of the cost: each run of equal (mean, k) is computed once
    (a node's weeks ahead share both), and a Poisson quantile is the smallest count whose CDF
    (scipy's own ``poisson.cdf``) reaches ``q``, found by a search from a normal
    approximation in two CDF evaluations for most values, where ``poisson.ppf`` inverts the
    CDF numerically at about 20 times the cost of one evaluation. The negative binomials stay
    with scipy's ``nbinom.ppf`` (Boost's inversion, fast for the small means of retail
    demand). Poisson values outside the searched domain (``q`` outside ``SEARCHED_Q``, a
    quantile of ``BEYOND`` or more) and non-finite or non-positive parameters go to scipy's
    ``ppf`` as they are. ``tests/insight/forecast/test_quantiles.py`` checks it equals
    :func:`nb_quantile_reference`.
    """
    mean = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    k = np.broadcast_to(np.asarray(k, dtype=np.float64), mean.shape)
    out = np.zeros(mean.shape)
    pos = mean > 0
    plain = pos & np.isfinite(mean) & np.isfinite(k) & (k > 0)
    odd = pos & ~plain
    if np.any(odd):
        out[odd] = nb_quantile_reference(mean[odd], k[odd], q)
    if not np.any(plain):
        return out
    mp, kp = mean[plain], k[plain]
    new = np.ones(len(mp), dtype=bool)  # the first of a run of equal (mean, k)
    new[1:] = (mp[1:] != mp[:-1]) | (kp[1:] != kp[:-1])
    m, kk = mp[new], kp[new]
    found = np.full(len(m), np.nan)
    pois = kk >= MAX_K
    if np.any(pois) and SEARCHED_Q[0] <= q <= SEARCHED_Q[1]:
        found[pois] = _smallest_reaching(_poisson_cdf(m[pois]), m[pois], m[pois], q)
    rest = np.isnan(found)  # the negative binomials and what the search left
    if np.any(rest):
        found[rest] = nb_quantile_reference(m[rest], kk[rest], q)
    out[plain] = found[np.cumsum(new) - 1]
    return out


def nb_quantile_reference(mean: Array, k: Array, q: float) -> Array:
    """:func:`nb_quantile` by scipy's ``ppf`` on every value (the reference it is tested on)."""
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


Cdf = Callable[[Array, IntArray], Array]


def _poisson_cdf(mu: Array) -> Cdf:
    from scipy.stats import poisson

    def cdf(x: Array, at: IntArray) -> Array:
        out: Array = poisson.cdf(x, mu[at])
        return out

    return cdf


def _smallest_reaching(cdf: Cdf, mean: Array, var: Array, q: float) -> Array:
    """Per value, the smallest count ``x ≥ 0`` with ``cdf(x) ≥ q`` (``cdf(x, at)``: the CDFs
    of the values ``at`` at ``x``). Starts from the normal approximation's quantile, steps
    up by doubling until the CDF reaches ``q`` and down by one (then by halving) until it
    does not, so a good start settles in two evaluations. NaN where the count would reach
    ``BEYOND`` (left to scipy's ``ppf``)."""
    from scipy.special import ndtri

    z = float(ndtri(q))
    with np.errstate(over="ignore", invalid="ignore"):
        start = np.floor(mean + z * np.sqrt(var))
    hi = np.where(start < BEYOND, np.maximum(start, 0.0), BEYOND)  # cdf(hi) >= q to be found
    lo = np.full(len(hi), -1.0)  # cdf(lo) < q (the CDF is 0 below 0)
    todo = np.flatnonzero(hi < BEYOND)
    while len(todo):  # up: until the CDF at hi reaches q
        short = cdf(hi[todo], todo) < q
        up = todo[short]
        lo[up] = hi[up]
        hi[up] = np.minimum(2.0 * hi[up] + 1.0, BEYOND)
        todo = up[hi[up] < BEYOND]
    lost = hi >= BEYOND
    lo[lost], hi[lost] = 0.0, np.nan  # left to the caller
    # down: from a start that reached q, one step below it settles most values
    todo = np.flatnonzero((lo < 0) & (hi > 0) & ~lost)
    below = hi[todo] - 1.0
    reach = cdf(below, todo) >= q
    lo[todo[~reach]] = below[~reach]
    hi[todo[reach]] = below[reach]
    while True:  # halve the rest: lo < x <= hi
        todo = np.flatnonzero((hi - lo > 1.0) & ~lost)
        if not len(todo):
            return hi
        mid = np.floor((lo[todo] + hi[todo]) / 2.0)
        reach = cdf(mid, todo) >= q
        hi[todo[reach]] = mid[reach]
        lo[todo[~reach]] = mid[~reach]


def sum_quantile(mean_per_period: Array, k: Array, periods: Array | float, q: float) -> Array:
    """Quantile of demand summed over ``periods`` periods (fractional allowed)."""
    return nb_quantile(mean_per_period * periods, np.asarray(k) * periods, q)
