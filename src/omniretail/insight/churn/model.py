"""Churn risk (流失风险): logistic regression on engine features, with per-customer factors.

Skewed counts, spend and day counts enter as log(1 + v); features are standardized, so each
customer's contribution of feature j to the log-odds is βⱼ·zⱼ. The factors pushing a
customer's risk up the most, in plain words, are that customer's top factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler

from omniretail.insight.churn.factors import describe
from omniretail.insight.history.errors import ModelNotFitted, SummaryInvalid

LOG_FEATURES = {
    "days_since_last_purchase",
    "tenure_days",
    "purchase_days",
    "orders_90d",
    "orders_prev_90d",
    "orders_365d",
    "spend_365d",
    "overdue_ratio",
    "events_30d",
}


@dataclass(frozen=True)
class Factor:
    feature: str
    contribution: float
    zh: str
    en: str

    @property
    def text(self) -> str:
        return f"{self.zh} / {self.en}"


class ChurnRiskModel:
    """``fit(features, churned)`` returns self; ``churn_risk`` and ``top_factors`` predict."""

    def __init__(self, features: list[str], *, C: float = 1.0) -> None:
        self.features = list(features)
        self.scaler = StandardScaler()
        self.classifier = LogisticRegression(C=C, max_iter=2000)
        self.fitted = False

    def _matrix(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        missing = [f for f in self.features if f not in frame.columns]
        if missing:
            raise SummaryInvalid(f"missing churn features: {', '.join(missing)}", field=missing[0])
        cols = []
        for name in self.features:
            v = frame[name].to_numpy(dtype=np.float64, na_value=0.0)
            cols.append(np.log1p(np.maximum(v, 0.0)) if name in LOG_FEATURES else v)
        return np.column_stack(cols)

    def fit(self, frame: pd.DataFrame, churned: npt.ArrayLike) -> Self:
        y = np.asarray(churned, dtype=np.int64)
        if len(np.unique(y)) < 2:
            raise SummaryInvalid(
                "the training window has only churned or only retained customers", field="churned"
            )
        z = self.scaler.fit_transform(self._matrix(frame))
        self.classifier.fit(z, y)
        self.fitted = True
        return self

    def _z(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        if not self.fitted:
            raise ModelNotFitted("the churn model is not fitted yet; call fit() first")
        out: npt.NDArray[np.float64] = self.scaler.transform(self._matrix(frame))
        return out

    def churn_risk(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """P(no purchase in the horizon) per customer."""
        out: npt.NDArray[np.float64] = self.classifier.predict_proba(self._z(frame))[:, 1]
        return out

    def contributions(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """βⱼ·zⱼ: each feature's push on each customer's log-odds of churning."""
        out: npt.NDArray[np.float64] = self._z(frame) * self.classifier.coef_[0][None, :]
        return out

    def top_factors(
        self, frame: pd.DataFrame, k: int = 3, *, currency: str | None = "CNY"
    ) -> list[list[Factor]]:
        """Up to ``k`` factors raising each customer's risk, strongest first, in words (money
        in ``currency``)."""
        contrib = self.contributions(frame)
        z = self._z(frame)
        order = np.argsort(-contrib, axis=1)[:, :k]
        raw = frame[self.features].to_numpy(dtype=np.float64, na_value=0.0)
        out: list[list[Factor]] = []
        for i in range(len(frame)):
            row: list[Factor] = []
            for j in order[i]:
                c = float(contrib[i, j])
                if c <= 0:
                    break
                zh, en = describe(
                    self.features[j], float(raw[i, j]), high=bool(z[i, j] > 0), currency=currency
                )
                row.append(Factor(self.features[j], round(c, 4), zh, en))
            out.append(row)
        return out

    def coefficients(self) -> dict[str, float]:
        if not self.fitted:
            raise ModelNotFitted("the churn model is not fitted yet; call fit() first")
        return {
            name: round(float(c), 4)
            for name, c in zip(self.features, self.classifier.coef_[0], strict=True)
        }


def evaluate(y: npt.ArrayLike, risk: npt.ArrayLike, *, bins: int = 10) -> dict[str, Any]:
    """AUC, Brier score and reliability bins (mean predicted vs observed churn rate)."""
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(risk, dtype=np.float64)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(pp, edges[1:-1]), 0, bins - 1)
    reliability = []
    for b in range(bins):
        mask = idx == b
        if mask.any():
            reliability.append(
                {
                    "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                    "customers": int(mask.sum()),
                    "mean_predicted": round(float(pp[mask].mean()), 4),
                    "observed_rate": round(float(yy[mask].mean()), 4),
                }
            )
    has_both = len(np.unique(yy)) == 2
    return {
        "customers": len(yy),
        "churn_rate": round(float(yy.mean()), 4) if len(yy) else None,
        "auc": round(float(roc_auc_score(yy, pp)), 4) if has_both else None,
        "brier": round(float(brier_score_loss(yy, pp)), 4) if len(yy) else None,
        "reliability": reliability,
    }
