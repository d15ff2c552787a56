"""Coherent forecasts: store → city → region → chain for each SKU, then SKU → category.

For every SKU the geographic tree of the stores that sold it gets a base forecast at every
node (the aggregate series are less intermittent than a store's), and MinTrace with structural
scaling (``wls_struct``: no in-sample residuals needed; hierarchicalforecast's estimator,
computed here the same way, see :func:`min_trace_wls_struct`) makes them add up. Negative
reconciled store forecasts are set to 0 and the tree is summed again from the stores, so every
level is exactly the sum of the one below. Categories are sums of their SKUs' coherent store
forecasts, so SKU → category is coherent by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from omniretail.insight.forecast.methods import Array, Method

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Geography:
    """Store → city → region codes, aligned with the stores' index."""

    stores: list[str]
    city: list[str]
    region: list[str]

    @cached_property
    def ranks(self) -> tuple[list[str], IntArray, list[str], IntArray]:
        """The distinct regions sorted, each store's region among them; the same for cities."""
        regions = sorted(set(self.region))
        cities = sorted(set(self.city))
        r_pos = {r: k for k, r in enumerate(regions)}
        c_pos = {c: k for k, c in enumerate(cities)}
        region_of = np.array([r_pos[r] for r in self.region], dtype=np.int64)
        city_of = np.array([c_pos[c] for c in self.city], dtype=np.int64)
        return regions, region_of, cities, city_of


@dataclass
class TreeForecast:
    """Per SKU: rows of ``mean`` are [chain, regions..., cities..., stores...]."""

    sku: str
    regions: list[str]
    cities: list[str]
    store_idx: IntArray
    mean: Array  # (1 + R + C + n_stores) × horizon
    history: Array  # same rows × periods (for dispersion)


def summing_matrix(geo: Geography, store_idx: IntArray) -> tuple[Array, list[str], list[str]]:
    """S for the stores ``store_idx``: rows chain, regions, cities, stores; columns stores
    (regions and cities sorted by code)."""
    region_names, region_of, city_names, city_of = geo.ranks
    r, c = region_of[store_idx], city_of[store_idx]
    rs, cs = np.unique(r), np.unique(c)
    n, nr, nc = len(store_idx), len(rs), len(cs)
    s = np.zeros((1 + nr + nc + n, n))
    s[0] = 1.0
    cols = np.arange(n)
    s[1 + np.searchsorted(rs, r), cols] = 1.0
    s[1 + nr + np.searchsorted(cs, c), cols] = 1.0
    s[1 + nr + nc + cols, cols] = 1.0
    return s, [region_names[i] for i in rs], [city_names[i] for i in cs]


def reconcile_sku(
    sku: str, geo: Geography, store_idx: IntArray, bottom_history: Array, method: Method, h: int
) -> TreeForecast:
    """Base forecasts at every node of the SKU's tree, reconciled with MinTrace(wls_struct)."""
    s, regions, cities = summing_matrix(geo, store_idx)
    history = s @ bottom_history
    return TreeForecast(sku, regions, cities, store_idx, reconcile(s, method(history, h)), history)


def reconcile(s: Array, base: Array) -> Array:
    """MinTrace(wls_struct) of the base forecasts ``base`` (rows as the rows of ``s``), negative
    store forecasts set to 0 and the tree summed again from the stores."""
    n = s.shape[1]
    if n == 1:
        out: Array = s @ base[-1:]
        return out
    rec = min_trace_wls_struct(s, base)
    out = s @ np.maximum(rec[-n:], 0.0)
    return out


def min_trace_wls_struct(s: Array, base: Array) -> Array:
    """MinTrace reconciliation (Wickramasuriya, Athanasopoulos & Hyndman 2019) with structural
    scaling, W = diag(S·1) (a node weighs the number of stores under it): ``S P base``,
    P = J − ((Uᵀ W U)⁻¹ Uᵀ W Jᵀ)ᵀ Uᵀ with Uᵀ = [I | −S_aggregates] and J = [0 | I].

    Computed as hierarchicalforecast 1.5.3's ``MinTrace(method="wls_struct").fit_predict``
    computes it, product for product, so the numbers are its numbers
    (``tests/insight/forecast/test_hierarchy.py`` checks bit for bit), without importing it:
    its import (matplotlib, pandas plotting) cost about 3.6 CPU s of the step.
    """
    n_hiers, n_bottom = s.shape
    n_aggs = n_hiers - n_bottom
    j = np.concatenate((np.zeros((n_bottom, n_aggs), dtype=np.float64), s[n_aggs:]), axis=1)
    ut = np.concatenate((np.eye(n_aggs, dtype=np.float64), -s[:n_aggs]), axis=1)
    w = np.sum(s, axis=1, dtype=np.float64)
    utw = ut * w
    coef = utw[:, n_aggs:] @ ut.T[n_aggs:] + utw[:, :n_aggs]
    coef[np.abs(coef) < 1e-10] = 0.0
    dep = utw[:, n_aggs:] @ j.T[n_aggs:]
    dep[np.abs(dep) < 1e-10] = 0.0
    p = j - np.linalg.solve(coef, dep).T @ ut
    out: Array = s @ (p @ base)
    return out
