from __future__ import annotations

import pytest

from omniretail.insight.recommend import Interactions
from tests.insight.recommend.world import ShopWorld, make_world


@pytest.fixture(scope="session")
def shop() -> ShopWorld:
    return make_world()


@pytest.fixture(scope="session")
def shop_interactions(shop: ShopWorld) -> Interactions:
    return Interactions.from_frame(
        shop.purchases, user_col="customer_id", item_col="sku", time_col="ordered_at"
    )
