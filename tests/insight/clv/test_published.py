"""Our fits on the CDNOW sample reproduce the published estimates (each within 1%)."""

from __future__ import annotations

import numpy as np
import pytest

from omniretail.insight.clv.bgnbd import BetaGeoModel
from omniretail.insight.clv.gammagamma import GammaGammaModel
from omniretail.insight.clv.paretonbd import ParetoNBDModel
from omniretail.insight.clv.value import customer_lifetime_value


def _within(got: dict[str, float], expected: dict[str, float], rel: float = 0.01) -> None:
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=rel), name


def test_summary_matches_the_published_cdnow_summary(cdnow_summary) -> None:  # type: ignore[no-untyped-def]
    s = cdnow_summary
    assert len(s.customer_id) == 2357
    assert int((s.frequency > 0).sum()) == 946
    assert s.frequency.sum() == 2457  # repeat transactions in weeks 1-39 (FHL 2005, §4)
    assert s.T.max() == pytest.approx(38.857, abs=1e-3)


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_summary) -> None:  # type: ignore[no-untyped-def]
    s = cdnow_summary
    model = BetaGeoModel().fit(s.frequency, s.recency, s.T)
    assert model is not None
    assert model.converged_
    _within(model.summary(), {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    assert model.log_likelihood_ == pytest.approx(-9582.4, rel=0.01)
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)


def test_paretonbd_reproduces_published_estimates(cdnow_summary) -> None:  # type: ignore[no-untyped-def]
    s = cdnow_summary
    model = ParetoNBDModel().fit(s.frequency, s.recency, s.T)
    _within(model.summary(), {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.5)


def test_gammagamma_reproduces_fhl_rfm_and_clv(cdnow_summary) -> None:  # type: ignore[no-untyped-def]
    s = cdnow_summary
    spend = np.where(s.frequency > 0, np.nan_to_num(s.monetary), 0.0)
    model = GammaGammaModel().fit(s.frequency, spend)
    assert model.n_customers_ == 946
    _within(model.summary(), {"p": 6.25, "q": 3.74, "gamma": 15.44})
    # customer 1 (x=2, z̄=22.35) shrinks toward the population mean of $35.17
    assert model.expected_average_value([2], [22.35])[0] == pytest.approx(24.66, abs=0.01)


def test_predictions_are_consistent(cdnow_summary) -> None:  # type: ignore[no-untyped-def]
    s = cdnow_summary
    model = BetaGeoModel().fit(s.frequency, s.recency, s.T)
    alive = model.probability_alive(s.frequency, s.recency, s.T)
    assert np.all((alive > 0) & (alive <= 1))
    assert np.all(alive[s.frequency == 0] == 1.0)
    e39 = model.expected_purchases(39.0, s.frequency, s.recency, s.T)
    e78 = model.expected_purchases(78.0, s.frequency, s.recency, s.T)
    assert np.all(e78 >= e39)
    assert np.all(e39 >= 0)
    # the pmf over 0..∞ sums to 1 and matches the mean of eq. (7)
    probs = [float(model.probability_of_purchases(39.0, n)) for n in range(200)]
    assert sum(probs) == pytest.approx(1.0, abs=1e-6)
    mean = sum(n * p for n, p in enumerate(probs))
    assert mean == pytest.approx(float(model.expected_purchases_new_customer(39.0)), rel=1e-4)
    # a customer just seen is more valuable than one silent since week 2, with the same x
    fresh, stale = model.probability_alive([4, 4], [38.0, 2.0], [38.86, 38.86])
    assert fresh > 0.8 > 0.2 > stale


def test_paretonbd_pmf_and_mean_agree(cdnow_summary) -> None:  # type: ignore[no-untyped-def]
    s = cdnow_summary
    model = ParetoNBDModel().fit(s.frequency, s.recency, s.T)
    probs = [float(model.probability_of_purchases(39.0, n)[0]) for n in range(200)]
    assert sum(probs) == pytest.approx(1.0, abs=1e-6)
    mean = sum(n * p for n, p in enumerate(probs))
    assert mean == pytest.approx(float(model.expected_purchases_new_customer(39.0)), rel=1e-4)


def test_clv_discounting(cdnow_summary) -> None:  # type: ignore[no-untyped-def]
    s = cdnow_summary
    model = BetaGeoModel().fit(s.frequency, s.recency, s.T)
    value = np.full(len(s.frequency), 35.0)
    undiscounted = customer_lifetime_value(
        model, s.frequency, s.recency, s.T, value, horizon=52.0, step=4.0
    )
    direct = model.expected_purchases(52.0, s.frequency, s.recency, s.T) * 35.0
    np.testing.assert_allclose(undiscounted, direct, rtol=1e-10)
    discounted = customer_lifetime_value(
        model, s.frequency, s.recency, s.T, value, horizon=52.0, step=4.0, discount_rate=0.01
    )
    assert np.all(discounted < undiscounted + 1e-12)
    assert discounted.sum() > 0.9 * undiscounted.sum()
