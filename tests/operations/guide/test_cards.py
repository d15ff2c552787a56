"""The workbench's customer cards (tags and last purchases) come from one indexed row per
customer built by the guide step; they must say exactly what ranking every order of the
snapshot says, for any mix of orders, returns, cancellations and customers with only tags or
only orders."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from omniretail.operations.guide import report
from omniretail.platform.engine.duckdb import DuckDBEngine

T0 = datetime(2026, 3, 1, 9, 0)
ORDERS = pa.schema(
    [
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("ordered_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("channel_code", pa.string()),
        ("paid_amount", pa.decimal128(12, 2)),
    ]
)
TAGS = pa.schema(
    [
        ("customer_id", pa.string()),
        ("lifecycle_stage", pa.string()),
        ("value_tier", pa.string()),
        ("top_category", pa.string()),
        ("rfm_group", pa.string()),
        ("days_since_last_order", pa.int64()),
        ("sales_365d", pa.float64()),
    ]
)
CUSTOMERS = [f"C{i}" for i in range(8)]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    orders = [
        {
            "order_id": f"O{i}",
            "customer_id": draw(st.one_of(st.none(), st.sampled_from(CUSTOMERS))),
            # few distinct times, so ties are broken by the order id
            "ordered_at": draw(
                st.one_of(st.none(), st.integers(0, 6).map(lambda d: T0 + timedelta(days=d)))
            ),
            "status": draw(st.sampled_from(["paid", "paid", "returned", "cancelled", "created"])),
            "channel_code": draw(st.sampled_from(["pos", "miniprogram"])),
            "paid_amount": Decimal(draw(st.integers(-5000, 50_000))) / 100,
        }
        for i in range(draw(st.integers(0, 40)))
    ]
    tagged = draw(st.lists(st.sampled_from(CUSTOMERS), unique=True))
    tags = [
        {"customer_id": c, "lifecycle_stage": draw(st.sampled_from(["active", "dormant"])),
         "value_tier": "gold", "top_category": None, "rfm_group": "champions",
         "days_since_last_order": draw(st.integers(0, 400)), "sales_365d": 12.5}
        for c in tagged
    ]  # fmt: skip
    return orders, tags


def _engine(orders: list[dict[str, Any]], tags: list[dict[str, Any]] | None) -> DuckDBEngine:
    engine = DuckDBEngine()
    engine.register_arrow("orders", pa.Table.from_pylist(orders, schema=ORDERS))
    if tags is not None:
        engine.register_arrow("customer_tags", pa.Table.from_pylist(tags, schema=TAGS))
    return engine


@settings(max_examples=40, deadline=None)
@given(worlds(), st.booleans(), st.lists(st.sampled_from([*CUSTOMERS, "C404"]), unique=True))
def test_cards_say_what_the_orders_say(
    world: tuple[list[dict[str, Any]], list[dict[str, Any]]], with_tags: bool, shown: list[str]
) -> None:
    orders, tags = world
    engine = _engine(orders, tags if with_tags else None)
    try:
        expected = report.customer_cards(engine, shown)  # no cards yet: ranks every order
        assert not engine.table_exists(report.CARDS)
        report.build_cards(engine)
        assert report.customer_cards(engine, shown) == expected
    finally:
        engine.close()


def test_cards_are_indexed_by_customer() -> None:
    orders = [
        {"order_id": f"O{i}", "customer_id": f"C{i % 5}", "ordered_at": T0 + timedelta(hours=i),
         "status": "paid", "channel_code": "pos", "paid_amount": Decimal("9.90")}
        for i in range(20)
    ]  # fmt: skip
    engine = _engine(orders, [])
    try:
        assert report.build_cards(engine) == 5
        # built twice (the next pipeline run): the table is replaced with its index
        assert report.build_cards(engine) == 5
        indexes = engine.fetch_rows(
            "SELECT CAST(expressions AS VARCHAR) AS e FROM duckdb_indexes() WHERE table_name = ?",
            [report.CARDS],
        )
        assert [i["e"] for i in indexes] == ["[customer_id]"]
        card = report.customer_cards(engine, ["C1"])["C1"]
        assert [o["order_id"] for o in card["orders"]] == ["O16", "O11", "O6"]
        assert card["tags"] == {}
    finally:
        engine.close()
