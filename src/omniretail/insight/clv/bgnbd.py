"""BG/NBD: beta-geometric / negative binomial distribution model of repeat purchasing.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the Easy Way:
An Alternative to the Pareto/NBD Model. *Marketing Science* 24(2), 275-284.

While active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
purchase she drops out with probability p ~ Beta(a, b). Equation numbers refer to the paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from omniretail.insight.clv.base import (
    FittedModel,
    FloatArray,
    check_rft,
    fit_log_params,
    weights_or_ones,
)


def _codes(values: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Distinct values and each row's index into them (hash-based, no sort)."""
    codes, uniques = pd.factorize(values)
    return np.asarray(uniques, dtype=np.float64), codes.astype(np.intp)


def _pair_codes(
    a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.intp]]:
    """Distinct (a, b) pairs and each row's index into them."""
    ua, ca = _codes(a)
    ub, cb = _codes(b)
    pair, upair = pd.factorize(ca.astype(np.int64) * len(ub) + cb)
    upair = np.asarray(upair, dtype=np.int64)
    return ua[upair // len(ub)], ub[upair % len(ub)], pair.astype(np.intp)


#: above this many customers, ``fit`` first fits a random quarter of this many as a warm start
WARM_START_ROWS = 200_000


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
        ux, inv = _codes(x)
        w_by_x = np.bincount(inv, weights=w, minlength=len(ux))
        scale = float(np.mean(age)) or 1.0  # start alpha near the observation period
        # Customers without repeat purchases only contribute -r·log(α + T): aggregate them by
        # T. Repeat buyers need per-row work, on distinct T and t_x values (few with day or
        # week data) gathered by index, so each evaluation costs a handful of array passes.
        zero = x == 0
        u_age0, i_age0 = _codes(age[zero])
        w_age0 = np.bincount(i_age0, weights=w[zero], minlength=len(u_age0))
        rep = ~zero
        xr, wr = x[rep], w[rep]
        unit = bool(np.all(wr == 1.0))
        u_age, i_age = _codes(age[rep])
        u_tx, i_tx = _codes(t_x[rep])
        uxr, i_xr = _codes(xr)
        # work buffers for the repeat buyers (reused by every evaluation, no allocation)
        la, lt, dl, rx, d, e, tmp, wg, ww, wrx = (np.empty(len(xr)) for _ in range(10))

        def wdot(weights: FloatArray, values: FloatArray) -> float:
            return float(values.sum()) if unit and weights is wr else float(np.dot(weights, values))

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            r, alpha, a, b = np.exp(theta)
            # terms depending on x only, on the distinct frequencies
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
            ll = float(np.dot(w_by_x, ll_x))
            g_r = float(np.dot(w_by_x, d_r_x))
            g_alpha = float(w.sum()) * r / alpha
            g_a = float(np.dot(w_by_x, d_a_x))
            g_b = float(np.dot(w_by_x, d_b_x))
            # x = 0: the single branch -r·log(α + T), eq. (6)
            log_at0 = np.log(alpha + u_age0)
            ll -= r * float(np.dot(w_age0, log_at0))
            g_r -= float(np.dot(w_age0, log_at0))
            g_alpha -= r * float(np.dot(w_age0, 1.0 / (alpha + u_age0)))
            if len(xr) == 0:
                return -ll, -np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
            # x > 0: log of the sum of the two branches of eq. (6), as a1 + softplus(d) with
            # a1 = -(r+x)·log(α+T), d = log a - log(b+x-1) + (r+x)·log((α+T)/(α+t_x))
            np.take(np.log(alpha + u_age), i_age, out=la)
            np.take(np.log(alpha + u_tx), i_tx, out=lt)
            np.subtract(la, lt, out=dl)
            np.take(r + uxr, i_xr, out=rx)
            np.multiply(rx, dl, out=d)
            np.add(d, np.take(np.log(a) - np.log(b + uxr - 1), i_xr, out=tmp), out=d)
            np.abs(d, out=e)
            np.negative(e, out=e)
            np.exp(e, out=e)  # exp(-|d|)
            np.log1p(e, out=tmp)
            softplus = wdot(wr, tmp) + wdot(wr, np.maximum(d, 0.0, out=tmp))
            np.add(e, 1.0, out=tmp)
            np.divide(1.0, tmp, out=wg)
            np.multiply(wg, e, out=wg, where=d < 0)  # σ(d): share of the "dropped out" branch
            np.multiply(wr, rx, out=wrx)
            np.multiply(wr, wg, out=ww)
            ll += softplus - float(np.dot(wrx, la))
            g_r += float(np.dot(ww, dl)) - wdot(wr, la)
            np.take(1.0 / (alpha + u_age), i_age, out=la)  # la, lt now hold 1/(α+T), 1/(α+t_x)
            np.take(1.0 / (alpha + u_tx), i_tx, out=lt)
            np.subtract(la, lt, out=dl)
            np.multiply(wrx, wg, out=tmp)
            g_alpha += float(np.dot(tmp, dl)) - float(np.dot(wrx, la))
            g_a += float(ww.sum()) / a
            g_b -= float(np.dot(ww, np.take(1.0 / (b + uxr - 1), i_xr, out=tmp)))
            grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
            return -ll, -grad

        start = np.log(np.array([1.0, scale, 1.0, 1.0]))
        if len(x) > WARM_START_ROWS:  # start from a subsample's estimate: fewer full passes
            pick = np.random.default_rng(0).choice(len(x), WARM_START_ROWS // 4, replace=False)
            sub = BetaGeoModel().fit(x[pick], t_x[pick], age[pick], weights=w[pick])
            start = np.log(np.array([sub._params()[k] for k in self.param_names]))
        res = fit_log_params(objective, start, n=float(w.sum()) or 1.0)
        self._store_fit(res, int(w.sum()))
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
        """P(alive | x, t_x, T).

        Fader, Hardie & Lee, note "Computing P(alive) using the BG/NBD model".
        """
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
        """E[Y(t) | x, t_x, T]: expected repeat purchases in the next ``t`` periods, eq. (10)."""
        return self.expected_purchases_curve([t], frequency, recency, T)[0]

    def expected_purchases_curve(
        self,
        ts: Sequence[float],
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> list[FloatArray]:
        """E[Y(t) | x, t_x, T] for several horizons ``ts`` (eq. 10), sharing the work.

        The Gauss hypergeometric term depends on (x, T) only, so it is evaluated once per
        distinct pair, and P(alive) once for all horizons; scoring a million customers for a
        12-step CLV costs little more than one horizon.
        """
        x, t_x, age = check_rft(frequency, recency, T)
        p = self._params()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        ux, uage, inv = _pair_codes(x, age)
        alive = self.probability_alive(x, t_x, age)
        out: list[FloatArray] = []
        for t in ts:
            z = t / (alpha + uage + t)
            hyp = special.hyp2f1(r + ux, b + ux, a + b + ux - 1, z)
            ratio = np.exp((r + ux) * (np.log(alpha + uage) - np.log(alpha + uage + t)))
            numer = (a + b + ux - 1) / (a - 1) * (1 - ratio * hyp)
            out.append(numer[inv] * alive)
        return out

    def probability_of_purchases(self, t: npt.ArrayLike, n: int) -> FloatArray:
        """P(X(t) = n) for a new customer over ``t`` periods, eq. (8); ``t`` may be an array."""
        p = self._params()
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        tt = np.asarray(t, dtype=np.float64)
        log_q = np.log(alpha) - np.log(alpha + tt)  # log(α/(α+t))
        with np.errstate(divide="ignore"):  # t = 0: no time to buy, log(t/(α+t)) = -inf
            log_z = np.log(tt) - np.log(alpha + tt)  # log(t/(α+t))

        def log_nb(j: int) -> FloatArray:
            val: FloatArray = (
                special.gammaln(r + j)
                - special.gammaln(r)
                - special.gammaln(j + 1)
                + r * log_q
                + (j * log_z if j else 0.0)
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
