"""Shared pieces of the buy-till-you-die models: input checks, weighted fitting in log space.

Every model keeps its parameters positive by optimizing their logarithms with L-BFGS-B and,
where it pays (BG/NBD, Gamma-Gamma), an analytic gradient of the log-likelihood.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize

from omniretail.insight.history.errors import ModelNotFitted, SummaryInvalid

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]


def as_array(name: str, values: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if not np.all(np.isfinite(arr)):
        raise SummaryInvalid(f"{name} has missing or infinite values", field=name)
    return arr


def check_rft(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a (frequency, recency, T) summary: 0 <= recency <= T, integer frequency."""
    x = as_array("frequency", frequency)
    t_x = as_array("recency", recency)
    age = as_array("T", T)
    if not (x.shape == t_x.shape == age.shape):
        raise SummaryInvalid("frequency, recency and T must have the same length")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise SummaryInvalid("frequency must be a whole number >= 0", field="frequency")
    if np.any(t_x < 0) or np.any(t_x > age + 1e-9):
        raise SummaryInvalid("recency must lie between 0 and T", field="recency")
    if np.any((x == 0) & (t_x > 0)):
        raise SummaryInvalid("recency must be 0 when frequency is 0", field="recency")
    if np.any(age < 0):
        raise SummaryInvalid("T (customer age) must not be negative", field="T")
    return x, t_x, age


def weights_or_ones(weights: npt.ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = as_array("weights", weights)
    if w.shape != (n,) or np.any(w < 0):
        raise SummaryInvalid("weights must be non-negative, one per customer", field="weights")
    return w


@dataclass(frozen=True)
class FitResult:
    params: FloatArray
    log_likelihood: float
    iterations: int
    converged: bool


def fit_log_params(
    objective: Objective, start: FloatArray, *, n: float = 1.0, max_iter: int = 500
) -> FitResult:
    """Minimize ``objective(log_params) -> (negative LL, gradient w.r.t. log params)``.

    The objective is divided by ``n`` (the number of customers) so that the optimizer sees a
    per-customer scale whatever the data size; a non-finite value counts as a very bad one.
    """

    def scaled(theta: FloatArray) -> tuple[float, FloatArray]:
        f, g = objective(theta)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return 1e10, np.zeros_like(theta)
        return f / n, g / n

    res = optimize.minimize(
        scaled,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * len(start),
        options={"maxiter": max_iter, "ftol": 1e-10, "gtol": 1e-7},
    )
    return FitResult(
        params=np.exp(res.x),
        log_likelihood=-float(res.fun) * n,
        iterations=int(res.nit),
        converged=bool(res.success),
    )


def numeric_gradient(fn: Callable[[FloatArray], float]) -> Objective:
    """Wrap a scalar objective with a central-difference gradient (for small problems)."""

    def wrapped(theta: FloatArray) -> tuple[float, FloatArray]:
        f0 = fn(theta)
        grad = np.empty_like(theta)
        for i in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[i]))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            grad[i] = (fn(up) - fn(down)) / (2 * h)
        return f0, grad

    return wrapped


class FittedModel:
    """Mixin: ``params_`` is set by ``fit``; accessing predictions before raises clearly."""

    params_: dict[str, float] | None = None
    log_likelihood_: float | None = None
    n_customers_: int = 0

    param_names: tuple[str, ...] = ()
    converged_: bool = False

    def _store_fit(self, res: FitResult, n_customers: int) -> None:
        """Keep what ``fit_log_params`` found (every model's ``fit`` ends here)."""
        self.params_ = dict(zip(self.param_names, map(float, res.params), strict=True))
        self.log_likelihood_ = res.log_likelihood
        self.n_customers_ = n_customers
        self.converged_ = res.converged

    def _params(self) -> dict[str, float]:
        if self.params_ is None:
            raise ModelNotFitted(f"{type(self).__name__} is not fitted yet; call fit() first")
        return self.params_
