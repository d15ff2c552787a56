"""The one contract every recommender passes (as the ``implicit`` library does for its models).

A test class per algorithm mixes in :class:`RecommenderContract`; adding an algorithm means
adding one class here.
"""

from __future__ import annotations

import importlib.util
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from omniretail.insight.recommend import Interactions, Recommender, available, create
from omniretail.insight.recommend.errors import (
    ColdStartUnsupported,
    NotFitted,
    UnknownAlgorithm,
    UnknownItem,
)
from tests.insight.recommend.world import ShopWorld


def taste_share(model: Recommender, shop: ShopWorld, k: int = 10) -> float:
    """Share of recommended products in each customer's favourite category."""
    users = sorted(shop.taste)
    recs = model.recommend(users, k)
    cat = dict(zip(shop.products.sku, shop.products.category_code, strict=True))
    hits = [cat[i] == shop.taste[u] for u, i in zip(recs.user_id, recs.item_id, strict=True)]
    return float(np.mean(hits))


_FITTED: dict[tuple[str, str], Recommender] = {}


class RecommenderContract:
    algorithm: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}
    personal: ClassVar[bool] = True  # learns individual taste (everything but popularity)
    cold_start: ClassVar[bool] = False  # scores a new product from its attributes

    @pytest.fixture
    def model(self, shop: ShopWorld, shop_interactions: Interactions) -> Recommender:
        key = (self.algorithm, repr(sorted(self.params.items())))
        if key not in _FITTED:
            _FITTED[key] = create(self.algorithm, **self.params).fit(
                shop_interactions, shop.products
            )
        return _FITTED[key]

    def test_fit_returns_self(self, shop: ShopWorld, shop_interactions: Interactions) -> None:
        model = create(self.algorithm, **self.params)
        assert model.fit(shop_interactions, shop.products) is model
        assert model.name == self.algorithm

    def test_predicting_before_fit_is_refused(self) -> None:
        with pytest.raises(NotFitted):
            create(self.algorithm, **self.params).recommend(["C000000001"], 5)

    def test_recommend_k_ranked_unseen_products(
        self, model: Recommender, shop_interactions: Interactions
    ) -> None:
        users = list(shop_interactions.users[:25])
        recs = model.recommend(users, 10)
        assert list(recs.columns) == ["user_id", "item_id", "score", "rank"]
        assert recs.groupby("user_id").size().eq(10).all()
        for user, group in recs.groupby("user_id"):
            assert group["rank"].tolist() == list(range(1, 11))
            assert (np.diff(group["score"].to_numpy()) <= 1e-6).all()
            assert group["item_id"].is_unique
            bought = set(
                shop_interactions.items[
                    shop_interactions.item_codes[
                        shop_interactions.user_codes == shop_interactions.user_index[user]
                    ]
                ]
            )
            assert not bought & set(group["item_id"])

    def test_recommend_can_include_seen(
        self, model: Recommender, shop_interactions: Interactions
    ) -> None:
        user = str(shop_interactions.users[0])
        recs = model.recommend([user], model.n_items, exclude_seen=False)
        assert len(recs) == model.n_items

    def test_unknown_customer_gets_popular_products(
        self, model: Recommender, shop_interactions: Interactions
    ) -> None:
        recs = model.recommend(["no-such-customer"], 5)
        buyers = np.asarray(shop_interactions.seen.sum(axis=0)).ravel()
        shown = [buyers[shop_interactions.item_index[i]] for i in recs.item_id]
        assert shown == sorted(buyers, reverse=True)[:5]

    def test_candidate_filter_is_respected(
        self, model: Recommender, shop: ShopWorld, shop_interactions: Interactions
    ) -> None:
        nuts = set(shop.products.loc[shop.products.category_code == "nuts", "sku"])

        class OnlyNuts:
            def allowed(self, user_ids: list[str], item_ids: np.ndarray) -> np.ndarray:
                row = np.array([str(i) in nuts for i in item_ids])
                return np.broadcast_to(row, (len(user_ids), len(item_ids))).copy()

        users = list(shop_interactions.users[:10])
        recs = model.recommend(users, 5, candidates=OnlyNuts())
        assert not recs.empty
        assert set(recs.item_id) <= nuts

    def test_similar_items(self, model: Recommender, shop_interactions: Interactions) -> None:
        item = str(shop_interactions.items[0])
        sims = model.similar_items(item, 5)
        assert len(sims) == 5
        assert item not in set(sims.item_id)
        assert (np.diff(sims["score"].to_numpy()) <= 1e-6).all()
        with pytest.raises(UnknownItem):
            model.similar_items("no-such-sku", 5)

    def test_score_users_for_item(
        self, model: Recommender, shop_interactions: Interactions
    ) -> None:
        item = str(shop_interactions.items[3])
        top = model.score_users_for_item(item, n=20)
        assert len(top) == 20
        assert (np.diff(top["score"].to_numpy()) <= 1e-6).all()
        owners = set(
            shop_interactions.users[
                shop_interactions.user_codes[
                    shop_interactions.item_codes == shop_interactions.item_index[item]
                ]
            ]
        )
        assert not owners & set(top.user_id)
        with pytest.raises(UnknownItem):
            model.score_users_for_item("no-such-sku", n=5)

    def test_score_users_among_some_customers(
        self, model: Recommender, shop_interactions: Interactions
    ) -> None:
        item = str(shop_interactions.items[3])
        every = model.score_users_for_item(item, n=shop_interactions.n_users)
        among = {str(u) for u in shop_interactions.users[::3]} | {"not-a-customer"}
        top = model.score_users_for_item(item, n=15, among=among)
        assert len(top) == 15
        assert set(top.user_id) <= among
        # the same customers, in the same order, as the full ranking limited to them
        expected = every[every.user_id.isin(among)].head(15)
        assert np.allclose(top["score"].to_numpy(), expected["score"].to_numpy(), atol=1e-6)
        assert model.score_users_for_item(item, n=5, among=[]).empty

    def test_new_product_by_attributes(self, model: Recommender, shop: ShopWorld) -> None:
        new = {"name": "良品铺子 海盐 腰果 150g", "category_code": "nuts", "price": 39.9}
        if not self.cold_start:
            with pytest.raises(ColdStartUnsupported):
                model.score_users_for_item(attributes=new, n=10)
            return
        top = model.score_users_for_item(attributes=new, n=30)
        assert len(top) == 30
        fans = [shop.taste[u] == "nuts" for u in top.user_id]
        assert np.mean(fans) >= 0.8  # nut lovers, though nobody has bought this SKU yet

    def test_learns_taste(self, model: Recommender, shop: ShopWorld) -> None:
        share = taste_share(model, shop)
        # at most ~0.8 is reachable: customers already own half their category's products
        if self.personal:
            assert share > 0.4
        else:
            assert share < 0.2

    def test_deterministic(self, shop: ShopWorld, shop_interactions: Interactions) -> None:
        users = list(shop_interactions.users[:10])
        a = create(self.algorithm, **self.params).fit(shop_interactions, shop.products)
        b = create(self.algorithm, **self.params).fit(shop_interactions, shop.products)
        pd.testing.assert_frame_equal(
            a.recommend(users, 5)[["user_id", "item_id"]],
            b.recommend(users, 5)[["user_id", "item_id"]],
        )


