"""The recommendations step's tables do not depend on the order its rows arrive in: an
analytics engine gives no order without ORDER BY, and Spark's is not DuckDB's (issue 17:
``product_likely_customers`` differed between the engines on the demo world)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omniretail.insight.recommend.training import RecsConfig, build_outputs
from tests.insight.recommend.world import ShopWorld

TIMINGS = {"train_seconds", "inference_seconds"}  # measured, not computed


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


def test_outputs_are_the_same_whatever_the_row_order(shop: ShopWorld) -> None:
    cfg = RecsConfig(likely_customers=30)
    first = build_outputs(shop.purchases, products=shop.products, config=cfg)
    again = build_outputs(
        _shuffled(shop.purchases, 1), products=_shuffled(shop.products, 2), config=cfg
    )
    assert first.model.name == again.model.name
    # the same bits, not close values: float32 sums in another order flip near-ties in rank
    pd.testing.assert_frame_equal(
        first.customer_recommendations, again.customer_recommendations, check_exact=True
    )
    pd.testing.assert_frame_equal(first.likely_customers, again.likely_customers, check_exact=True)

    def measures(m: pd.DataFrame) -> pd.DataFrame:
        kept = m[~m["metric"].isin(TIMINGS)]
        return kept.sort_values(["algorithm", "metric"], ignore_index=True)

    assert len(measures(first.metrics)) > 0
    pd.testing.assert_frame_equal(
        measures(first.metrics), measures(again.metrics), check_exact=True
    )
