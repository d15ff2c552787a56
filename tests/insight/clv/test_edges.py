"""Edge cases: brand-new customers, bad summaries, unfitted models."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from omniretail.insight.clv.bgnbd import BetaGeoModel
from omniretail.insight.clv.gammagamma import GammaGammaModel
from omniretail.insight.clv.paretonbd import ParetoNBDModel
from omniretail.insight.history.errors import ModelNotFitted, SummaryInvalid


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (BetaGeoModel, {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}),
        (ParetoNBDModel, {"r": 0.5, "alpha": 5.0, "s": 0.6, "beta": 10.0}),
    ],
)
def test_a_customer_first_seen_today(model, params) -> None:  # type: ignore[no-untyped-def]
    m = model()
    m.params_ = params
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = [m.probability_of_purchases(np.array([0.0, 10.0]), n) for n in range(3)]
        assert probs[0][0] == pytest.approx(1.0)
        assert probs[1][0] == 0.0
        assert m.probability_alive([0], [0.0], [0.0])[0] == pytest.approx(1.0)
        assert m.expected_purchases(30.0, [0], [0.0], [0.0])[0] > 0


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "field"),
    [
        ([1], [5.0], [4.0], "recency"),
        ([-1], [0.0], [4.0], "frequency"),
        ([1.5], [1.0], [4.0], "frequency"),
        ([0], [2.0], [4.0], "recency"),
        ([1], [np.nan], [4.0], "recency"),
    ],
)
def test_bad_summaries_name_the_field(frequency, recency, T, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SummaryInvalid) as err:
        BetaGeoModel().fit(frequency, recency, T)
    assert err.value.field == field


def test_unfitted_models_say_so() -> None:
    with pytest.raises(ModelNotFitted):
        BetaGeoModel().probability_alive([1], [1.0], [2.0])
    with pytest.raises(ModelNotFitted):
        GammaGammaModel().expected_average_value([1], [10.0])


def test_gammagamma_needs_repeat_buyers() -> None:
    with pytest.raises(SummaryInvalid, match="at least 3 repeat buyers"):
        GammaGammaModel().fit([0, 0, 1], [0.0, 0.0, 10.0])
