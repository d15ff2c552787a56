"""Split protocols and the evaluation runner."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omniretail.insight.recommend.errors import InvalidInteractions
from omniretail.insight.recommend.evaluate import evaluate
from omniretail.insight.recommend.split import stratified_split, time_split
from tests.insight.recommend.world import ShopWorld


def test_stratified_split_keeps_three_quarters_of_each_customer(shop: ShopWorld) -> None:
    train, test = stratified_split(shop.purchases, user_col="customer_id", test_ratio=0.25)
    assert len(train) + len(test) == len(shop.purchases)
    sizes = shop.purchases.groupby("customer_id").size()
    train_sizes = train.groupby("customer_id").size().reindex(sizes.index, fill_value=0)
    assert (train_sizes == np.round(sizes * 0.75)).all()
    again, _ = stratified_split(shop.purchases, user_col="customer_id", test_ratio=0.25)
    pd.testing.assert_frame_equal(train, again)
    other, _ = stratified_split(shop.purchases, user_col="customer_id", seed=1)
    assert not train.index.equals(other.index)


def test_time_split_is_a_global_cutoff(shop: ShopWorld) -> None:
    train, test = time_split(shop.purchases, time_col="ordered_at", test_ratio=0.25)
    assert train["ordered_at"].max() < test["ordered_at"].min()
    assert len(test) / len(shop.purchases) == pytest.approx(0.25, abs=0.02)


def test_bad_ratio_and_missing_columns_are_named(shop: ShopWorld) -> None:
    with pytest.raises(InvalidInteractions, match="test-ratio"):
        stratified_split(shop.purchases, user_col="customer_id", test_ratio=1.5)
    with pytest.raises(InvalidInteractions) as err:
        evaluate(shop.purchases, user_col="member", item_col="sku")
    assert err.value.field == "member"
    with pytest.raises(InvalidInteractions, match="time-col"):
        evaluate(shop.purchases, user_col="customer_id", item_col="sku", split="time")


def test_evaluate_reports_every_algorithm(shop: ShopWorld) -> None:
    report = evaluate(
        shop.purchases,
        user_col="customer_id",
        item_col="sku",
        time_col="ordered_at",
        algorithms=["popularity", "itemknn", "content"],
        items=shop.products,
    )
    assert set(report["results"]) == {"popularity", "itemknn", "content"}
    for values in report["results"].values():
        assert set(values) >= {"map", "ndcg@10", "precision@10", "recall@10", "coverage"}
        assert values["train_seconds"] >= 0
    res = report["results"]
    assert res["itemknn"]["ndcg@10"] > res["popularity"]["ndcg@10"]
    assert res["content"]["ndcg@10"] > res["popularity"]["ndcg@10"]


RECBOLE = importlib.util.find_spec("recbole")


@pytest.mark.skipif(
    RECBOLE is None,
    reason="MovieLens-100k ships in the 'recbole' wheel: pip install --no-deps recbole==1.2.1",
)
def test_movielens_100k_sar_matches_the_published_benchmark() -> None:
    """Microsoft Recommenders' table: SAR nDCG@10 = 0.382 on MovieLens-100k (75/25 split)."""
    assert RECBOLE is not None
    assert RECBOLE.submodule_search_locations
    root = Path(next(iter(RECBOLE.submodule_search_locations)))
    ratings = pd.read_csv(root / "dataset_example/ml-100k/ml-100k.inter", sep="\t")
    ratings.columns = [c.split(":")[0] for c in ratings.columns]
    assert len(ratings) == 100_000
    report = evaluate(
        ratings,
        user_col="user_id",
        item_col="item_id",
        time_col="timestamp",
        rating_col="rating",
        algorithms=["sar", "popularity"],
    )
    sar = report["results"]["sar"]
    assert sar["ndcg@10"] == pytest.approx(0.382, abs=0.01)
    assert sar["precision@10"] == pytest.approx(0.330, abs=0.01)
    assert report["results"]["popularity"]["ndcg@10"] < 0.3


def test_the_hybrid_reuses_the_members_fitted_alone_with_the_same_result(shop: ShopWorld) -> None:
    """The evaluation fits itemknn, als and content alone, then the hybrid blends those fitted
    models instead of fitting them again: its scores are those of a hybrid fitted from scratch."""
    kw = {"user_col": "customer_id", "item_col": "sku", "time_col": "ordered_at"}
    with_members = evaluate(
        shop.purchases, split="time", items=shop.products,
        algorithms=["itemknn", "als", "content", "hybrid"], **kw,
    )  # fmt: skip
    alone = evaluate(shop.purchases, split="time", items=shop.products, algorithms=["hybrid"], **kw)
    timing = ("train_seconds", "inference_seconds")
    got = {k: v for k, v in with_members["results"]["hybrid"].items() if k not in timing}
    assert got == {k: v for k, v in alone["results"]["hybrid"].items() if k not in timing}
    assert got["ndcg@10"] > 0


def test_the_hybrid_takes_only_members_fitted_on_the_same_data(shop: ShopWorld) -> None:
    from omniretail.insight.recommend.base import create
    from omniretail.insight.recommend.hybrid import HybridRecommender
    from omniretail.insight.recommend.interactions import Interactions

    kw = {"user_col": "customer_id", "item_col": "sku", "time_col": "ordered_at"}
    data = Interactions.from_frame(shop.purchases, **kw)
    other = Interactions.from_frame(shop.purchases.iloc[: len(shop.purchases) // 2], **kw)
    knn = create("itemknn").fit(data, shop.products)
    als = create("als").fit(other, shop.products)  # other data: fitted again
    hybrid = create("hybrid")
    assert isinstance(hybrid, HybridRecommender)
    hybrid.reuse_members({"itemknn": knn, "als": als})
    hybrid.fit(data, shop.products)
    assert hybrid._members["itemknn"] is knn
    assert hybrid._members["als"] is not als
    assert hybrid._members["als"].interactions is data
