"""Meta-learners for the conditional average treatment effect τ(x) = E[Y(1) − Y(0) | X = x].

- **T-learner**: separate outcome models on the treated and the control customers,
  ``τ̂(x) = μ̂₁(x) − μ̂₀(x)``.
- **X-learner** (Künzel, Sekhon, Bickel & Yu 2019, PNAS 116(10)): impute individual effects
  ``D¹ᵢ = Yᵢ − μ̂₀(Xᵢ)`` for the treated and ``D⁰ᵢ = μ̂₁(Xᵢ) − Yᵢ`` for the control group, fit
  ``τ̂₁`` on D¹ and ``τ̂₀`` on D⁰, and blend them with the propensity ``ê(x)``:
  ``τ̂(x) = ê(x)·τ̂₀(x) + (1 − ê(x))·τ̂₁(x)``.

- **Lift learner** (multiplicative effect, for counts and spend ≥ 0): the offer multiplies
  the expected outcome, ``E[Y | x, T] = μ₀(x)·exp(T·(c₀ + cᵀz(x)))``. ``μ̂₀`` is a Poisson-loss
  model of the control group (cross-fitted on the training rows); the log-lift coefficients
  come from a Poisson GLM on both groups with offset ``log μ̂₀(x)`` (fitted as target
  ``Y/μ̂₀`` with weight ``μ̂₀``), with ``z`` the standardized ``sign(x)·log(1+|x|)``; then
  ``τ̂(x) = μ̂₀(x)·(exp(c₀ + cᵀz(x)) − 1)``. A low-variance alternative when effects scale with
  the baseline (a coupon that makes frequent buyers buy a bit more often), as in the
  interaction models of Tian, Alizadeh, Gentles & Tibshirani (2014, JASA 109:1517).

Base learners come from scikit-learn (``gbm``: HistGradientBoostingRegressor, ``forest``,
``linear``: ridge). The outcome may be binary (bought or not) or a spend amount; the lift
learner needs outcomes ≥ 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

import numpy as np
from sklearn.base import RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, PoissonRegressor, RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from omniretail.insight.uplift.errors import InvalidCampaignData


def base_learner(kind: str, seed: int = 42, *, loss: str = "squared_error") -> RegressorMixin:
    """A fresh regressor by name: ``gbm`` (default), ``gbm_smooth`` (≥ 200 customers per leaf,
    for noisy campaign outcomes), ``forest`` or ``linear``. ``loss="poisson"`` (gbm kinds) fits
    a log-link model for counts or spend ≥ 0."""
    if kind in ("gbm", "gbm_smooth"):
        smooth = kind == "gbm_smooth"
        return HistGradientBoostingRegressor(
            loss=loss,
            max_iter=300 if smooth else 200,
            learning_rate=0.03 if smooth else 0.05,
            max_leaf_nodes=8 if smooth else 15,
            min_samples_leaf=200 if smooth else 40,
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
        f"unknown base learner {kind!r}; use gbm, gbm_smooth, forest or linear",
        field="base_learner",
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
    (a randomized campaign with a known treated share). ``folds`` > 1 cross-fits the outcome
    models: each customer's imputed effect uses μ̂ fitted without that customer, so the
    outcome models' overfit does not leak into D. ``outcome_loss="poisson"`` fits the outcome
    models with a log link (counts or spend ≥ 0, effects that scale with the baseline)."""

    name = "x_learner"

    def __init__(
        self,
        base: str = "gbm",
        seed: int = 42,
        threads: int = 1,
        propensity: float | None = None,
        folds: int = 0,
        outcome_loss: str = "squared_error",
    ) -> None:
        super().__init__(base, seed, threads)
        self.propensity = propensity
        self.folds = folds
        self.outcome_loss = outcome_loss

    def _outcome_model(self) -> RegressorMixin:
        loss = self.outcome_loss if self.base.startswith("gbm") else "squared_error"
        return base_learner(self.base, self.seed, loss=loss)

    def _fit_outcomes(self, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> None:
        self._mu0 = clone(self._outcome_model()).fit(x[~w], y[~w])
        self._mu1 = clone(self._outcome_model()).fit(x[w], y[w])

    def _imputation_outcomes(
        self, x: np.ndarray, w: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.folds <= 1:
            return self.predict_outcomes(x)
        mu0, mu1 = np.empty(len(y)), np.empty(len(y))
        for train, held in KFold(self.folds, shuffle=True, random_state=self.seed).split(x):
            c, t = train[~w[train]], train[w[train]]
            mu0[held] = clone(self._outcome_model()).fit(x[c], y[c]).predict(x[held])
            mu1[held] = clone(self._outcome_model()).fit(x[t], y[t]).predict(x[held])
        return mu0, mu1

    def _fit(self, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> None:
        self._fit_outcomes(x, w, y)
        mu0, mu1 = self._imputation_outcomes(x, w, y)
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


def _log_features(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.sign(x) * np.log1p(np.abs(x)), dtype=np.float64)


class LiftLearner(UpliftModel):
    """Multiplicative offer effect on a non-negative outcome (see the module docstring).

    ``folds``: cross-fitting folds for μ̂₀ on the training rows; ``alpha``: L2 penalty of the
    log-lift GLM."""

    name = "lift_learner"

    def __init__(
        self,
        base: str = "gbm",
        seed: int = 42,
        threads: int = 1,
        folds: int = 5,
        alpha: float = 1e-4,
    ) -> None:
        super().__init__(base, seed, threads)
        self.folds = folds
        self.alpha = alpha

    def _baseline(self) -> RegressorMixin:
        if self.base == "gbm":
            return HistGradientBoostingRegressor(
                loss="poisson",
                max_iter=200,
                learning_rate=0.05,
                max_leaf_nodes=15,
                min_samples_leaf=40,
                random_state=self.seed,
            )
        if self.base == "linear":
            model: RegressorMixin = make_pipeline(
                StandardScaler(), PoissonRegressor(alpha=1e-4, max_iter=1000)
            )
            return model
        return base_learner(self.base, self.seed)

    def _baseline_of(self, model: Any, x: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(model.predict(x), dtype=np.float64), 1e-6)

    def _fit(self, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> None:
        if (y < 0).any():
            raise InvalidCampaignData(
                "the lift learner needs outcomes ≥ 0 (purchases, orders or spend)", field="outcome"
            )
        mu0 = np.empty(len(y))
        for train, held in KFold(self.folds, shuffle=True, random_state=self.seed).split(x):
            control = train[~w[train]]
            fold_model = clone(self._baseline()).fit(x[control], y[control])
            mu0[held] = self._baseline_of(fold_model, x[held])
        self._mu0_model: Any = clone(self._baseline()).fit(x[~w], y[~w])
        z = _log_features(x)
        self._center, self._scale = z.mean(axis=0), z.std(axis=0) + 1e-9
        z = (z - self._center) / self._scale
        wf = w.astype(np.float64)[:, None]
        design = np.hstack([z, wf, wf * z])
        glm = PoissonRegressor(alpha=self.alpha, max_iter=1000)
        glm.fit(design, y / mu0, sample_weight=mu0)
        k = z.shape[1]
        self._lift0 = float(glm.coef_[k])
        self._lift = np.asarray(glm.coef_[k + 1 :], dtype=np.float64)

    def relative_lift(self, x: np.ndarray) -> np.ndarray:
        """exp(c₀ + cᵀz(x)) − 1: the offer's relative effect on the outcome."""
        z = (_log_features(np.asarray(x, dtype=np.float64)) - self._center) / self._scale
        return np.asarray(np.expm1(self._lift0 + z @ self._lift), dtype=np.float64)

    def predict_outcomes(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=np.float64)
        mu0 = self._baseline_of(self._mu0_model, x)
        return mu0, mu0 * (1.0 + self.relative_lift(x))

    def _predict(self, x: np.ndarray) -> np.ndarray:
        mu0, mu1 = self.predict_outcomes(x)
        return np.asarray(mu1 - mu0, dtype=np.float64)


LEARNERS: dict[str, type[UpliftModel]] = {
    "t_learner": TLearner,
    "x_learner": XLearner,
    "lift_learner": LiftLearner,
}


def create(name: str, **params: Any) -> UpliftModel:
    cls = LEARNERS.get(name)
    if cls is None:
        raise InvalidCampaignData(
            f"unknown uplift learner {name!r}; choose from {', '.join(LEARNERS)}", field="learner"
        )
    return cls(**params)
