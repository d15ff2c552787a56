"""Attribution of orders to the clerk bound at order time: a replay (with the inputs in another
order) gives identical credits, every credit matches a plain reference, and a return reverses
its order's credit."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from omniretail.operations.guide import attribution
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.timezone import CHAIN_TZ

T0 = datetime(2026, 1, 1, 10, 0)
ORDER_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("ordered_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("channel_code", pa.string()),
        ("gross_amount", pa.decimal128(12, 2)),
        ("discount_amount", pa.decimal128(12, 2)),
        ("paid_amount", pa.decimal128(12, 2)),
    ]
)


def _periods(draw: st.DrawFn, customers: list[str]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    bid = 0
    for c in customers:
        at = T0 + timedelta(hours=draw(st.integers(0, 200)))
        for _ in range(draw(st.integers(0, 3))):
            bid += 1
            length = draw(st.one_of(st.none(), st.integers(1, 400)))
            end = None if length is None else at + timedelta(hours=length)
            rows.append((bid, c, draw(st.sampled_from(["G1", "G2", "G3"])), "S1", at, end,
                         draw(st.booleans())))  # fmt: skip
            if end is None:
                break
            at = end + timedelta(hours=draw(st.integers(0, 50)))
    return rows


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    customers = [f"C{i}" for i in range(draw(st.integers(1, 6)))]
    periods = _periods(draw, customers)
    orders = []
    for i in range(draw(st.integers(0, 40))):
        gross = draw(st.integers(100, 50_000)) / 100
        disc = draw(st.integers(0, 50)) / 100
        status = draw(st.sampled_from(["paid", "paid", "returned", "cancelled", "created"]))
        paid = gross - disc
        if status == "returned":
            paid = draw(st.sampled_from([0.0, round(paid / 2, 2), -round(gross, 2)]))
        orders.append({
            "source": draw(st.sampled_from(["pos", "miniprogram"])),
            "order_id": f"O{i}",
            "customer_id": draw(st.one_of(st.none(), st.sampled_from(customers))),
            "ordered_at": T0 + timedelta(hours=draw(st.integers(0, 1200))),
            "status": status,
            "channel_code": "pos",
            "gross_amount": gross, "discount_amount": disc, "paid_amount": paid,
        })  # fmt: skip
    return periods, orders


def _instants(periods: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Relationship periods as the operational store gives them: instants (the test writes
    them as the chain's wall clock, like the orders)."""
    return [
        (*p[:4], p[4].replace(tzinfo=CHAIN_TZ), p[5] and p[5].replace(tzinfo=CHAIN_TZ), p[6])
        for p in periods
    ]


def _engine(periods: list[tuple[Any, ...]], orders: list[dict[str, Any]]) -> DuckDBEngine:
    engine = DuckDBEngine()
    rows = [
        {k: (Decimal(str(v)).quantize(Decimal("0.01")) if k.endswith("_amount") else v)
         for k, v in o.items()}
        for o in orders
    ]  # fmt: skip
    engine.register_arrow("orders", pa.Table.from_pylist(rows, schema=ORDER_SCHEMA))
    attribution.load_bindings(engine, [_instants(periods)])
    attribution.attribute(engine)
    return engine


def _run(periods: list[tuple[Any, ...]], orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _engine(periods, orders).fetch_rows(f"SELECT * FROM {attribution.CREDITS}")


def _reference(periods: list[tuple[Any, ...]], o: dict[str, Any]) -> str | None:
    hits = [p for p in periods if p[1] == o["customer_id"] and p[4] <= o["ordered_at"]
            and (p[5] is None or o["ordered_at"] < p[5])]  # fmt: skip
    return max(hits, key=lambda p: (p[4], p[0]))[2] if hits else None


@settings(max_examples=30, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_replay_gives_identical_credits(
    world: tuple[list[tuple[Any, ...]], list[dict[str, Any]]], rnd: random.Random
) -> None:
    periods, orders = world
    first = _run(periods, orders)
    shuffled_p, shuffled_o = periods[:], orders[:]
    rnd.shuffle(shuffled_p)
    rnd.shuffle(shuffled_o)
    assert _run(shuffled_p, shuffled_o) == first  # replay: identical, in the same order

    by_order: dict[str, dict[str, float]] = {}
    for c in first:
        o = next(x for x in orders if x["order_id"] == c["order_id"])
        assert c["staff_code"] == _reference(periods, o)  # the clerk bound at order time
        by_order.setdefault(c["order_id"], {})[c["kind"]] = c["amount"]
    for o in orders:
        clerk = _reference(periods, o) if o["customer_id"] else None
        credited = by_order.get(o["order_id"], {})
        if clerk is None or o["status"] not in ("paid", "returned"):
            assert credited == {}
        elif o["status"] == "paid":
            assert credited == {"sale": round(o["gross_amount"] - o["discount_amount"], 2)}
        else:  # a return reverses the credit down to what the customer kept
            assert round(sum(credited.values()), 2) == round(o["paid_amount"], 2)
            assert credited["return"] <= 0


def test_clerk_sales_compare_treated_and_holdout_customers() -> None:
    periods = [
        (1, "C1", "G1", "S1", T0, None, False),
        (2, "C2", "G1", "S1", T0, None, False),
        (3, "C3", "G1", "S1", T0, None, True),
        (4, "C4", "G2", "S1", T0, T0 + timedelta(days=1), False),
        (5, "C4", "G1", "S1", T0 + timedelta(days=1), None, True),
    ]
    o = {"source": "pos", "channel_code": "pos", "discount_amount": 0.0}
    orders = [
        {**o, "order_id": "A", "customer_id": "C1", "ordered_at": T0 + timedelta(hours=1),
         "status": "paid", "gross_amount": 100.0, "paid_amount": 100.0},
        {**o, "order_id": "B", "customer_id": "C2", "ordered_at": T0 + timedelta(hours=2),
         "status": "returned", "gross_amount": 50.0, "paid_amount": 0.0},
        {**o, "order_id": "C", "customer_id": "C3", "ordered_at": T0 + timedelta(hours=3),
         "status": "paid", "gross_amount": 20.0, "paid_amount": 20.0},
        {**o, "order_id": "D", "customer_id": "C4", "ordered_at": T0 + timedelta(hours=4),
         "status": "paid", "gross_amount": 70.0, "paid_amount": 70.0},
    ]  # fmt: skip
    engine = _engine(periods, orders)
    rows = {r["staff_code"]: r for r in engine.fetch_rows(f"SELECT * FROM {attribution.CLERKS}")}
    g1 = rows["G1"]
    assert (g1["bound_customers"], g1["treated"], g1["held_out"]) == (4, 2, 2)
    assert (g1["orders"], g1["gross_sales"], g1["returns"], g1["net_sales"]) == (3, 170, -50, 120)
    # treated: C1 100, C2 0 → 50 each; holdout: C3 20, C4 0 (its order was G2's) → 10 each
    assert (g1["net_per_treated"], g1["net_per_holdout"]) == (50, 10)
    assert g1["incremental_sales"] == 80
    assert "G2" not in rows  # G2 no longer has bound customers; its credit stays in the credits
