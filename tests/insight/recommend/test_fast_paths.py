"""The recommendations step's fast paths give exactly what the plain versions give: the ranking
metrics computed on arrays of item positions, the evaluation ranking every algorithm in one
pass over the test customers (the hybrid reusing its members' scores), the running top
customers per product kept one row per product, EASE's weights in row-major order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from omniretail.insight.recommend import evaluate as evaluate_module
from omniretail.insight.recommend.base import Recommender, create
from omniretail.insight.recommend.evaluate import evaluate
from omniretail.insight.recommend.interactions import Interactions
from omniretail.insight.recommend.metrics import (
    catalog_coverage,
    catalog_coverage_of_positions,
    ranking_metrics,
    ranking_metrics_of_positions,
)
from omniretail.insight.recommend.training import TopUsersPerItem
from tests.insight.recommend.world import ShopWorld

TIMING = ("train_seconds", "inference_seconds")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_metrics_of_positions_are_those_of_the_lists(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_items, k = 40, 10
    item_ids = np.array([f"p{j:02d}" for j in range(n_items)] + ["新品"], dtype=object)
    users = [f"u{i}" for i in range(300)]
    positions = np.full((len(users), k + 2), -1, dtype=np.int64)  # wider than k: cut at k
    for r in range(len(users)):
        length = int(rng.integers(0, k + 3))  # some lists short or empty
        positions[r, :length] = rng.choice(len(item_ids), size=length, replace=False)
    positions[5, 3] = -1  # a gap inside a list: the later products move up a rank
    positions[5, 4:8] = [1, 2, 3, 4]
    relevant: dict[str, set[str]] = {}
    for u in rng.permutation(users)[:250]:  # not every customer, in no particular order
        size = int(rng.integers(1, 15))
        relevant[str(u)] = {f"p{j:02d}" for j in rng.integers(0, n_items + 5, size=size)}
        if rng.random() < 0.1:
            relevant[str(u)].add("not-a-product")
    relevant["stranger"] = {"p01"}  # not ranked: left out, as in ranking_metrics
    lists = {u: [str(item_ids[j]) for j in row if j >= 0] for u, row in zip(users, positions)}
    expected = ranking_metrics(lists, relevant, k)
    got = ranking_metrics_of_positions(positions, item_ids, users, relevant, k)
    assert got == expected  # bit for bit, not approximately
    assert catalog_coverage_of_positions(positions, len(item_ids)) == catalog_coverage(
        lists, len(item_ids)
    )


def test_metrics_of_positions_without_customers_in_common() -> None:
    got = ranking_metrics_of_positions(np.zeros((1, 3), np.int64), np.array(["a"]), ["u"], {}, 3)
    assert got == ranking_metrics({"u": ["a"]}, {}, 3)


def test_the_one_pass_evaluation_is_each_algorithm_ranked_alone(
    shop: ShopWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lists (and so the report) equal those of ranking every model on its own, the hybrid
    blending freshly computed member scores."""
    kw: dict[str, Any] = {
        "user_col": "customer_id",
        "item_col": "sku",
        "time_col": "ordered_at",
        "split": "time",
        "items": shop.products,
    }
    algorithms = ["popularity", "itemknn", "als", "ease", "content", "hybrid"]
    lists: dict[str, np.ndarray] = {}
    real_rank = evaluate_module._rank_together

    def spy(models: dict[str, Recommender], codes: np.ndarray, k: int, seen: bool) -> Any:
        positions, seconds = real_rank(models, codes, k, seen)
        for name, model in models.items():
            assert "_scores" not in model.__dict__  # the models are left as they were
            alone, _ = model.rank_codes(codes, k, exclude_seen=seen)
            np.testing.assert_array_equal(positions[name], alone)
            lists[name] = positions[name]
        return positions, seconds

    monkeypatch.setattr(evaluate_module, "_rank_together", spy)
    report = evaluate(shop.purchases, algorithms=algorithms, max_test_users=60, **kw)
    assert set(lists) == set(algorithms)
    assert report["results"]["hybrid"]["ndcg@10"] > 0


