"""Customer lifetime value: expected purchases × expected spend, discounted.

CLV over ``horizon`` periods, cut into steps of ``step`` periods (e.g. 30 days), with a
discount rate ``d`` per step (Fader, Hardie & Lee 2005, "RFM and CLV", §"From E(Y) to CLV"):

    CLV = Σₖ (E[Y(k·step)] − E[Y((k−1)·step)]) · E[M] / (1 + d)ᵏ ,  k = 1 … ⌈horizon/step⌉

where E[Y(t)] is the transaction model's conditional expectation and E[M] the Gamma-Gamma
expected average value. With d = 0 this is E[Y(horizon)] · E[M].
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import numpy.typing as npt

from omniretail.insight.clv.base import FloatArray, as_array
from omniretail.insight.history.errors import SummaryInvalid


class TransactionModel(Protocol):
    def expected_purchases(
        self, t: float, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...


def customer_lifetime_value(
    model: TransactionModel,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    average_value: npt.ArrayLike,
    *,
    horizon: float,
    step: float,
    discount_rate: float = 0.0,
) -> FloatArray:
    """Discounted expected value of each customer's purchases over the next ``horizon`` periods."""
    if horizon <= 0 or step <= 0:
        raise SummaryInvalid("horizon and step must be positive", field="horizon")
    if discount_rate < 0:
        raise SummaryInvalid("the discount rate must not be negative", field="discount_rate")
    value = as_array("average_value", average_value)
    steps = math.ceil(horizon / step - 1e-9)
    ts = [min(k * step, horizon) for k in range(1, steps + 1)]
    curve = getattr(model, "expected_purchases_curve", None)
    if curve is not None:  # one pass for every horizon when the model offers it
        cumulative_at: list[FloatArray] = curve(ts, frequency, recency, T)
    else:
        cumulative_at = [model.expected_purchases(t, frequency, recency, T) for t in ts]
    total = np.zeros_like(value)
    previous = np.zeros_like(value)
    for k, cumulative in enumerate(cumulative_at, start=1):
        total += (cumulative - previous) / (1.0 + discount_rate) ** k
        previous = cumulative
    out: FloatArray = total * value
    return out
