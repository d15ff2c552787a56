"""Our array methods against statsforecast and the protocol's scale by hand."""

from __future__ import annotations

import numpy as np
import pytest
from statsforecast.models import CrostonSBA

from omniretail.insight.forecast.evaluation import scaled_errors
from omniretail.insight.forecast.methods import (
    ROW_WISE,
    bootstrap_level,
    catalogue,
    croston_sba_arrays,
    ensemble,
    global_gbm,
    memoised,
    trim_leading_zeros,
    window_level,
)


def _bootstrap_level_per_series(history: np.ndarray, horizon: int) -> np.ndarray:
    """The method as it was first written: scipy's bounded search, one series at a time."""
    from scipy.optimize import minimize_scalar

    u = np.random.default_rng(0).random((4000, horizon))
    out = np.zeros((history.shape[0], horizon))
    for i, y in enumerate(history):
        yy = trim_leading_zeros(y)[-52:]
        if not np.any(yy):
            continue
        sims = yy[(u * len(yy)).astype(np.int64)]

        def loss(c: float, w: np.ndarray = sims) -> float:
            return float(np.sqrt(((w - c) ** 2).mean(axis=1)).mean())

        out[i] = minimize_scalar(loss, bounds=(0.0, float(yy.max())), method="bounded").x
    return out


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


def test_bootstrap_level_across_series_equals_the_search_per_series() -> None:
    rng = np.random.default_rng(11)
    n = 400
    mean = np.exp(rng.normal(np.log(0.4), 1.5, n)).clip(0.01, 300)
    k = np.exp(rng.normal(0.0, 1.0, n)).clip(0.05, 50)
    y = rng.negative_binomial(k[:, None], (k / (k + mean))[:, None], (n, 70)).astype(float)
    y[:40] *= rng.random((40, 70)) * 3  # not whole units (weighed goods)
    y[40:50, :45] = 0.0  # first sale late: fewer than 52 weeks from it
    y[50:55] = 0.0  # never sold
    y[55:60, 10:] = 0.0  # sold, but not in the last 52 weeks
    y[60:70] = y[0:10]  # identical series
    y[70:75, :-1] = 0.0  # sold once, in the last week
    y[75:80] *= 1000  # large counts: past the exact integer key
    ours = bootstrap_level(y, 8)
    ref = _bootstrap_level_per_series(y, 8)
    assert ours.shape == (n, 8)
    assert np.array_equal(ours, ours[:, :1].repeat(8, axis=1))
    assert not ours[50:60].any()
    # the same search step for step; the loss is summed in another order (each window's
    # mean and variance, distinct windows once), so where two points' losses tie to the last
    # bits a step can go the other way: then both stop within the search's tolerance (1e-5)
    diff = np.abs(ours - ref)[:, 0]
    assert (diff <= 1e-9 * np.maximum(ref[:, 0], 1.0)).mean() >= 0.97
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=2e-5)
    np.testing.assert_array_equal(ours[60:70], ours[0:10])
    np.testing.assert_array_equal(bootstrap_level(y[::-1], 8), ours[::-1])  # row order


def test_global_gbm_runs_and_is_deterministic() -> None:
    rng = np.random.default_rng(3)
    y = rng.negative_binomial(0.5, 0.2, (40, 60)).astype(float) * (rng.random((40, 60)) < 0.4)
    y[0] = 0.0  # never sold: no scale, forecast 0
    fc = global_gbm(y, 8)
    assert fc.shape == (40, 8)
    assert np.array_equal(fc, global_gbm(y, 8))  # same history, same forecast
    assert (fc >= 0).all()
    assert not fc[0].any()
    assert np.allclose(fc, fc[:, :1])  # one level per window (direct, the window's mean)
    assert 0 < fc[1:, 0].mean() < 2 * y[1:].mean()  # a level of the right size, not a guess
    assert not global_gbm(y[:, :10], 8).any()  # too short to train: no forecast


def test_ensembles_reuse_their_members_and_combine_them() -> None:
    rng = np.random.default_rng(5)
    y = rng.poisson(2.0, (20, 60)).astype(float)
    calls: list[int] = []

    def counted(history: np.ndarray, horizon: int) -> np.ndarray:
        calls.append(1)
        return croston_sba_arrays(history, horizon)

    sba = memoised(counted)
    members = [sba, bootstrap_level, global_gbm]
    each = np.array([m(y, 8) for m in members])
    assert np.allclose(ensemble(*members, how="median")(y, 8), np.median(each, axis=0))
    assert np.allclose(ensemble(*members)(y, 8), each.mean(axis=0))
    assert len(calls) == 1  # fitted once for this history, however many ensembles use it
    sba(y[:, :50], 8)
    assert len(calls) == 2  # another origin is another fit
    assert {"global_gbm", "ensemble_median", "ensemble_mean"} <= set(catalogue(52))


def test_row_wise_methods_forecast_a_series_from_it_alone() -> None:
    """The methods the pipeline runs on many SKUs' trees at once: a series' forecast in a
    stack equals its forecast alone (and in another stack), bit for bit."""
    rng = np.random.default_rng(7)
    weeks = 40
    sold = rng.random((9, weeks)) < rng.uniform(0.05, 0.9, (9, 1))
    history = np.where(sold, rng.poisson(3.0, (9, weeks)) + 1.0, 0.0)
    history[2] = 0.0  # never sold
    history[5, :35] = 0.0  # new
    history[6] = rng.random(weeks) * 4  # fractional quantities
    methods = catalogue(52)
    assert set(methods) >= ROW_WISE
    for name in sorted(ROW_WISE):
        method = methods[name]
        together = method(history, 8)
        for lo, hi in ((0, 4), (4, 9)):
            assert np.array_equal(together[lo:hi], method(history[lo:hi], 8)), name
        for i in (0, 6):
            assert np.array_equal(together[i : i + 1], method(history[i : i + 1], 8)), name
