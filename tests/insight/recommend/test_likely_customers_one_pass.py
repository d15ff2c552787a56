"""The serving build ranks products per customer and customers per product from one pass over
the score matrix: the likely customers are those of a separate pass (top_users_per_item)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from omniretail.insight.recommend.base import BATCH_USERS
from omniretail.insight.recommend.training import RecsConfig, build_outputs, top_users_per_item


def _purchases(n_users: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        for _ in range(int(rng.integers(1, 6))):
            rows.append((f"C{u:05d}", f"S{int(rng.zipf(1.6)) % 60:03d}", int(rng.integers(0, 300))))
    frame = pd.DataFrame(rows, columns=["customer_id", "sku", "day"])
    frame["ordered_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame.pop("day"), "D")
    return frame


def _products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": [f"S{i:03d}" for i in range(70)],  # ten only in the catalogue
            "name": [f"商品{i % 7} 口味{i % 5}" for i in range(70)],
            "category_code": [f"cat{i % 4}" for i in range(70)],
        }
    )


@pytest.mark.parametrize(
    ("algorithm", "n_users"),
    [
        ("ease", 2 * BATCH_USERS + 37),  # a partial last block, the new-customer row in it
        ("hybrid", 2 * BATCH_USERS),  # the new-customer row alone in the last block
        ("itemknn", 300),  # one block
    ],
)
def test_likely_customers_equal_a_separate_pass(algorithm: str, n_users: int) -> None:
    out = build_outputs(
        _purchases(n_users),
        products=_products(),
        config=RecsConfig(algorithm=algorithm, evaluate=False, likely_customers=25),
    )
    assert out.model.name == algorithm
    separate = top_users_per_item(out.model, 25)
    assert len(separate) > 0
    assert_frame_equal(out.likely_customers, separate)
    # and the customers' own lists are those of a plain recommend()
    assert out.customer_recommendations["customer_id"].nunique() == n_users + 1
