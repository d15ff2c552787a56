"""Meta-learners for the conditional average treatment effect τ(x) = E[Y(1) − Y(0) | X = x].

- **T-learner**: separate outcome models on the treated and the control customers,
  ``τ̂(x) = μ̂₁(x) − μ̂₀(x)``.
- **X-learner** (Künzel, Sekhon, Bickel & Yu 2019, PNAS 116(10)): impute individual effects
  ``D¹ᵢ = Yᵢ − μ̂₀(Xᵢ)`` for the treated and ``D⁰ᵢ = μ̂₁(Xᵢ) − Yᵢ`` for the control group, fit
  ``τ̂₁`` on D¹ and ``τ̂₀`` on D⁰, and blend them with the propensity ``ê(x)``:
  ``τ̂(x) = ê(x)·τ̂₀(x) + (1 − ê(x))·τ̂₁(x)``.

Base learners come from scikit-learn (``gbm``: HistGradientBoostingRegressor, ``forest``,
``linear``: ridge). The outcome may be binary (bought or not) or a spend amount.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

import numpy as np
from sklearn.base import RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from omniretail.insight.uplift.errors import InvalidCampaignData


def base_learner(kind: str, seed: int = 42) -> RegressorMixin:
    """A fresh regressor by name: ``gbm`` (default), ``forest`` or ``linear``."""
    if kind == "gbm":
        return HistGradientBoostingRegressor(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            random_state=seed,
        )
    if kind == "forest":
        return RandomForestRegressor(
            n_estimators=200, min_samples_leaf=25, n_jobs=1, random_state=seed
        )
    if kind == "linear":
        model: RegressorMixin = make_pipeline(StandardScaler(), RidgeCV())
        return model
    raise InvalidCampaignData(
        f"unknown base learner {kind!r}; use gbm, forest or linear", field="base_learner"
    )


def _check(x: np.ndarray, treatment: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(treatment).astype(bool)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(w) or len(w) != len(y):
        raise InvalidCampaignData(
            "features, treatment and outcome must have one row per customer", field="features"
        )
    if w.all() or not w.any():
        raise InvalidCampaignData(
            "uplift needs both treated customers and a control (holdout) group",
            field="treatment",
        )
    if min(int(w.sum()), int((~w).sum())) < 10:
        raise InvalidCampaignData(
            "each of the treated and control groups needs at least 10 customers",
            field="treatment",
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InvalidCampaignData("features and outcome must be finite numbers", field="features")
    return x, w, y


class UpliftModel(ABC):
    """``fit(X, treatment, y) -> self``; ``predict_uplift(X)`` → τ̂(x) per customer.

    ``threads`` caps the OpenMP/BLAS threads of the base learners (default 1: on a busy
    2-core machine, gradient boosting with spinning OpenMP threads runs ~25× slower)."""

    name: ClassVar[str] = ""

    def __init__(self, base: str = "gbm", seed: int = 42, threads: int = 1) -> None:
        self.base = base
        self.seed = seed
        self.threads = threads

    def fit(self, x: np.ndarray, treatment: np.ndarray, y: np.ndarray) -> Self:
        x, w, y = _check(x, treatment, y)
        with threadpool_limits(self.threads):
            self._fit(x, w, y)
        return self

    def predict_uplift(self, x: np.ndarray) -> np.ndarray:
        with threadpool_limits(self.threads):
            return self._predict(np.asarray(x, dtype=np.float64))

    @abstractmethod
    def _fit(self, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, x: np.ndarray) -> np.ndarray: ...

    def predict_outcomes(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """μ̂₀(x), μ̂₁(x): the expected outcome without and with the offer."""
        x = np.asarray(x, dtype=np.float64)
        return (
            np.asarray(self._mu0.predict(x), dtype=np.float64),
            np.asarray(self._mu1.predict(x), dtype=np.float64),
        )

    def _fit_outcomes(self, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> None:
        self._mu0: Any = clone(base_learner(self.base, self.seed)).fit(x[~w], y[~w])
        self._mu1: Any = clone(base_learner(self.base, self.seed)).fit(x[w], y[w])


class TLearner(UpliftModel):
    name = "t_learner"

    def _fit(self, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> None:
        self._fit_outcomes(x, w, y)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        mu0, mu1 = self.predict_outcomes(x)
        return np.asarray(mu1 - mu0, dtype=np.float64)


class XLearner(UpliftModel):
    """``propensity``: ``None`` estimates ê(x) by logistic regression; a number fixes it
    (a randomized campaign with a known treated share)."""

    name = "x_learner"

    def __init__(
        self,
        base: str = "gbm",
        seed: int = 42,
        threads: int = 1,
        propensity: float | None = None,
    ) -> None:
        super().__init__(base, seed, threads)
        self.propensity = propensity

    def _fit(self, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> None:
        self._fit_outcomes(x, w, y)
        mu0, mu1 = self.predict_outcomes(x)
        d1 = y[w] - mu0[w]
        d0 = mu1[~w] - y[~w]
        self._tau1: Any = clone(base_learner(self.base, self.seed)).fit(x[w], d1)
        self._tau0: Any = clone(base_learner(self.base, self.seed)).fit(x[~w], d0)
        self._e: Any = None
        if self.propensity is None:
            self._e = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, w)

    def _propensity(self, x: np.ndarray) -> np.ndarray:
        if self._e is None:
            return np.full(len(x), float(self.propensity or 0.5))
        e: np.ndarray = self._e.predict_proba(x)[:, 1]
        return np.asarray(np.clip(e, 0.01, 0.99), dtype=np.float64)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        g = self._propensity(x)
        tau0 = np.asarray(self._tau0.predict(x), dtype=np.float64)
        tau1 = np.asarray(self._tau1.predict(x), dtype=np.float64)
        return g * tau0 + (1.0 - g) * tau1


LEARNERS: dict[str, type[UpliftModel]] = {"t_learner": TLearner, "x_learner": XLearner}


def create(name: str, **params: Any) -> UpliftModel:
    cls = LEARNERS.get(name)
    if cls is None:
        raise InvalidCampaignData(
            f"unknown uplift learner {name!r}; choose from {', '.join(LEARNERS)}", field="learner"
        )
    return cls(**params)
