"""The quantile search against scipy's ppf, value for value."""

from __future__ import annotations

import numpy as np
import pytest

from omniretail.insight.forecast.quantiles import (
    MAX_K,
    dispersion,
    nb_quantile,
    nb_quantile_reference,
    sum_quantile,
)

LEVELS = (0.5, 0.9, 0.95, 0.98, 0.9883, 0.999, 0.9999, 1e-4, 0.3, 0.75)


def _values(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Means from 1e-12 to 1e6 and sizes from 1e-3 to 2e6 (log-uniform), with Poissons
    (``MAX_K``), sizes just below it, zero means, and runs of a repeated pair."""
    rng = np.random.default_rng(seed)
    mean = np.exp(rng.uniform(np.log(1e-12), np.log(1e6), n))
    k = np.exp(rng.uniform(np.log(1e-3), np.log(2e6), n))
    k[rng.random(n) < 0.3] = MAX_K
    k[rng.random(n) < 0.03] = np.nextafter(MAX_K, 0.0)
    mean[rng.random(n) < 0.05] = 0.0
    mean[100:140] = mean[100]  # a run (the weeks ahead of one node)
    k[100:140] = k[100]
    mean[140:150] = mean[100]  # the same mean, another size
    return mean, k


@pytest.mark.parametrize("q", LEVELS)
def test_equals_scipy_on_random_values(q: float) -> None:
    mean, k = _values(int(q * 1e4), 40_000)
    np.testing.assert_array_equal(nb_quantile(mean, k, q), nb_quantile_reference(mean, k, q))


def test_equals_scipy_on_demand_like_series() -> None:
    """Small NB means with the dispersion the pipeline estimates, each repeated 8 weeks."""
    rng = np.random.default_rng(3)
    n = 20_000
    mu = np.exp(rng.normal(-1.5, 1.5, n))
    size = np.exp(rng.normal(0.0, 1.5, n))
    history = rng.negative_binomial(size[:, None], (size / (size + mu))[:, None], (n, 52))
    k = np.repeat(dispersion(history.astype(np.float64)), 8)
    mean = np.repeat(mu, 8) * np.tile(np.linspace(0.9, 1.1, 8), n)
    mean[: 8 * 1000] = np.repeat(mu[:1000], 8)  # constant over the horizon
    for q in (0.5, 0.9, 0.95):
        np.testing.assert_array_equal(nb_quantile(mean, k, q), nb_quantile_reference(mean, k, q))
    days = np.array([1.0, 2.5, 7.0, 10.5])  # sums over periods
    for q in (0.9, 0.98):
        fast = sum_quantile(mu[:500, None], k[:4000:8, None], days, q)
        ref = nb_quantile_reference(mu[:500, None] * days, k[:4000:8, None] * days, q)
        np.testing.assert_array_equal(fast, ref)


def test_edge_values_equal_scipy() -> None:
    mean = np.array([0.0, -1.0, 1e-300, 5e-324, np.nan, np.inf, 3.0, 3.0, 3.0, 3.0, 2.0, 1e6, 4e5])
    k = np.array([1.0, 1.0, 0.5, MAX_K, 1.0, 1.0, np.inf, np.nan, -1.0, 0.0, MAX_K, 1e-3, 0.05])
    for q in (*LEVELS, 0.0, 1.0, 1e-9, 1 - 1e-9, np.nan):
        np.testing.assert_array_equal(nb_quantile(mean, k, q), nb_quantile_reference(mean, k, q))
    assert nb_quantile(mean, k, 0.9)[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    # the smallest count whose CDF reaches q, by hand: Poisson(2): CDF 0.135, 0.406, 0.677
    assert nb_quantile(np.array([2.0, 2.0, 2.0]), np.array([MAX_K] * 3), 0.5).tolist() == [2] * 3
    assert nb_quantile(np.array([2.0]), np.array([MAX_K]), 0.4).tolist() == [1.0]
    # NB(mean 1, k 1) is geometric: P(X <= x) = 1 - 0.5^(x+1), the 0.9 quantile is 3
    assert nb_quantile(np.array([1.0]), np.array([1.0]), 0.9).tolist() == [3.0]
