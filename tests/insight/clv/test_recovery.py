"""Fitting data simulated from each model recovers the parameters it was drawn with."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from omniretail.insight.clv import simulate
from omniretail.insight.clv.bgnbd import BetaGeoModel
from omniretail.insight.clv.gammagamma import GammaGammaModel
from omniretail.insight.clv.paretonbd import ParetoNBDModel

# a likelihood-ratio bound: the truth must lie inside the 99.9% confidence region
LR_BOUND_4 = stats.chi2.ppf(0.999, 4) / 2
LR_BOUND_3 = stats.chi2.ppf(0.999, 3) / 2


def test_bgnbd_recovers_parameters() -> None:
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 3.0}
    data = simulate.bgnbd_summary(30_000, **truth, T=(26.0, 52.0), seed=7)
    model = BetaGeoModel().fit(**data)
    for name, value in truth.items():
        assert model.summary()[name] == pytest.approx(value, rel=0.12), name
    true_ll = BetaGeoModel()
    true_ll.params_ = truth
    gap = model.log_likelihood_ - true_ll.log_likelihood(**data).sum()  # type: ignore[operator]
    assert 0 <= gap < LR_BOUND_4


def test_paretonbd_recovers_parameters() -> None:
    truth = {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}
    data = simulate.paretonbd_summary(20_000, **truth, T=(52.0, 78.0), seed=3)
    model = ParetoNBDModel().fit(**data)
    got = model.summary()
    assert got["r"] == pytest.approx(truth["r"], rel=0.1)
    assert got["alpha"] == pytest.approx(truth["alpha"], rel=0.1)
    # s and beta are less well identified; their ratio (mean death rate) much better
    assert got["s"] / got["beta"] == pytest.approx(truth["s"] / truth["beta"], rel=0.1)
    true_model = ParetoNBDModel()
    true_model.params_ = truth
    gap = model.log_likelihood_ - true_model.log_likelihood(**data).sum()  # type: ignore[operator]
    assert 0 <= gap < LR_BOUND_4


def test_gammagamma_recovers_parameters() -> None:
    truth = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    frequency = np.random.default_rng(5).poisson(3.0, 30_000).astype(float)
    spend = simulate.gammagamma_spend(frequency, **truth, seed=5)
    model = GammaGammaModel().fit(frequency, spend)
    got = model.summary()
    assert got["q"] == pytest.approx(truth["q"], rel=0.1)
    # p and gamma trade off against each other; within 20% each, and the likelihood of the
    # truth inside the confidence region
    assert got["p"] == pytest.approx(truth["p"], rel=0.2)
    assert got["gamma"] == pytest.approx(truth["gamma"], rel=0.2)
    # the population mean spend pγ/(q − 1) is recovered tightly
    assert model.population_mean_value() == pytest.approx(6.25 * 15.44 / 2.74, rel=0.03)


def test_bgnbd_weights_equal_repeated_rows() -> None:
    data = simulate.bgnbd_summary(2_000, r=0.3, alpha=5.0, a=0.8, b=2.5, seed=1)
    doubled = {k: np.concatenate([v, v]) for k, v in data.items()}
    weighted = BetaGeoModel().fit(**data, weights=np.full(2_000, 2.0))
    repeated = BetaGeoModel().fit(**doubled)
    for name in ("r", "alpha", "a", "b"):
        assert weighted.summary()[name] == pytest.approx(repeated.summary()[name], rel=1e-4)
