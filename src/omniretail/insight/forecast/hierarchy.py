"""Coherent forecasts: store → city → region → chain for each SKU, then SKU → category.

For every SKU the geographic tree of the stores that sold it gets a base forecast at every
node (the aggregate series are less intermittent than a store's), and hierarchicalforecast's
MinTrace with structural scaling (``wls_struct``: no in-sample residuals needed) makes them
add up. Negative reconciled store forecasts are set to 0 and the tree is summed again from the
stores, so every level is exactly the sum of the one below. Categories are sums of their SKUs'
coherent store forecasts, so SKU → category is coherent by construction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

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
    """S for the stores ``store_idx``: rows chain, regions, cities, stores; columns stores."""
    regions = sorted({geo.region[i] for i in store_idx})
    cities = sorted({geo.city[i] for i in store_idx})
    n = len(store_idx)
    s = np.zeros((1 + len(regions) + len(cities) + n, n))
    s[0] = 1.0
    r_pos = {r: 1 + k for k, r in enumerate(regions)}
    c_pos = {c: 1 + len(regions) + k for k, c in enumerate(cities)}
    for j, i in enumerate(store_idx):
        s[r_pos[geo.region[i]], j] = 1.0
        s[c_pos[geo.city[i]], j] = 1.0
        s[1 + len(regions) + len(cities) + j, j] = 1.0
    return s, regions, cities


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
    from hierarchicalforecast.methods import MinTrace

    n = s.shape[1]
    if n == 1:
        out: Array = s @ base[-1:]
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = MinTrace(method="wls_struct").fit_predict(S=s, y_hat=base)["mean"]
    out = s @ np.maximum(rec[-n:], 0.0)
    return out
