"""Uplift learners recover known effects; Qini/AUUC by hand; campaign-file evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omniretail.insight.uplift import TLearner, XLearner, create
from omniretail.insight.uplift.errors import InvalidCampaignData
from omniretail.insight.uplift.evaluate import evaluate_campaign, evaluate_synthetic
from omniretail.insight.uplift.metrics import (
    auuc,
    cumulative_gain,
    qini_coefficient,
    qini_curve,
)
from omniretail.insight.uplift.synthetic import nie_wager


def test_qini_curve_by_hand() -> None:
    # sorted by score: (w, y) = (1, 1), (0, 0), (1, 1), (0, 1)
    y = np.array([1.0, 0.0, 1.0, 1.0])
    w = np.array([1, 0, 1, 0])
    score = np.array([0.9, 0.8, 0.7, 0.1])
    q = qini_curve(y, w, score)
    # n=1: 1 treated, no control -> 1; n=2: 1 - 0·1/1 = 1; n=3: 2 - 0·2/1 = 2; n=4: 2 - 1·2/2 = 1
    assert q.tolist() == pytest.approx([0.0, 1.0, 1.0, 2.0, 1.0])
    g = cumulative_gain(y, w, score)
    # n=2: (1 - 0)·2 = 2; n=3: (1 - 0)·3 = 3; n=4: (1 - 0.5)·4 = 2
    assert g.tolist() == pytest.approx([0.0, 1.0, 2.0, 3.0, 2.0])
    assert auuc(y, w, score) == pytest.approx(np.mean([0, 0.5, 1, 1.5, 1]))
    random_line = np.linspace(0, 1, 5)
    assert qini_coefficient(y, w, score) == pytest.approx(np.mean(q) - np.mean(random_line))


def test_qini_with_true_effects_ranks_the_oracle_first() -> None:
    rng = np.random.default_rng(0)
    tau = rng.normal(size=500)
    w = rng.random(500) < 0.5
    oracle = qini_coefficient(None, w, tau, true_effect=tau)
    reverse = qini_coefficient(None, w, -tau, true_effect=tau)
    assert oracle > 0 > reverse


@pytest.mark.parametrize("learner", ["t_learner", "x_learner"])
def test_learners_recover_the_effect_of_a_randomized_trial(learner: str) -> None:
    """Setup B (a randomized trial): the learned ranking is close to the oracle's."""
    report = evaluate_synthetic("B", n=3000, learners=[learner], seed=3)
    res = report["results"]
    assert res[learner]["qini_true"] > 0.8 * res["oracle"]["qini_true"]
    assert res[learner]["qini"] > 0.15 > abs(res["random"]["qini"])
    assert res[learner]["mse_tau"] < 0.5 * res["random"]["mse_tau"]


def test_x_learner_beats_t_learner_when_the_effect_is_simple() -> None:
    """Künzel et al. (2019): with a constant effect and an unbalanced design (setup C) the
    X-learner's estimate is much closer than the T-learner's."""
    train = nie_wager("C", n=3000, seed=5)
    test = nie_wager("C", n=2000, seed=6)
    t = TLearner().fit(train.x, train.treatment, train.y).predict_uplift(test.x)
    x = XLearner().fit(train.x, train.treatment, train.y).predict_uplift(test.x)
    assert np.mean((x - test.tau) ** 2) < 0.5 * np.mean((t - test.tau) ** 2)
    assert abs(np.mean(x) - 1.0) < 0.15  # the true effect is 1 for everyone


def test_known_linear_effect_is_recovered_with_a_linear_base() -> None:
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.normal(size=(n, 3))
    w = rng.random(n) < 0.5
    tau = 2.0 * x[:, 0]
    y = 1.0 + x[:, 1] + w * tau + rng.normal(scale=0.5, size=n)
    model = create("x_learner", base="linear", propensity=0.5).fit(x, w, y)
    est = model.predict_uplift(x)
    assert np.corrcoef(est, tau)[0, 1] > 0.98
    assert np.polyfit(x[:, 0], est, 1)[0] == pytest.approx(2.0, abs=0.1)


def test_bad_campaign_data_is_named() -> None:
    x = np.zeros((20, 2))
    with pytest.raises(InvalidCampaignData, match="control"):
        TLearner().fit(x, np.ones(20), np.zeros(20))
    with pytest.raises(InvalidCampaignData) as err:
        create("s_learner")
    assert err.value.field == "learner"
    with pytest.raises(InvalidCampaignData):
        nie_wager("E")


def test_evaluate_a_campaign_file() -> None:
    data = nie_wager("B", n=2000, seed=9)
    frame = pd.DataFrame(data.x, columns=[f"f{i}" for i in range(data.x.shape[1])])
    frame["got_coupon"] = np.where(data.treatment, "yes", "no")
    frame["spend"] = data.y
    report = evaluate_campaign(frame, treatment_col="got_coupon", outcome_col="spend")
    assert report["data"]["features"] == [f"f{i}" for i in range(6)]
    assert report["data"]["treated"] + report["data"]["control"] == 2000
    for name in ("t_learner", "x_learner"):
        assert report["results"][name]["qini"] > report["results"]["random"]["qini"] + 0.1
    with pytest.raises(InvalidCampaignData) as err:
        evaluate_campaign(frame, treatment_col="coupon", outcome_col="spend")
    assert err.value.field == "coupon"


def _multiplicative_campaign(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """Purchases ~ Poisson(base(x) · (1 + lift(x))^T): a coupon that scales the buying rate,
    with a lift driven by the second feature only."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    base = np.exp(0.6 * x[:, 0] - 0.5)
    lift = 0.8 / (1 + np.exp(-2 * x[:, 1]))  # 0 .. 0.8
    w = rng.random(n) < 0.5
    y = rng.poisson(base * np.where(w, 1 + lift, 1.0)).astype(float)
    return x, w, y, base * lift


def test_lift_learner_recovers_a_multiplicative_effect() -> None:
    x, w, y, _ = _multiplicative_campaign(8000, seed=1)
    x_test, w_test, _, tau = _multiplicative_campaign(3000, seed=2)
    model = create("lift_learner", seed=1).fit(x, w, y)
    predicted = model.predict_uplift(x_test)
    assert np.corrcoef(predicted, tau)[0, 1] > 0.8
    oracle = qini_coefficient(None, w_test, tau, true_effect=tau)
    assert qini_coefficient(None, w_test, predicted, true_effect=tau) > 0.8 * oracle
    mu0, mu1 = model.predict_outcomes(x_test)
    assert (mu0 > 0).all()
    assert np.allclose(mu1 - mu0, predicted)
    with pytest.raises(InvalidCampaignData) as err:
        create("lift_learner").fit(x, w, y - 5)
    assert err.value.field == "outcome"


def test_cross_fitted_x_learner_on_a_randomized_trial() -> None:
    train = nie_wager("B", n=3000, seed=3)
    test = nie_wager("B", n=2000, seed=4)
    model = XLearner(base="gbm_smooth", folds=5, propensity=0.5, seed=3)
    model.fit(train.x, train.treatment, train.y)
    tau = test.tau
    score = model.predict_uplift(test.x)
    oracle = qini_coefficient(None, test.treatment, tau, true_effect=tau)
    assert qini_coefficient(None, test.treatment, score, true_effect=tau) > 0.8 * oracle
    with pytest.raises(InvalidCampaignData) as err:
        create("x_learner", base="boosted").fit(train.x, train.treatment, train.y)
    assert err.value.field == "base_learner"
