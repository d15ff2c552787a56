"""Our array methods against statsforecast and the protocol's scale by hand."""

from __future__ import annotations

import numpy as np
import pytest
from statsforecast.models import CrostonSBA

from omniretail.insight.forecast.evaluation import scaled_errors
from omniretail.insight.forecast.methods import bootstrap_level, croston_sba_arrays, window_level


def test_croston_sba_arrays_equals_statsforecast() -> None:
    rng = np.random.default_rng(7)
    y = rng.negative_binomial(0.4, 0.3, (300, 60)).astype(float) * (rng.random((300, 60)) < 0.3)
    y[0] = 0.0  # never sold
    y[1, :] = 0.0
    y[1, -1] = 5.0  # sold once, in the last period
    ours = croston_sba_arrays(y, 8)
    for i in range(len(y)):
        ref = 0.0 if not y[i].any() else CrostonSBA().forecast(y=y[i], h=8)["mean"][0]
        assert ours[i, 0] == pytest.approx(ref, rel=1e-9, abs=1e-12)
    assert ours.shape == (300, 8)


def test_scale_trims_leading_zeros() -> None:
    hist = np.array([[0.0, 0.0, 2.0, 0.0, 4.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    fc = np.array([[2.0, 2.0], [1.0, 1.0]])
    actual = np.array([[0.0, 4.0], [1.0, 1.0]])
    r, m = scaled_errors(fc, hist, actual)
    # series 0: diffs from its first sale: -2, +4 -> mean sq 10, mean abs 3; errors -2, +2
    assert r[0] == pytest.approx(np.sqrt(4 / 10))
    assert m[0] == pytest.approx(2 / 3)
    assert np.isnan(r[1])  # a flat history has no naive error to scale by
    assert np.isnan(m[1])


def test_window_level_sits_below_the_mean_for_rare_large_orders() -> None:
    y = np.zeros((1, 52))
    y[0, ::13] = 40.0  # one order of 40 every 13 weeks
    level = window_level(y, 8)[0, 0]
    assert 0 <= level < y.mean()


def test_bootstrap_level_is_deterministic_and_sits_below_the_mean() -> None:
    y = np.zeros((3, 52))
    y[0, ::13] = 40.0  # one order of 40 every 13 weeks
    y[1] = 3.0  # steady
    level = bootstrap_level(y, 8)
    assert np.array_equal(level, bootstrap_level(y, 8))  # the same draws every call
    assert level.shape == (3, 8)
    assert 0 <= level[0, 0] < y[0].mean()
    assert level[1, 0] == pytest.approx(3.0, abs=1e-3)
    assert not level[2].any()  # never sold: 0
    # a series is scored on its own weeks only: the others do not move its level
    assert bootstrap_level(y[:1], 8)[0, 0] == level[0, 0]
