"""The stock ledger on SQLite and PostgreSQL: every verb keeps the level equal to its ledger,
refuses bad input with a specific error and applies nothing of a refused request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    ReservationClosed,
    ReservationMismatch,
    ReservationNotFound,
    UnknownLocation,
    UnknownSku,
)
from omniretail.omnichannel.inventory.models import (
    StockItem,
    StockLevel,
    StockLocation,
    StockMovement,
)
from omniretail.omnichannel.inventory.schemas import ReservationLine as L
from tests.omnichannel.inventory.factories import world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def level(session: Session, loc: str = "S1", sku: str = "SKU1") -> tuple[int, int, int]:
    lv = inv.get_level(session, location=loc, sku=sku)
    return lv.on_hand, lv.reserved, lv.available


def test_receive_sell_return_count_keep_the_ledger(session: Session) -> None:
    world(session)
    inv.sell(session, location="S1", sku="SKU1", quantity=3, key="pos:1")
    inv.sell(session, location="S1", sku="SKU1", quantity=3, key="POS:1 ")  # retry, same key
    assert level(session) == (7, 0, 7)
    inv.return_stock(session, location="S1", sku="SKU1", quantity=1, key="rma:1")
    assert inv.count(session, location="S1", sku="SKU1", counted=5, key="count:1") == -3
    assert level(session) == (5, 0, 5)
    inv.transfer(session, from_location="W1", to_location="S1", sku="SKU1", quantity=4, key="t1")
    inv.transfer(session, from_location="W1", to_location="S1", sku="SKU1", quantity=4, key="t1")
    assert level(session) == (9, 0, 9)
    assert level(session, "W1") == (6, 0, 6)
    inv.set_safety_stock(session, location="S1", sku="SKU1", safety_stock=2)
    assert level(session) == (9, 0, 7)
    kinds = [m.kind for m in inv.list_movements(session, location="S1", sku="SKU1")]
    assert kinds == ["transfer_in", "count", "return", "sale", "receipt"]
    assert inv.verify(session) == []


def test_bad_input_names_the_problem(session: Session) -> None:
    world(session)
    with pytest.raises(UnknownSku) as e:
        inv.receive(session, location="S1", sku="NOPE", quantity=1)
    assert e.value.field == "sku"
    assert "NOPE" in e.value.message_zh
    with pytest.raises(UnknownLocation) as e2:
        inv.receive(session, location="S9", sku="SKU1", quantity=1)
    assert e2.value.field == "location"
    assert "S9" in e2.value.message_zh
    with pytest.raises(InvalidQuantity):
        inv.receive(session, location="S1", sku="SKU1", quantity=0)
    with pytest.raises(InsufficientStock) as e3:
        inv.sell(session, location="S1", sku="SKU1", quantity=11)
    assert e3.value.extra["available"] == 10
    assert "可用库存不足" in e3.value.message_zh
    # a two-line hold where the second line cannot be met holds nothing at all
    with pytest.raises(InsufficientStock) as e4:
        inv.reserve(
            session,
            key="o1",
            lines=[
                L(location="S1", sku="SKU1", quantity=2),
                L(location="S2", sku="SKU2", quantity=11),
            ],
        )
    assert e4.value.extra["sku"] == "SKU2"
    assert e4.value.extra["location"] == "S2"
    session.rollback()
    assert level(session) == (10, 0, 10)
    assert inv.reservations(session, key="o1") == []
    with pytest.raises(ReservationNotFound):
        inv.commit(session, key="nothing")


def test_reservation_lifecycle(session: Session) -> None:
    world(session)
    lines = [L(location="S1", sku="SKU1", quantity=4), L(location="S1", sku="SKU2", quantity=1)]
    inv.reserve(session, key="order:1", lines=lines, ttl=timedelta(minutes=15), now=T0)
    assert inv.reserve(session, key="order:1", lines=lines, now=T0)[0].status == "active"
    with pytest.raises(ReservationMismatch):
        inv.reserve(session, key="order:1", lines=lines[:1], now=T0)
    assert level(session) == (10, 4, 6)
    with pytest.raises(InsufficientStock):  # 6 available, not 7
        inv.reserve(session, key="order:2", lines=[L(location="S1", sku="SKU1", quantity=7)])
    inv.commit(session, key="order:1", now=T0 + timedelta(minutes=5))
    inv.commit(session, key="order:1", now=T0 + timedelta(minutes=5))  # idempotent
    assert level(session) == (6, 0, 6)
    inv.cancel(session, key="order:1")
    inv.cancel(session, key="order:1")  # restocks exactly once
    assert level(session) == (10, 0, 10)
    with pytest.raises(ReservationClosed):
        inv.commit(session, key="order:1")
    assert inv.verify(session) == []


def test_holds_expire_once_and_cannot_be_committed_late(session: Session) -> None:
    world(session)
    inv.reserve(
        session,
        key="cart:9",
        lines=[L(location="S2", sku="SKU1", quantity=3)],
        kind="checkout",
        ttl=timedelta(minutes=15),
        now=T0,
    )
    assert inv.expire_due(session, now=T0 + timedelta(minutes=14)) == 0
    with pytest.raises(ReservationClosed) as e:
        inv.commit(session, key="cart:9", now=T0 + timedelta(minutes=16))
    assert "过期" in e.value.message_zh
    assert inv.expire_due(session, now=T0 + timedelta(minutes=16)) == 1
    assert inv.expire_due(session, now=T0 + timedelta(minutes=17)) == 0
    inv.release(session, key="cart:9")  # releasing an expired hold changes nothing
    assert level(session, "S2") == (10, 0, 10)
    assert inv.reservations(session, key="cart:9")[0].status == "expired"
    assert inv.verify(session) == []


def test_partial_release_and_short_stock_on_commit(session: Session) -> None:
    world(session)
    inv.reserve(
        session,
        key="o5",
        lines=[L(location="S1", sku="SKU1", quantity=2), L(location="S1", sku="SKU2", quantity=2)],
    )
    # a count finds SKU2 short: commit refuses it, the store releases that line
    inv.count(session, location="S1", sku="SKU2", counted=1)
    assert level(session, "S1", "SKU2") == (1, 2, -1)
    with pytest.raises(InsufficientStock):
        inv.commit(session, key="o5")
    inv.release(session, key="o5", line_nos=[1])
    inv.commit(session, key="o5")
    assert [r.status for r in inv.reservations(session, key="o5")] == ["committed", "released"]
    assert level(session, "S1", "SKU1") == (8, 0, 8)
    assert level(session, "S1", "SKU2") == (1, 0, 1)
    assert inv.verify(session) == []


def test_verify_finds_and_repairs_drift(session: Session) -> None:
    from sqlalchemy import text

    world(session)
    session.execute(text("UPDATE inv_level SET on_hand = on_hand + 5 WHERE id = 1"))
    found = inv.verify(session)
    assert len(found) == 1
    assert found[0].on_hand - found[0].ledger_on_hand == 5
    inv.verify(session, repair=True)
    assert inv.verify(session) == []


def _ledger(session: Session) -> list[tuple[object, ...]]:
    """Levels and movements as written (in id order): what ``receive_many`` must reproduce."""
    levels = [(lv.location, lv.sku, lv.on_hand, lv.reserved, lv.available)
              for lv in inv.list_levels(session)]  # fmt: skip
    moves = [(m.location, m.sku, m.kind, m.d_on_hand, m.ref, m.at)
             for m in inv.list_movements(session, ref="note:1", limit=1000)]  # fmt: skip
    return [*levels, *moves]


def test_receive_many_writes_what_one_receive_per_row_writes(session: Session) -> None:
    """Rows that repeat a (location, SKU), a level that exists and ones that do not, an item
    with a safety stock: the same levels, movements and ids as one ``receive`` per row."""
    rows = [("S1", "SKU1", 3), ("W1", "SKU3", 40), ("S2", "SKU3", 2), ("S1", "SKU1", 4),
            ("S3", "SKU2", 5)]  # fmt: skip
    ledgers, level_ids = [], []
    for bulk in (False, True):
        world(session)
        inv.register_item(session, sku="SKU3", name="商品SKU3", safety_stock=1)
        if bulk:
            assert inv.receive_many(session, rows=rows, ref="note:1", now=T0) == len(rows)
        else:
            for loc, sku, qty in rows:
                inv.receive(session, location=loc, sku=sku, quantity=qty, ref="note:1", now=T0)
        session.flush()
        ledgers.append(_ledger(session))
        created = (  # the levels in the order they were created, with their safety stock
            select(StockLocation.code, StockItem.sku, StockLevel.safety_stock)
            .join(StockLocation, StockLocation.id == StockLevel.location_id)
            .join(StockItem, StockItem.id == StockLevel.item_id)
            .order_by(StockLevel.id)
        )
        level_ids.append([tuple(r) for r in session.execute(created)])
        assert inv.verify(session) == []
        session.rollback()
        for table in (StockMovement, StockLevel, StockItem, StockLocation):
            session.execute(delete(table))
        session.commit()
        session.expunge_all()
    assert ledgers[0] == ledgers[1]
    assert level_ids[0] == level_ids[1]


def test_receive_many_over_more_skus_than_one_lookup_chunk(session: Session) -> None:
    """An initial load of 1,234 SKUs at two locations (the level look-up goes in chunks of
    900 ids), a few levels already there: every row lands on its own level."""
    world(session)
    skus = [f"BULK{i:05d}" for i in range(1234)]
    session.execute(  # the item master of a whole catalogue, set up in one statement
        insert(StockItem), [{"sku": sku, "name": f"商品{sku}", "safety_stock": 0} for sku in skus]
    )
    inv.receive(session, location="S1", sku=skus[700], quantity=1)  # an existing level
    rows = [(loc, sku) for sku in skus for loc in ("S1", "S2")]
    rows = [(loc, sku, 1 + i % 7) for i, (loc, sku) in enumerate(rows)]
    assert inv.receive_many(session, rows=rows, ref="load:1") == len(rows)
    assert level(session, "S1", skus[0]) == (1, 0, 1)  # row 0
    last = 1 + 2467 % 7  # row 2 × 1233 + 1 is the last SKU at S2
    assert level(session, "S2", skus[1233]) == (last, 0, last)
    mid = 1 + 1 + 1400 % 7  # received 1 before, then row 2 × 700
    assert level(session, "S1", skus[700]) == (mid, 0, mid)
    assert len(inv.list_movements(session, ref="load:1", limit=5000)) == len(rows)
    assert inv.verify(session) == []


def test_receive_many_refuses_bad_rows_like_receive(session: Session) -> None:
    world(session)
    with pytest.raises(UnknownLocation):
        inv.receive_many(session, rows=[("S1", "SKU1", 1), ("S9", "SKU1", 1)])
    with pytest.raises(UnknownSku):
        inv.receive_many(session, rows=[("S1", "NOPE", 1)])
    with pytest.raises(InvalidQuantity):
        inv.receive_many(session, rows=[("S1", "SKU1", 1), ("S2", "SKU2", 0)])


def test_levels_at_reads_what_get_level_reads(session: Session) -> None:
    world(session, skus=("SKU1", "SKU2", "SKU3"))
    inv.register_item(session, sku="SKU4", name="无库存", safety_stock=2)  # no level anywhere
    inv.sell(session, location="S1", sku="SKU2", quantity=4)
    inv.set_safety_stock(session, location="S1", sku="SKU3", safety_stock=3)
    skus = ["SKU3", "SKU1", "SKU4", "SKU2"]
    got = inv.levels_at(session, location="S1", skus=skus)
    assert list(got) == skus
    assert got == {s: inv.get_level(session, location="S1", sku=s) for s in skus}
    with pytest.raises(UnknownSku):
        inv.levels_at(session, location="S1", skus=["SKU1", "NOPE"])
