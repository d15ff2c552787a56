"""The one-statement reserve and commit (PostgreSQL) and the conditional updates (SQLite): the
cases they hand to the locking path or undo — a retry, a key with other lines, too little
stock, a short level on commit — leave the ledger exact and the transaction usable."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.errors import (
    InsufficientStock,
    InventoryError,
    ReservationClosed,
    ReservationMismatch,
)
from omniretail.omnichannel.inventory.models import Reservation, StockMovement
from omniretail.omnichannel.inventory.schemas import ReservationLine as L
from tests.omnichannel.inventory.factories import world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def level(session: Session, loc: str = "S1", sku: str = "SKU1") -> tuple[int, int, int]:
    lv = inv.get_level(session, location=loc, sku=sku)
    return lv.on_hand, lv.reserved, lv.available


def rows(session: Session, model: type, **where: object) -> int:
    q = select(func.count()).select_from(model)
    for name, value in where.items():
        q = q.where(getattr(model, name) == value)
    return int(session.scalar(q) or 0)


def test_one_level_reserve_retry_mismatch_and_refusal(session: Session) -> None:
    world(session)
    one = [L(location="S1", sku="SKU1", quantity=3)]
    first = inv.reserve(session, key="Cart:1", lines=one, ttl=timedelta(minutes=5), now=T0)
    assert [(r.key, r.line_no, r.quantity, r.status) for r in first] == [("cart:1", 0, 3, "active")]
    again = inv.reserve(session, key=" cart:1", lines=one, now=T0)  # a retry
    assert [(r.key, r.line_no, r.quantity, r.status) for r in again] == [("cart:1", 0, 3, "active")]
    assert level(session) == (10, 3, 7)
    # the same key with other lines: refused, and the extra line is not left behind
    with pytest.raises(ReservationMismatch):
        inv.reserve(session, key="cart:1", lines=[*one, L(location="S1", sku="SKU1", quantity=1)])
    with pytest.raises(ReservationMismatch):
        inv.reserve(session, key="cart:1", lines=[L(location="S1", sku="SKU1", quantity=2)])
    assert rows(session, Reservation, group_key="cart:1") == 1
    # two lines of one level count together: 4 + 4 > 7 available
    with pytest.raises(InsufficientStock) as e:
        inv.reserve(
            session,
            key="cart:2",
            lines=[
                L(location="S1", sku="SKU1", quantity=4),
                L(location="S1", sku="SKU1", quantity=4),
            ],
        )
    assert (e.value.extra["requested"], e.value.extra["available"]) == (8, 7)
    assert rows(session, Reservation, group_key="cart:2") == 0
    # the transaction goes on after a refusal (the fulfilment service releases and retries)
    two = inv.reserve(
        session,
        key="cart:2",
        lines=[L(location="S1", sku="SKU1", quantity=4), L(location="S1", sku="SKU1", quantity=3)],
    )
    assert [r.line_no for r in two] == [0, 1]
    assert level(session) == (10, 10, 0)
    assert rows(session, StockMovement, kind="reserve") == 3
    assert inv.verify(session) == []
    session.commit()
    assert level(session) == (10, 10, 0)


def test_one_level_commit_retry_short_level_and_late(session: Session) -> None:
    world(session)
    inv.reserve(session, key="o1", lines=[L(location="S1", sku="SKU1", quantity=2)] * 2)
    done = inv.commit(session, key="o1", ref="order:1")
    assert [(r.line_no, r.status, r.location, r.sku) for r in done] == [
        (0, "committed", "S1", "SKU1"),
        (1, "committed", "S1", "SKU1"),
    ]
    assert inv.commit(session, key="O1") == done  # idempotent
    assert level(session) == (6, 0, 6)
    refs = {m.ref for m in inv.list_movements(session, location="S1", sku="SKU1")}
    assert "order:1" in refs
    # a count finds the units gone: commit refuses, the hold stays active, nothing moved
    inv.reserve(session, key="o2", lines=[L(location="S1", sku="SKU1", quantity=5)])
    inv.count(session, location="S1", sku="SKU1", counted=4)
    with pytest.raises(InsufficientStock):
        inv.commit(session, key="o2")
    assert [r.status for r in inv.reservations(session, key="o2")] == ["active"]
    assert level(session) == (4, 5, -1)
    inv.receive(session, location="S1", sku="SKU1", quantity=1)
    assert inv.commit(session, key="o2")[0].status == "committed"
    assert level(session) == (0, 0, 0)
    # past its time: refused as expired, though the expiry job has not run yet
    inv.reserve(
        session,
        key="o3",
        lines=[L(location="S2", sku="SKU1", quantity=1)],
        ttl=timedelta(minutes=1),
        now=T0,
    )
    with pytest.raises(ReservationClosed):
        inv.commit(session, key="o3", now=T0 + timedelta(minutes=2))
    assert level(session, "S2") == (10, 1, 9)
    # released lines are reported as they are beside the committed one
    inv.reserve(
        session,
        key="o4",
        lines=[L(location="S2", sku="SKU2", quantity=1), L(location="S2", sku="SKU2", quantity=2)],
    )
    inv.release(session, key="o4", line_nos=[1])
    assert [r.status for r in inv.commit(session, key="o4")] == ["committed", "released"]
    assert level(session, "S2", "SKU2") == (9, 0, 9)
    assert inv.verify(session) == []


@pytest.mark.postgres
def test_same_key_from_many_threads_holds_once(pg_factory: sessionmaker[Session]) -> None:
    with pg_factory() as s:
        world(s)
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def go(verb: str) -> None:
        with pg_factory() as s:
            barrier.wait()
            try:
                if verb == "reserve":
                    inv.reserve(s, key="same", lines=[L(location="S1", sku="SKU1", quantity=3)])
                else:
                    inv.commit(s, key="same")
                s.commit()
            except InventoryError as e:  # pragma: no cover - would fail the test below
                errors.append(e)

    for verb in ("reserve", "commit"):
        threads = [threading.Thread(target=go, args=(verb,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    with pg_factory() as s:
        assert level(s) == (7, 0, 7)
        assert rows(s, StockMovement, kind="reserve") == 1
        assert rows(s, StockMovement, kind="commit") == 1
        assert inv.verify(s) == []
