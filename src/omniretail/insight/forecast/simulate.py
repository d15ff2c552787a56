"""Replenishment simulated day by day: the forecast-quantile policy against min/max.

Both policies see the same daily demand (series × days), review every ``review_days`` days,
receive orders ``lead_time`` days later in whole packs, and lose the sales they cannot serve
(a shopper finding an empty shelf buys elsewhere). Measured after a warm-up:

- fill rate = units sold / units demanded;
- average stock = mean over days of the units on hand at the end of the day (all series).

``order_up_to_policy``: at each review, the weekly history so far is forecast (by default with the
pipeline's model) and the order-up-to level is the α quantile of demand over lead time + review.
``min_max_policy``: Odoo-style reordering rule from the mean daily demand of the last 26 weeks:
when the position is at or below min = m·μ·(L+R), order up to max = min + μ·R; m is tuned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from omniretail.insight.forecast import policy, quantiles
from omniretail.insight.forecast.methods import Array, catalogue
from omniretail.insight.forecast.pipeline import HORIZON_WEEKS, METHOD

LevelFn = Callable[[Array], tuple[Array, Array]]  # history (series × days) -> (min, max)


@dataclass(frozen=True)
class SimResult:
    fill_rate: float
    average_stock: float
    orders: int
    parameter: float


def weekly(history: Array) -> Array:
    days = history.shape[1] - history.shape[1] % 7
    h = history[:, history.shape[1] - days :]
    out: Array = h.reshape(h.shape[0], -1, 7).sum(axis=2)
    return out


def order_up_to_policy(
    service_level: float, *, lead_time: int, review_days: int, method: str = METHOD
) -> LevelFn:
    fc = catalogue(52)[method]

    def levels(history: Array) -> tuple[Array, Array]:
        w = weekly(history)[:, -52:]
        mean_daily = fc(w, HORIZON_WEEKS)[:, 0] / 7.0  # the step's forecast, as published
        k_daily = quantiles.dispersion(w) / 7.0
        s, _ = policy.order_up_to(
            mean_daily,
            k_daily,
            lead_time_days=float(lead_time),
            review_days=float(review_days),
            service_level=service_level,
        )
        return s, s  # order up to S at every review

    return levels


def min_max_policy(multiplier: float, *, lead_time: int, review_days: int) -> LevelFn:
    def levels(history: Array) -> tuple[Array, Array]:
        mu = history[:, -182:].mean(axis=1)
        lo = np.ceil(multiplier * mu * (lead_time + review_days))
        return lo, lo + np.ceil(mu * review_days)

    return levels


def simulate(
    demand: Array,
    levels: LevelFn,
    *,
    start: int,
    lead_time: int,
    review_days: int,
    pack_size: Array | int = 1,
    warmup_days: int = 28,
    parameter: float = 0.0,
) -> SimResult:
    """Run ``levels`` over days ``start``… of ``demand``; the past before a day is its history."""
    n, days = demand.shape
    lo, hi = levels(demand[:, :start])
    on_hand = hi.copy()
    pipeline = np.zeros((n, lead_time + 1))
    sold = wanted = stock = 0.0
    orders = 0
    for t in range(start, days):
        on_hand += pipeline[:, 0]
        pipeline = np.roll(pipeline, -1, axis=1)
        pipeline[:, -1] = 0.0
        if (t - start) % review_days == 0:
            lo, hi = levels(demand[:, :t])
            on_order = pipeline.sum(axis=1)
            trigger = on_hand + on_order <= lo
            qty = policy.order_quantity(
                np.where(trigger, hi, 0.0), on_hand=on_hand, on_order=on_order, pack_size=pack_size
            )
            pipeline[:, lead_time - 1 if lead_time > 0 else 0] += qty
            if lead_time == 0:
                on_hand += pipeline[:, 0]
                pipeline[:, 0] = 0.0
            orders += int(np.count_nonzero(qty))
        d = demand[:, t]
        s = np.minimum(on_hand, d)
        on_hand -= s
        if t - start >= warmup_days:
            sold += float(s.sum())
            wanted += float(d.sum())
            stock += float(on_hand.sum())
    measured = max(days - start - warmup_days, 1)
    return SimResult(
        fill_rate=sold / wanted if wanted else 1.0,
        average_stock=stock / measured,
        orders=orders,
        parameter=parameter,
    )


def tune(
    run: Callable[[float], SimResult], lo: float, hi: float, target_fill: float, steps: int = 10
) -> SimResult:
    """The smallest parameter in [lo, hi] whose fill rate reaches ``target_fill`` (bisection;
    fill rate grows with the parameter)."""
    best = run(hi)
    if best.fill_rate < target_fill:
        return best
    for _ in range(steps):
        mid = (lo + hi) / 2
        r = run(mid)
        if r.fill_rate >= target_fill:
            hi, best = mid, r
        else:
            lo = mid
    return best


def stock_at_fill(
    run: Callable[[float], SimResult], lo: float, hi: float, target_fill: float, steps: int = 12
) -> tuple[float, SimResult, SimResult]:
    """Average stock of a policy family at exactly ``target_fill``: bisection for the two
    parameters around it, then linear interpolation between them (a rule with whole-unit
    levels rarely lands on a given fill rate)."""
    below, above = run(lo), run(hi)
    if above.fill_rate < target_fill or below.fill_rate >= target_fill:
        edge = above if above.fill_rate < target_fill else below
        return edge.average_stock, below, above
    for _ in range(steps):
        mid = run((below.parameter + above.parameter) / 2)
        if mid.fill_rate >= target_fill:
            above = mid
        else:
            below = mid
    span = above.fill_rate - below.fill_rate
    w = (target_fill - below.fill_rate) / span if span > 0 else 1.0
    return below.average_stock + w * (above.average_stock - below.average_stock), below, above
