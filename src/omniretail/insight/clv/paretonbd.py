"""Pareto/NBD: Poisson purchasing with exponential lifetimes, gamma heterogeneity in both.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting Your Customers: Who Are
They and What Will They Do Next? *Management Science* 33(1), 1-24.

The likelihood follows Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and
Related Expressions": with α ≥ β the Gauss hypergeometric term is taken at
z = (α − β)/(α + t) (else the roles of α, β and of r + x, s + 1 swap), so z ∈ [0, 1) and the
series converges; the difference of the two terms is formed in log space.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt
from scipy import special

from omniretail.insight.clv.base import (
    FittedModel,
    FloatArray,
    check_rft,
    fit_log_params,
    numeric_gradient,
    weights_or_ones,
)


def _log_a0(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    """log A₀ of Fader & Hardie (2005), numerically stable for α ≈ β."""
    if alpha >= beta:
        big, second = alpha, np.full_like(x, s + 1.0)
    else:
        big, second = beta, r + x
    rsx = r + s + x
    diff = abs(alpha - beta)
    q1 = big + t_x
    q2 = big + age
    h1 = special.hyp2f1(rsx, second, rsx + 1.0, diff / q1)
    h2 = special.hyp2f1(rsx, second, rsx + 1.0, diff / q2)
    # log(h1 / q1^rsx - h2 / q2^rsx), both positive, first larger (t_x <= T)
    la = np.log(h1) - rsx * np.log(q1)
    lb = np.log(h2) - rsx * np.log(q2)
    with np.errstate(divide="ignore"):
        out: FloatArray = la + np.log1p(-np.exp(np.minimum(lb - la, 0.0)))
    return out


class ParetoNBDModel(FittedModel):
    """Pareto/NBD with parameters ``r, alpha, s, beta``; ``fit`` returns self."""

    param_names = ("r", "alpha", "s", "beta")

    def _log_lik(
        self,
        r: float,
        alpha: float,
        s: float,
        beta: float,
        x: FloatArray,
        t_x: FloatArray,
        age: FloatArray,
    ) -> FloatArray:
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        left = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
        with np.errstate(invalid="ignore", over="ignore"):  # extreme trial points: NaN → rejected
            right = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, x, t_x, age)
            out: FloatArray = a1 + np.logaddexp(left, right)
        return out

    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Maximize the log-likelihood over distinct (x, t_x, T) rows, weighted by their count."""
        x, t_x, age = check_rft(frequency, recency, T)
        w = weights_or_ones(weights, len(x))
        rows, inv = np.unique(np.stack([x, t_x, age]), axis=1, return_inverse=True)
        cw = np.bincount(inv.ravel(), weights=w, minlength=rows.shape[1])
        ux, ut, uT = rows
        scale = float(np.mean(age)) or 1.0

        def nll(theta: FloatArray) -> float:
            r, alpha, s, beta = np.exp(theta)
            ll = self._log_lik(r, alpha, s, beta, ux, ut, uT)
            return -float(np.dot(cw, ll))

        start = np.log(np.array([1.0, scale, 1.0, scale]))
        res = fit_log_params(numeric_gradient(nll), start, n=float(w.sum()) or 1.0)
        self._store_fit(res, int(w.sum()))
        return self

    def log_likelihood(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Per-customer log-likelihood (Fader & Hardie 2005 note)."""
        x, t_x, age = check_rft(frequency, recency, T)
        p = self._params()
        return self._log_lik(p["r"], p["alpha"], p["s"], p["beta"], x, t_x, age)

    def probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive | x, t_x, T) (Fader & Hardie 2005 note), with the same A₀."""
        x, t_x, age = check_rft(frequency, recency, T)
        p = self._params()
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        log_a0 = _log_a0(r, alpha, s, beta, x, t_x, age)
        log_term = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + age)
            + s * np.log(beta + age)
            + log_a0
        )
        out: FloatArray = 1.0 / (1.0 + np.exp(log_term))
        return out

    def expected_purchases_new_customer(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)] = rβ / (α(s − 1)) · [1 − (β/(β + t))^(s−1)], Schmittlein et al. (1987)."""
        p = self._params()
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        tt = np.asarray(t, dtype=np.float64)
        if abs(s - 1) < 1e-9:
            out1: FloatArray = r / alpha * beta * np.log1p(tt / beta)
            return out1
        out: FloatArray = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + tt)) ** (s - 1))
        return out

    def expected_purchases(
        self,
        t: float,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T] (Schmittlein et al. 1987; Fader & Hardie 2005 note)."""
        x, t_x, age = check_rft(frequency, recency, T)
        p = self._params()
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        if abs(s - 1) < 1e-9:
            horizon = (beta + age) * np.log1p(t / (beta + age))
        else:
            horizon = (beta + age) / (s - 1) * (1 - ((beta + age) / (beta + age + t)) ** (s - 1))
        out: FloatArray = (r + x) / (alpha + age) * horizon * self.probability_alive(x, t_x, age)
        return out

    def probability_of_purchases(self, t: npt.ArrayLike, n: int, *, nodes: int = 64) -> FloatArray:
        """P(X(t) = n) for a new customer over ``t`` periods.

        Conditioning on the lifetime τ:
        P = NB(n; t)·(β/(β+t))^s + ∫₀ᵗ NB(n; τ) s βˢ (β+τ)^−(s+1) dτ,
        where NB(n; τ) is the gamma-Poisson (NBD) probability of n purchases in τ; the integral
        is taken by Gauss-Legendre quadrature.
        """
        p = self._params()
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        tt = np.atleast_1d(np.asarray(t, dtype=np.float64))

        def nb(tau: FloatArray) -> FloatArray:
            with np.errstate(divide="ignore"):  # τ = 0 (t = 0): log τ = -inf, exp → 0
                return _nb(tau)

        def _nb(tau: FloatArray) -> FloatArray:
            val: FloatArray = np.exp(
                special.gammaln(r + n)
                - special.gammaln(r)
                - special.gammaln(n + 1)
                + r * (np.log(alpha) - np.log(alpha + tau))
                + n * (np.log(tau) - np.log(alpha + tau))
                if n > 0
                else r * (np.log(alpha) - np.log(alpha + tau))
            )
            return val

        gx, gw = np.polynomial.legendre.leggauss(nodes)
        tau = (gx[None, :] + 1) / 2 * tt[:, None]  # (len(t), nodes)
        dens = s / beta * np.exp(-(s + 1) * np.log1p(tau / beta))  # s βˢ (β+τ)^−(s+1)
        integral = (nb(tau) * dens * gw[None, :]).sum(axis=1) * tt / 2
        out: FloatArray = nb(tt) * np.exp(-s * np.log1p(tt / beta)) + integral
        return out

    def summary(self) -> dict[str, float]:
        return dict(self._params())
