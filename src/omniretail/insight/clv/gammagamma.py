"""Gamma-Gamma model of spend per transaction.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis. *Journal of Marketing Research* 42(4), 415-430 (after Colombo & Jiang
1999). Spend per transaction z ~ Gamma(p, ν), ν ~ Gamma(q, γ) across customers; it is fitted
on repeat buyers (x ≥ 1) with their mean repeat spend z̄, independent of the purchase process.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt
from scipy import special

from omniretail.insight.clv.base import FittedModel, FloatArray, as_array, fit_log_params
from omniretail.insight.history.errors import SummaryInvalid


def _check(frequency: npt.ArrayLike, monetary: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = as_array("frequency", frequency)
    m = as_array("monetary", monetary)
    if x.shape != m.shape:
        raise SummaryInvalid("frequency and monetary must have the same length")
    return x, m


class GammaGammaModel(FittedModel):
    """Gamma-Gamma with parameters ``p, q, gamma``; ``fit`` returns self."""

    param_names = ("p", "q", "gamma")

    def fit(self, frequency: npt.ArrayLike, monetary: npt.ArrayLike) -> Self:
        """Maximize the marginal likelihood of z̄ given x (FHL 2005, "RFM and CLV", appendix).

        Only customers with x ≥ 1 and z̄ > 0 enter (others carry no spend information).
        """
        x_all, m_all = _check(frequency, monetary)
        keep = (x_all >= 1) & (m_all > 0)
        if keep.sum() < 3:
            raise SummaryInvalid(
                "Gamma-Gamma needs at least 3 repeat buyers with positive spend", field="monetary"
            )
        x, m = x_all[keep], m_all[keep]
        ux, inv = np.unique(x, return_inverse=True)
        cnt = np.bincount(inv, minlength=len(ux)).astype(np.float64)
        log_m = np.log(m)
        total = x * m
        sum_x_log_m = np.bincount(inv, weights=log_m, minlength=len(ux))

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            p, q, g = np.exp(theta)
            px = p * ux
            # x-only terms on unique frequencies
            ll_x = (
                special.gammaln(px + q)
                - special.gammaln(px)
                - special.gammaln(q)
                + q * np.log(g)
                + px * np.log(ux)
            )
            log_tg = np.log(total + g)
            pxq = p * x + q
            ll = (
                float(np.dot(cnt, ll_x))
                + float(np.dot(p * ux - 1, sum_x_log_m))
                - float(np.dot(pxq, log_tg))
            )
            psi_pxq = special.digamma(px + q)
            g_p = (
                np.dot(cnt, ux * (psi_pxq - special.digamma(px) + np.log(ux)))
                + np.dot(ux, sum_x_log_m)
                - np.dot(x, log_tg)
            )
            g_q = np.dot(cnt, psi_pxq - special.digamma(q) + np.log(g)) - log_tg.sum()
            g_g = q * len(x) / g - np.sum(pxq / (total + g))
            grad = np.array([g_p * p, g_q * q, g_g * g])
            return -ll, -grad

        start = np.log(np.array([1.0, 1.0, float(np.mean(m))]))
        res = fit_log_params(objective, start, n=float(len(x)))
        self._store_fit(res, len(x))
        return self

    def expected_average_value(
        self, frequency: npt.ArrayLike, monetary: npt.ArrayLike
    ) -> FloatArray:
        """E[M | x, z̄] = (q − 1)/(px + q − 1) · pγ/(q − 1) + px/(px + q − 1) · z̄.

        A weighted mean of the population mean pγ/(q − 1) and the customer's own mean; a
        customer with no repeat purchase gets the population mean.
        """
        x, m = _check(frequency, monetary)
        prm = self._params()
        p, q, g = prm["p"], prm["q"], prm["gamma"]
        if q <= 1:
            raise SummaryInvalid("the mean spend is undefined when q <= 1", field="q")
        m = np.where(x > 0, m, 0.0)
        out: FloatArray = (p * (g + x * m)) / (p * x + q - 1)
        return out

    def population_mean_value(self) -> float:
        prm = self._params()
        return prm["p"] * prm["gamma"] / (prm["q"] - 1)

    def summary(self) -> dict[str, float]:
        return dict(self._params())
