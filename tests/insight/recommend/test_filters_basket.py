"""Business rules and "frequently bought together"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omniretail.insight.recommend import Interactions, create
from omniretail.insight.recommend.basket import bought_together_sql
from omniretail.insight.recommend.filters import BusinessRules
from omniretail.platform.engine import DuckDBEngine
from tests.insight.recommend.world import ShopWorld

PRODUCTS = pd.DataFrame(
    {
        "sku": ["nut", "jerky", "cake", "old", "candy"],
        "category_code": ["nuts", "meat", "pastry", "nuts", "candy"],
        "parent_category_code": ["snacks", "snacks", "bakery", "snacks", "snacks"],
        "replenish_days": [30, None, None, None, None],
        "is_active": [True, True, True, False, True],
    }
)
DAY = 86_400.0


def history(rows: list[tuple[str, str, float]]) -> Interactions:
    frame = pd.DataFrame(rows, columns=["customer_id", "sku", "t"])
    return Interactions.from_frame(frame, user_col="customer_id", item_col="sku", time_col="t")


def allowed(rules: BusinessRules, user: str) -> set[str]:
    items = np.asarray(PRODUCTS["sku"], dtype=object)
    mask = rules.allowed([user], items)[0]
    return {str(i) for i, ok in zip(items, mask, strict=True) if ok}


def test_inactive_products_and_excluded_categories_are_hidden() -> None:
    rules = BusinessRules.build(products=PRODUCTS, excluded_categories=["candy", "bakery"])
    assert allowed(rules, "anyone") == {"nut", "jerky"}


def test_recent_purchase_hidden_unless_due_for_replenishment() -> None:
    now = 1000 * DAY
    hist = history(
        [
            ("u", "nut", now - 40 * DAY),  # replenish every 30 days: due again
            ("u", "jerky", now - 40 * DAY),  # not replenishable, within 90 days: hidden
            ("v", "nut", now - 10 * DAY),  # bought 10 days ago: not due yet
            ("v", "cake", now - 200 * DAY),  # long ago: may be shown again
            ("w", "candy", now),
        ]
    )
    rules = BusinessRules.build(products=PRODUCTS, history=hist, recent_days=90)
    assert allowed(rules, "u") == {"nut", "cake", "candy"}
    assert allowed(rules, "v") == {"jerky", "cake", "candy"}


def test_store_assortment_applies_to_the_preferred_store() -> None:
    assortment = pd.DataFrame({"store_code": ["S1", "S1"], "sku": ["nut", "cake"]})
    rules = BusinessRules.build(
        products=PRODUCTS, assortment=assortment, preferred_store={"u": "S1", "v": "S9"}
    )
    assert allowed(rules, "u") == {"nut", "cake"}
    assert allowed(rules, "v") == {"nut", "jerky", "cake", "candy"}  # no assortment on file


def test_rules_plug_into_any_recommender(shop: ShopWorld, shop_interactions: Interactions) -> None:
    rules = BusinessRules.build(
        products=shop.products, history=shop_interactions, excluded_categories=["nuts"]
    )
    model = create("itemknn").fit(shop_interactions, shop.products)
    users = list(shop_interactions.users[:20])
    recs = model.recommend(users, 10, exclude_seen=False, candidates=rules)
    cat = dict(zip(shop.products.sku, shop.products.category_code, strict=True))
    assert recs.groupby("user_id").size().eq(10).all()
    assert "nuts" not in {cat[i] for i in recs.item_id}


def test_bought_together_lift_by_hand() -> None:
    baskets = pd.DataFrame(
        {
            "basket_id": ["1", "1", "2", "2", "3", "3", "4", "5"],
            "sku": ["tea", "cake", "tea", "cake", "tea", "nut", "nut", "cake"],
        }
    )
    eng = DuckDBEngine()
    eng.con.register("baskets_df", baskets)
    rows = eng.fetch_rows(bought_together_sql("SELECT * FROM baskets_df", min_orders=1))
    got = {(r["sku"], r["other_sku"]): r for r in rows}
    tea_cake = got[("tea", "cake")]
    # 5 orders; tea in 3, cake in 3, together in 2: confidence 2/3, lift 2·5/(3·3)
    assert tea_cake["together"] == 2
    assert tea_cake["confidence"] == pytest.approx(2 / 3)
    assert tea_cake["lift"] == pytest.approx(10 / 9)
    assert got[("tea", "nut")]["lift"] == pytest.approx(1 * 5 / (3 * 2))
    assert [r["rank"] for r in rows if r["sku"] == "tea"] == [1, 2]
    strict = eng.fetch_rows(bought_together_sql("SELECT * FROM baskets_df", min_orders=2))
    assert {(r["sku"], r["other_sku"]) for r in strict} == {("tea", "cake"), ("cake", "tea")}
