"""BG/NBD: beta-geometric / negative binomial distribution model of repeat purchasing.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the Easy Way:
An Alternative to the Pareto/NBD Model. *Marketing Science* 24(2), 275-284.

While active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
purchase she drops out with probability p ~ Beta(a, b). Equation numbers refer to the paper.
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
    weights_or_ones,
)


def _by_frequency(x: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Unique frequencies and the index of each customer's one (terms that depend on x only)."""
    ux, inv = np.unique(x, return_inverse=True)
    return ux, inv


class BetaGeoModel(FittedModel):
    """BG/NBD with parameters ``r, alpha, a, b``; ``fit`` returns self."""

    param_names = ("r", "alpha", "a", "b")

    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Maximize the log-likelihood, eq. (6), summed over customers (optionally weighted)."""
        x, t_x, age = check_rft(frequency, recency, T)
        w = weights_or_ones(weights, len(x))
        ux, inv = _by_frequency(x)
        w_by_x = np.bincount(inv, weights=w, minlength=len(ux))
        repeat = x > 0
        x_minus_1 = np.where(repeat, x - 1, 0.0)
        scale = float(np.mean(age)) or 1.0  # start alpha near the observation period

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            r, alpha, a, b = np.exp(theta)
            # terms depending on x only, on the unique frequencies
            ll_x = (
                special.gammaln(r + ux)
                - special.gammaln(r)
                + r * np.log(alpha)
                + special.betaln(a, b + ux)
                - special.betaln(a, b)
            )
            d_r_x = special.digamma(r + ux) - special.digamma(r) + np.log(alpha)
            psi_abx = special.digamma(a + b + ux)
            psi_ab = special.digamma(a + b)
            d_a_x = psi_ab - psi_abx
            d_b_x = special.digamma(b + ux) - special.digamma(b) + psi_ab - psi_abx
            # per customer: log of the two survival branches, eq. (6)
            rx = r + x
            log_at = np.log(alpha + age)
            log_atx = np.log(alpha + t_x)
            a1 = -rx * log_at
            a2 = np.where(repeat, np.log(a) - np.log(b + x_minus_1) - rx * log_atx, -np.inf)
            both = np.logaddexp(a1, a2)
            wgt = np.exp(a2 - both)  # share of the "dropped out after last purchase" branch
            ll = float(np.dot(w_by_x, ll_x) + np.dot(w, both))
            g_r = np.dot(w_by_x, d_r_x) + np.dot(w, -(1 - wgt) * log_at - wgt * log_atx)
            g_alpha = np.dot(w_by_x, np.full_like(ux, r / alpha)) + np.dot(
                w, -rx * ((1 - wgt) / (alpha + age) + wgt / (alpha + t_x))
            )
            g_a = np.dot(w_by_x, d_a_x) + np.dot(w, wgt) / a
            g_b = np.dot(w_by_x, d_b_x) - np.dot(w, wgt / (b + x_minus_1))
            grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
            return -ll, -grad

        start = np.log(np.array([1.0, scale, 1.0, 1.0]))
        res = fit_log_params(objective, start, n=float(w.sum()) or 1.0)
        self.params_ = dict(zip(self.param_names, map(float, res.params), strict=True))
        self.log_likelihood_ = res.log_likelihood
        self.n_customers_ = int(w.sum())
        self.converged_ = res.converged
        return self

    def log_likelihood(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Per-customer log-likelihood, eq. (6)."""
        x, t_x, age = check_rft(frequency, recency, T)
        p = self._params()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        base = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.betaln(a, b + x)
            - special.betaln(a, b)
        )
        a1 = -(r + x) * np.log(alpha + age)
        with np.errstate(divide="ignore", invalid="ignore"):
            a2 = np.where(
                x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf
            )
        out: FloatArray = base + np.logaddexp(a1, a2)
        return out

    def probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive | x, t_x, T), eq. (A10) of the technical appendix."""
        x, t_x, age = check_rft(frequency, recency, T)
        p = self._params()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = (
                np.log(a)
                - np.log(np.maximum(b + x - 1, 1e-300))
                + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
            )
        out: FloatArray = np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)
        return out

    def expected_purchases_new_customer(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)] for a customer just acquired, eq. (7)."""
        p = self._params()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        tt = np.asarray(t, dtype=np.float64)
        hyp = special.hyp2f1(r, b, a + b - 1, tt / (alpha + tt))
        out: FloatArray = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + tt)) ** r * hyp)
        return out

    def expected_purchases(
        self,
        t: float,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected repeat purchases in the next ``t`` periods, eq. (10).

        The Gauss hypergeometric term depends on (x, T) only, so it is evaluated once per
        distinct pair, which keeps scoring a million customers fast.
        """
        x, t_x, age = check_rft(frequency, recency, T)
        p = self._params()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        pairs, inv = np.unique(np.stack([x, age]), axis=1, return_inverse=True)
        ux, uage = pairs[0], pairs[1]
        z = t / (alpha + uage + t)
        hyp = special.hyp2f1(r + ux, b + ux, a + b + ux - 1, z)
        ratio = ((alpha + uage) / (alpha + uage + t)) ** (r + ux)
        numer = (a + b + ux - 1) / (a - 1) * (1 - ratio * hyp)
        out: FloatArray = numer[inv.ravel()] * self.probability_alive(x, t_x, age)
        return out

    def probability_of_purchases(self, t: npt.ArrayLike, n: int) -> FloatArray:
        """P(X(t) = n) for a new customer over ``t`` periods, eq. (8); ``t`` may be an array."""
        p = self._params()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        tt = np.asarray(t, dtype=np.float64)
        log_q = np.log(alpha) - np.log(alpha + tt)  # log(α/(α+t))
        log_z = np.log(tt) - np.log(alpha + tt)  # log(t/(α+t))

        def log_nb(j: int) -> FloatArray:
            val: FloatArray = (
                special.gammaln(r + j)
                - special.gammaln(r)
                - special.gammaln(j + 1)
                + r * log_q
                + j * log_z
            )
            return val

        first = np.exp(special.betaln(a, b + n) - special.betaln(a, b) + log_nb(n))
        if n == 0:
            out0: FloatArray = first
            return out0
        tail = 1 - sum(np.exp(log_nb(j)) for j in range(n))
        second = np.exp(special.betaln(a + 1, b + n - 1) - special.betaln(a, b)) * tail
        out: FloatArray = first + second
        return out

    def summary(self) -> dict[str, float]:
        return dict(self._params())
