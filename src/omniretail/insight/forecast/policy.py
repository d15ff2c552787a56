"""Replenishment policy: order-up-to levels from forecast quantiles (periodic review).

Every ``review_days`` a store orders, per SKU, what brings its inventory position (on hand +
on order) up to the order-up-to level

    S = Q_α(demand over lead time + review period)

the α quantile of the negative binomial around the forecast (see :mod:`quantiles`): the stock
that covers the demand until the next order can arrive with probability α. The safety stock
is S minus the mean demand over that time. The order is rounded up to whole packs and skipped
when below ``min_order`` units. Everything is vectorised over series.
"""

from __future__ import annotations

import numpy as np

from omniretail.insight.forecast import quantiles
from omniretail.insight.forecast.errors import BadReplenishmentInput
from omniretail.insight.forecast.methods import Array


def check_inputs(*, lead_time_days: Array, review_days: float, service_level: float) -> None:
    if not 0.5 <= service_level < 1:
        raise BadReplenishmentInput(
            f"service level must be in [0.5, 1), got {service_level}", field="service_level"
        )
    if review_days <= 0:
        raise BadReplenishmentInput("review period must be at least one day", field="review_days")
    if np.any(np.asarray(lead_time_days) < 0):
        raise BadReplenishmentInput("lead time cannot be negative", field="lead_time_days")


def order_up_to(
    mean_daily: Array,
    k_daily: Array,
    *,
    lead_time_days: Array | float,
    review_days: float,
    service_level: float,
) -> tuple[Array, Array]:
    """Order-up-to level S and safety stock per series."""
    lt = np.asarray(lead_time_days, dtype=np.float64)
    check_inputs(lead_time_days=lt, review_days=review_days, service_level=service_level)
    cover = lt + review_days
    s = quantiles.sum_quantile(mean_daily, k_daily, cover, service_level)
    return s, np.maximum(s - mean_daily * cover, 0.0)


def order_quantity(
    level: Array, *, on_hand: Array, on_order: Array, pack_size: Array | int, min_order: int = 0
) -> Array:
    """Units to order now: up to ``level``, in whole packs, nothing below ``min_order``."""
    pack = np.maximum(np.asarray(pack_size, dtype=np.float64), 1.0)
    if np.any(np.asarray(on_hand) < 0):
        raise BadReplenishmentInput("stock on hand cannot be negative", field="on_hand")
    need = np.maximum(level - on_hand - on_order, 0.0)
    qty = np.ceil(need / pack) * pack
    return np.where(qty >= max(min_order, 1), qty, 0.0)