def test_scores_kept_per_block_are_read_only_and_per_block(shop_interactions: Interactions) -> None:
    model = create("itemknn").fit(shop_interactions)
    calls: list[int] = []
    real = model._scores

    def counted(codes: np.ndarray) -> np.ndarray:
        calls.append(len(codes))
        return real(codes)

    model.__dict__["_scores"] = counted
    with evaluate_module._scores_kept_per_block([model]):
        first = model._scores(np.arange(5))
        again = model._scores(np.arange(5))
        other = model._scores(np.arange(1, 6))
    assert calls == [5, 5]  # the same block once, another block scored
    assert again is first
    assert not first.flags.writeable
    np.testing.assert_array_equal(other, real(np.arange(1, 6)))
    assert model.__dict__["_scores"] is counted  # restored


class _ColumnTop:
    """The running top customers per product as first written: customers × products, merged
    down the columns (the reference for the row-per-product version)."""

    def __init__(self, model: Recommender, n: int) -> None:
        self.model, self.n = model, n
        self.best_val = np.full((n, model.n_items), -np.inf, dtype=np.float32)
        self.best_idx = np.full((n, model.n_items), -1, dtype=np.int64)

    def add(self, codes: np.ndarray, block: np.ndarray) -> None:
        n = self.n
        vals = np.vstack([self.best_val, block])
        seen = self.model._seen[codes].tocoo()
        vals[n + seen.row, seen.col] = -np.inf
        idx = np.vstack([self.best_idx, np.broadcast_to(codes[:, None], block.shape)])
        keep = np.argpartition(-vals, n - 1, axis=0)[:n]
        self.best_val = np.take_along_axis(vals, keep, axis=0)
        self.best_idx = np.take_along_axis(idx, keep, axis=0)


@pytest.mark.parametrize("levels", [3, 50, None])
def test_top_customers_per_product_keep_the_same_customers(
    shop_interactions: Interactions, levels: int | None
) -> None:
    """Scores with many equal values (few levels): the partition keeps the same customers."""
    model = create("popularity").fit(shop_interactions)
    rng = np.random.default_rng(7)
    n_users = shop_interactions.n_users
    scores = rng.random((n_users, model.n_items), dtype=np.float32)
    if levels is not None:
        scores = np.floor(scores * levels).astype(np.float32)
    fast, ref = TopUsersPerItem(model, 9), _ColumnTop(model, 9)
    for start in range(0, n_users, 37):
        codes = np.arange(start, min(start + 37, n_users))
        fast.add(codes, scores[codes])
        ref.add(codes, scores[codes])
    np.testing.assert_array_equal(fast.best_val.T, ref.best_val)
    np.testing.assert_array_equal(fast.best_idx.T, ref.best_idx)
    frame = fast.frame()
    assert len(frame) > 0
    assert_frame_equal(frame, frame.sort_values(["sku", "rank"], ignore_index=True))


def test_ease_weights_are_row_major_with_the_same_scores(shop_interactions: Interactions) -> None:
    model = create("ease").fit(shop_interactions)
    assert model._b.flags.c_contiguous
    codes = np.arange(min(50, shop_interactions.n_users))
    column_major = np.asfortranarray(model._b)
    expected = np.asarray(model._x[codes] @ column_major, dtype=np.float32)
    np.testing.assert_array_equal(model._scores(codes), expected)
    assert isinstance(model.recommend(["*"], 3), pd.DataFrame)


def test_als_factors_do_not_depend_on_the_threads(shop_interactions: Interactions) -> None:
    one = create("als", num_threads=1).fit(shop_interactions)
    three = create("als", num_threads=3).fit(shop_interactions)
    np.testing.assert_array_equal(one._users, three._users)
    np.testing.assert_array_equal(one._items, three._items)
