"""Ranking metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from omniretail.insight.recommend.metrics import (
    catalog_coverage,
    per_user_metrics,
    ranking_metrics,
)


def test_one_customer_by_hand() -> None:
    # hits at ranks 1 and 3 out of 5 relevant products, k = 4
    m = per_user_metrics(["a", "x", "b", "y"], {"a", "b", "c", "d", "e"}, 4)
    assert m["precision"] == pytest.approx(2 / 4)
    assert m["recall"] == pytest.approx(2 / 5)
    dcg = 1 / math.log(2) + 1 / math.log(4)
    idcg = sum(1 / math.log(1 + r) for r in range(1, 5))  # min(5, 4) ideal hits
    assert m["ndcg"] == pytest.approx(dcg / idcg)
    assert m["map"] == pytest.approx((1 / 1 + 2 / 3) / 5)
    assert m["map_at_k"] == pytest.approx((1 / 1 + 2 / 3) / 4)


def test_perfect_and_empty_lists() -> None:
    assert per_user_metrics(["a", "b"], {"a", "b"}, 2)["ndcg"] == pytest.approx(1.0)
    m = per_user_metrics([], {"a"}, 10)
    assert m == {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "map": 0.0, "map_at_k": 0.0}


def test_ndcg_ideal_is_capped_at_k() -> None:
    # 1 relevant item found at rank 2: dcg = 1/ln 3, idcg = 1/ln 2
    m = per_user_metrics(["x", "a"], {"a"}, 2)
    assert m["ndcg"] == pytest.approx(math.log(2) / math.log(3))


def test_mean_over_customers_in_both_sets() -> None:
    recs = {"u1": ["a", "b"], "u2": ["c", "d"], "u3": ["a"]}
    truth = {"u1": ["a"], "u2": ["x"], "u4": ["a"]}  # u3 has no test set, u4 no list
    m = ranking_metrics(recs, truth, 2)
    assert m["precision"] == pytest.approx((0.5 + 0.0) / 2)
    assert m["recall"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["map"] == pytest.approx((1.0 + 0.0) / 2)


def test_coverage() -> None:
    assert catalog_coverage({"u": ["a", "b"], "v": ["b", "c"]}, 6) == pytest.approx(0.5)
    assert catalog_coverage({}, 0) == 0.0


def test_a_customer_without_relevant_items_is_an_error() -> None:
    with pytest.raises(ValueError, match="relevant"):
        per_user_metrics(["a"], set(), 1)
