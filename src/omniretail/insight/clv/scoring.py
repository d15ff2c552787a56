"""Per-customer scores from the unified orders: P(alive), expected purchases and value.

Backtest first (fit on everything up to ``as_of − holdout`` days, compare with what customers
actually bought since), then fit on all history and score as of ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.clv import evaluation
from omniretail.insight.clv.bgnbd import BetaGeoModel
from omniretail.insight.clv.gammagamma import GammaGammaModel
from omniretail.insight.clv.service import CustomerSummary, summarize
from omniretail.insight.clv.summary import SummarySpec
from omniretail.insight.history.errors import SummaryInvalid
from omniretail.platform.engine.base import AnalyticsEngine

HORIZONS = (90, 180, 365)
STAGING = "clv_paid_orders"

PAID_ORDERS_SQL = """
SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(ordered_at AS TIMESTAMP) AS ordered_at,
       CAST(paid_amount AS DOUBLE) AS paid_amount
FROM orders
WHERE customer_id IS NOT NULL AND ordered_at IS NOT NULL AND coalesce(status, 'paid') = 'paid'
"""


@dataclass
class ClvScores:
    scores: pd.DataFrame
    report: dict[str, Any]


def _spec(calibration_end: date, holdout_end: date | None = None) -> SummarySpec:
    return SummarySpec(
        source=STAGING,
        customer_col="customer_id",
        date_col="ordered_at",
        amount_col="paid_amount",
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        period="day",
    )


def _backtest(engine: AnalyticsEngine, as_of: date, holdout_days: int) -> dict[str, Any]:
    cal_end = as_of - timedelta(days=holdout_days)
    try:
        s = summarize(engine, _spec(cal_end, as_of))
    except SummaryInvalid as exc:
        return {"skipped": exc.detail}
    if len(s.customer_id) < 20 or s.holdout_frequency is None:
        return {"skipped": f"only {len(s.customer_id)} customers before {cal_end.isoformat()}"}
    model = BetaGeoModel().fit(s.frequency, s.recency, s.T)
    predicted = model.expected_purchases(float(holdout_days), s.frequency, s.recency, s.T)
    return {
        "calibration_end": cal_end.isoformat(),
        "holdout_days": holdout_days,
        "parameters": {k: round(v, 6) for k, v in model.summary().items()},
        **evaluation.holdout_comparison(predicted, s.holdout_frequency, s.frequency),
    }


def _average_value(s: CustomerSummary) -> tuple[np.ndarray, dict[str, Any]]:  # type: ignore[type-arg]
    repeat = s.frequency > 0
    spend = np.where(repeat, np.nan_to_num(s.monetary), 0.0)
    try:
        gg = GammaGammaModel().fit(s.frequency, spend)
        if gg.summary()["q"] <= 1:
            raise SummaryInvalid("q <= 1: the mean spend is undefined", field="q")
        return gg.expected_average_value(s.frequency, spend), {
            "model": "gammagamma",
            "parameters": {k: round(v, 6) for k, v in gg.summary().items()},
            "repeat_buyers": gg.n_customers_,
            "population_mean_value": round(gg.population_mean_value(), 4),
        }
    except SummaryInvalid as exc:  # too few repeat buyers: the plain mean repeat spend
        mean = float(spend[repeat].mean()) if repeat.any() else 0.0
        return np.full(len(s.frequency), mean), {"model": "mean", "reason": exc.detail}


def score_orders(engine: AnalyticsEngine, as_of: date, *, holdout_days: int = 180) -> ClvScores:
    """Fit BG/NBD + Gamma-Gamma on the ``orders`` table and score every customer."""
    engine.materialize(STAGING, PAID_ORDERS_SQL)
    try:
        backtest = _backtest(engine, as_of, holdout_days)
        s = summarize(engine, _spec(as_of))
    finally:
        engine.drop(STAGING)
    model = BetaGeoModel().fit(s.frequency, s.recency, s.T)
    value, spend_report = _average_value(s)
    p_alive = model.probability_alive(s.frequency, s.recency, s.T)
    cols: dict[str, Any] = {
        "customer_id": s.customer_id,
        "frequency": s.frequency.astype(np.int64),
        "recency_days": s.recency,
        "tenure_days": s.T,
        "p_alive": p_alive,
        "expected_average_value": value,
    }
    for h in HORIZONS:
        e = model.expected_purchases(float(h), s.frequency, s.recency, s.T)
        cols[f"expected_purchases_{h}d"] = e
        cols[f"expected_value_{h}d"] = e * value
    # expected days to the next purchase: 1 / posterior mean rate, E[λ | x, T] = (r + x)/(α + T)
    p = model.summary()
    gap = (p["alpha"] + s.T) / (p["r"] + s.frequency)
    cols["expected_days_to_next_purchase"] = np.ceil(gap / np.maximum(p_alive, 1e-6))
    frame = pd.DataFrame(cols)
    report = {
        "model": "bgnbd+gammagamma",
        "as_of": as_of.isoformat(),
        "period": "day",
        "customers": len(s.customer_id),
        "repeat_buyers": int((s.frequency > 0).sum()),
        "parameters": {k: round(v, 6) for k, v in p.items()},
        "log_likelihood": round(float(model.log_likelihood_ or 0.0), 4),
        "calibration_fit": evaluation.calibration_histogram(model, s.frequency, s.T),
        "spend_model": spend_report,
        "backtest": backtest,
    }
    return ClvScores(scores=frame, report=report)
