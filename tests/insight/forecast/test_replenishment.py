"""Replenishment due dates against a hand-computed example."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from omniretail.insight.forecast import replenishment
from omniretail.platform.engine.duckdb import DuckDBEngine


def _engine() -> DuckDBEngine:
    eng = DuckDBEngine()
    days = {
        # customer A buys nuts every ~30 days (observed), customer B bought them once
        "o1": ("A", date(2025, 1, 1), "N1"),
        "o2": ("A", date(2025, 1, 29), "N1"),
        "o3": ("A", date(2025, 3, 2), "N2"),
        "o4": ("B", date(2025, 2, 20), "N1"),
        "o5": ("B", date(2025, 2, 20), "G1"),  # gift boxes are not replenished
    }
    eng.register_arrow(
        "orders",
        pa.table(
            {
                "source": ["pos"] * len(days),
                "order_id": list(days),
                "customer_id": [v[0] for v in days.values()],
                "ordered_at": [datetime.combine(v[1], datetime.min.time()) for v in days.values()],
                "status": ["paid"] * len(days),
            }
        ),
    )
    eng.register_arrow(
        "order_lines",
        pa.table(
            {"source": ["pos"] * 5, "order_id": list(days), "sku": [v[2] for v in days.values()]}
        ),
    )
    eng.register_arrow(
        "dim_product",
        pa.table(
            {
                "sku": ["N1", "N2", "G1"],
                "category_code": ["NUTS", "NUTS", "GIFT"],
                "category_name": ["坚果", "坚果", "礼盒"],
                "replenish_days": pa.array([25, 25, None], type=pa.int32()),
            }
        ),
    )
    return eng


def test_due_dates_by_hand() -> None:
    with _engine() as eng:
        assert replenishment.build(eng, date(2025, 3, 27)) == 2
        rows = {r["customer_id"]: r for r in eng.fetch_rows("SELECT * FROM customer_replenishment")}
    a, b = rows["A"], rows["B"]
    # A: intervals 28 and 32 days -> median 30, observed; last Mar 2 -> due Apr 1, in 5 days
    assert (a["usual_interval_days"], a["interval_source"]) == (30, "observed")
    assert a["due_date"] == date(2025, 4, 1)
    assert a["due_in_days"] == 5
    assert a["message_zh"] == "通常每~30天购买一次坚果；5天后到期"
    assert a["message_en"] == "usually buys 坚果 every ~30 days; due in 5 days"
    # B: one purchase -> the catalogue's 25 days; Feb 20 + 25 = Mar 17, 10 days overdue
    assert (b["usual_interval_days"], b["interval_source"]) == (25, "catalog")
    assert b["due_in_days"] == -10
    assert b["message_en"].endswith("overdue by 10 days")


def test_without_product_tables_nothing_is_built() -> None:
    with DuckDBEngine() as eng:
        assert replenishment.build(eng, date(2025, 3, 27)) == 0
