"""The replenishment simulation on demand whose distribution is known."""

from __future__ import annotations

import numpy as np
import pytest

from omniretail.insight.forecast import simulate as sim
from omniretail.insight.forecast.errors import BadReplenishmentInput
from omniretail.insight.forecast.policy import order_quantity, order_up_to


def _demand(n: int = 120, days: int = 420, seed: int = 3) -> np.ndarray:
    """Daily NB demand, means 0.1-4 a day, dispersion from lumpy (k 0.3) to Poisson-like."""
    rng = np.random.default_rng(seed)
    mean = np.exp(rng.uniform(np.log(0.1), np.log(4), n))
    k = np.exp(rng.uniform(np.log(0.3), np.log(30), n))
    return rng.negative_binomial(k[:, None], (k / (k + mean))[:, None], (n, days)).astype(float)


def test_mechanics_on_steady_demand() -> None:
    d = np.ones((3, 100))
    r = sim.simulate(
        d, lambda h: (np.full(3, 5.0), np.full(3, 5.0)), start=50, lead_time=2, review_days=1
    )
    assert r.fill_rate == 1.0
    assert r.average_stock == pytest.approx(3 * 2.0)  # 5 at dawn, 1 sold, 2 arriving: 2 left
    never = sim.simulate(
        d, lambda h: (np.zeros(3), np.zeros(3)), start=50, lead_time=2, review_days=1
    )
    assert never.fill_rate == 0.0


@pytest.mark.slow
def test_quantile_policy_needs_less_stock_than_tuned_min_max() -> None:
    d = _demand()
    start, lead, review = 420 - 140, 2, 7

    def ours(a: float) -> sim.SimResult:
        return sim.simulate(
            d,
            sim.order_up_to_policy(a, lead_time=lead, review_days=review),
            start=start, lead_time=lead, review_days=review, parameter=a,
        )  # fmt: skip

    def min_max(m: float) -> sim.SimResult:
        return sim.simulate(
            d,
            sim.min_max_policy(m, lead_time=lead, review_days=review),
            start=start, lead_time=lead, review_days=review, parameter=m,
        )  # fmt: skip

    best = sim.tune(ours, 0.5, 0.999, 0.97, steps=7)
    assert best.fill_rate >= 0.97
    stock, below, above = sim.stock_at_fill(min_max, 0.2, 12.0, best.fill_rate, steps=9)
    assert below.fill_rate < best.fill_rate <= above.fill_rate
    assert best.average_stock < 0.9 * stock


def test_order_up_to_and_packs() -> None:
    s, safety = order_up_to(
        np.array([1.0, 0.0]), np.array([1e6, 1e6]), lead_time_days=2, review_days=7,
        service_level=0.95,
    )  # fmt: skip
    assert s[0] >= 9  # Poisson(9) 95 % quantile is 14
    assert s[0] == 14
    assert safety[0] == 5
    assert s[1] == 0
    q = order_quantity(s, on_hand=np.array([3.0, 0.0]), on_order=np.array([2.0, 0.0]), pack_size=4)
    assert q.tolist() == [12.0, 0.0]  # need 9 -> 3 packs of 4
    with pytest.raises(BadReplenishmentInput, match="service level"):
        order_up_to(np.ones(1), np.ones(1), lead_time_days=1, review_days=1, service_level=1.0)
    with pytest.raises(BadReplenishmentInput, match="lead time"):
        order_up_to(np.ones(1), np.ones(1), lead_time_days=-1, review_days=1, service_level=0.9)
