"""How well a fitted transaction model describes the data: calibration and holdout.

- Calibration fit: the number of customers with 0, 1, …, k+ repeat purchases in the
  calibration window, actual vs expected Σᵢ P(X(Tᵢ) = x) (FHL 2005, Figure 1).
- Holdout: predicted E[Y(t*) | xᵢ, t_xᵢ, Tᵢ] vs the actual repeat purchases in the holdout
  period of length t*, per customer (MAE, RMSE, correlation), in total, and averaged by
  calibration frequency (FHL 2005, Figure 4 "conditional expectations").
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from omniretail.insight.clv.base import FloatArray


class CountModel(Protocol):
    def probability_of_purchases(self, t: npt.ArrayLike, n: int) -> FloatArray: ...

    def expected_purchases(
        self, t: float, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...


def calibration_histogram(
    model: CountModel, frequency: FloatArray, T: FloatArray, *, max_count: int = 7
) -> list[dict[str, Any]]:
    """Actual vs expected customers by repeat purchases 0 … max_count−1 and ``max_count+``."""
    ages, counts = np.unique(np.round(T, 6), return_counts=True)
    rows: list[dict[str, Any]] = []
    expected_below = np.zeros(len(ages))
    for n in range(max_count):
        prob = np.atleast_1d(model.probability_of_purchases(ages, n))
        expected_below += prob
        rows.append(
            {
                "repeat_purchases": str(n),
                "actual": int(np.sum(frequency == n)),
                "expected": round(float(np.dot(counts, prob)), 2),
            }
        )
    rows.append(
        {
            "repeat_purchases": f"{max_count}+",
            "actual": int(np.sum(frequency >= max_count)),
            "expected": round(float(np.dot(counts, np.clip(1 - expected_below, 0, None))), 2),
        }
    )
    return rows


def holdout_comparison(
    predicted: FloatArray,
    actual: FloatArray,
    frequency: FloatArray,
    *,
    max_count: int = 7,
) -> dict[str, Any]:
    """Per-customer errors, totals and the conditional expectations by calibration frequency."""
    err = predicted - actual
    corr = (
        float(np.corrcoef(predicted, actual)[0, 1])
        if len(actual) > 1 and np.std(actual) > 0 and np.std(predicted) > 0
        else None
    )
    by_x = []
    for n in range(max_count + 1):
        mask = frequency == n if n < max_count else frequency >= max_count
        if not mask.any():
            continue
        by_x.append(
            {
                "calibration_repeat_purchases": str(n) if n < max_count else f"{max_count}+",
                "customers": int(mask.sum()),
                "actual_mean": round(float(actual[mask].mean()), 4),
                "predicted_mean": round(float(predicted[mask].mean()), 4),
            }
        )
    return {
        "customers": len(actual),
        "total_actual": float(actual.sum()),
        "total_predicted": round(float(predicted.sum()), 2),
        "total_error_pct": round(float((predicted.sum() - actual.sum()) / actual.sum() * 100), 2)
        if actual.sum() > 0
        else None,
        "mae": round(float(np.abs(err).mean()), 4),
        "rmse": round(float(np.sqrt((err**2).mean())), 4),
        "correlation": round(corr, 4) if corr is not None else None,
        "by_calibration_frequency": by_x,
    }
