"""The SKU trees' summing matrix and the MinTrace reconciliation against their references."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hierarchicalforecast.methods import MinTrace
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from omniretail.insight.forecast.hierarchy import (
    Geography,
    min_trace_wls_struct,
    reconcile,
    summing_matrix,
)


def _geography(rng: np.random.Generator, stores: int) -> Geography:
    region = [f"r{rng.integers(0, 4)}" for _ in range(stores)]
    city = [f"{r}-c{rng.integers(0, 5)}" for r in region]  # a city lies in one region
    return Geography(stores=[f"s{i:03d}" for i in range(stores)], city=city, region=region)


def _summing_matrix_by_hand(
    geo: Geography, store_idx: np.ndarray
) -> tuple[np.ndarray, list[str], list[str]]:
    """The matrix as first written: store by store."""
    regions = sorted({geo.region[i] for i in store_idx})
    cities = sorted({geo.city[i] for i in store_idx})
    n = len(store_idx)
    s = np.zeros((1 + len(regions) + len(cities) + n, n))
    s[0] = 1.0
    for j, i in enumerate(store_idx):
        s[1 + regions.index(geo.region[i]), j] = 1.0
        s[1 + len(regions) + cities.index(geo.city[i]), j] = 1.0
        s[1 + len(regions) + len(cities) + j, j] = 1.0
    return s, regions, cities


def _trees(seed: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    geo = _geography(rng, 120)
    out = []
    for _ in range(count):
        idx = np.sort(rng.choice(120, size=int(rng.integers(1, 120)), replace=False))
        s, _, _ = summing_matrix(geo, idx)
        base = np.repeat(rng.gamma(0.5, 2.0, (len(s), 1)), 8, axis=1)
        base[rng.random(len(s)) < 0.2] = 0.0
        out.append((s, base))
    return out


def test_summing_matrix_equals_the_store_by_store_one() -> None:
    rng = np.random.default_rng(1)
    geo = _geography(rng, 60)
    for _ in range(200):
        idx = np.sort(rng.choice(60, size=int(rng.integers(1, 60)), replace=False))
        s, regions, cities = summing_matrix(geo, idx)
        s_ref, regions_ref, cities_ref = _summing_matrix_by_hand(geo, idx)
        assert regions == regions_ref
        assert cities == cities_ref
        assert np.array_equal(s, s_ref)


def _hierarchicalforecast(s: np.ndarray, base: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out: np.ndarray = MinTrace(method="wls_struct").fit_predict(S=s, y_hat=base)["mean"]
    return out


def test_min_trace_is_hierarchicalforecasts_bit_for_bit() -> None:
    with threadpool_limits(limits=1, user_api="blas"):
        for s, base in _trees(2, 60):
            if s.shape[1] > 1:
                assert np.array_equal(min_trace_wls_struct(s, base), _hierarchicalforecast(s, base))
    for s, base in _trees(3, 20):  # default threads: the same to rounding
        if s.shape[1] > 1:
            np.testing.assert_allclose(
                min_trace_wls_struct(s, base),
                _hierarchicalforecast(s, base),
                rtol=1e-12,
                atol=1e-12,
            )


def test_reconciled_trees_add_up_and_are_not_negative() -> None:
    for s, base in _trees(4, 30):
        base[-1] = -5.0  # a negative store forecast is set to 0
        out = reconcile(s, base)
        n = s.shape[1]
        assert (out >= 0).all()
        np.testing.assert_allclose(out, s @ out[-n:], rtol=1e-12)
        assert out[0] == pytest.approx(out[-n:].sum(axis=0))
