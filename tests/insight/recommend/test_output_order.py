"""The serving tables come out sorted without sorting their rows: the customers (or products)
are put in order once, and the result is the row sort the tables were built with before."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from omniretail.insight.recommend.base import create
from omniretail.insight.recommend.interactions import Interactions
from omniretail.insight.recommend.training import TopUsersPerItem
from tests.insight.recommend.world import ShopWorld


def test_recommend_by_user_id_is_the_row_sort(shop: ShopWorld) -> None:
    inter = Interactions.from_frame(
        shop.purchases, user_col="customer_id", item_col="sku", time_col="ordered_at"
    )
    model = create("content").fit(inter, shop.products)  # catalogue-only products at the end
    known = inter.users.tolist()
    rng = np.random.default_rng(3)
    # any order, unknown customers (popular list), one id sorting before the others and
    # non-ASCII ids
    users = [*rng.permutation(known).tolist(), "*", "新客甲", "0-new", "zz"]
    plain = model.recommend(users, 7, exclude_seen=True)
    ordered = model.recommend(users, 7, exclude_seen=True, by_user_id=True)
    expected = plain.sort_values(["user_id", "rank"], ignore_index=True)
    assert_frame_equal(ordered, expected, check_exact=True)
    assert ordered["user_id"].iloc[0] == "*"


def test_likely_customers_are_sorted_by_sku_then_rank(shop: ShopWorld) -> None:
    inter = Interactions.from_frame(
        shop.purchases, user_col="customer_id", item_col="sku", time_col="ordered_at"
    )
    model = create("hybrid").fit(inter, shop.products)
    top = TopUsersPerItem(model, 5)
    codes = np.arange(inter.n_users)
    top.add(codes, model._scores(codes))
    frame = top.frame()
    assert len(frame) > 0
    assert not (model.item_ids.astype(str)[:-1] <= model.item_ids.astype(str)[1:]).all()
    resorted = frame.sort_values(["sku", "rank"], ignore_index=True)
    assert_frame_equal(frame, resorted, check_exact=True)
    assert isinstance(frame.index, pd.RangeIndex)