class TestPopularity(RecommenderContract):
    algorithm = "popularity"
    personal = False


class TestContent(RecommenderContract):
    algorithm = "content"
    cold_start = True


class TestItemKNN(RecommenderContract):
    algorithm = "itemknn"


class TestSAR(RecommenderContract):
    algorithm = "sar"


class TestEASE(RecommenderContract):
    algorithm = "ease"
    params = {"l2": 50.0}


class TestALS(RecommenderContract):
    algorithm = "als"


class TestHybrid(RecommenderContract):
    algorithm = "hybrid"
    cold_start = True


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch (extra 'deep') absent")
class TestTwoTower(RecommenderContract):
    algorithm = "two_tower"
    params = {"epochs": 8, "dim": 32, "batch_size": 256}


def test_every_registered_algorithm_has_a_contract_class() -> None:
    tested = {cls.algorithm for cls in RecommenderContract.__subclasses__()}
    assert set(available()) <= tested


def test_unknown_algorithm_names_the_choices() -> None:
    with pytest.raises(UnknownAlgorithm, match="popularity"):
        create("magic")


def test_content_needs_product_attributes(shop_interactions: Interactions) -> None:
    with pytest.raises(ColdStartUnsupported, match="attributes"):
        create("content").fit(shop_interactions)


def test_hybrid_without_attributes_drops_content(shop_interactions: Interactions) -> None:
    model = create("hybrid").fit(shop_interactions)
    assert len(model.recommend([str(shop_interactions.users[0])], 5)) == 5
    with pytest.raises(ColdStartUnsupported):
        model.score_users_for_item(attributes={"name": "腰果"}, n=5)
