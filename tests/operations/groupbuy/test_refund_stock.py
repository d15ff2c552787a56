"""A group-buy refund puts its units back in stock through the inventory ledger, by where the
goods are (SQLite and PostgreSQL): before the cut-off into the leader's hold, after the group
formed out of the pickup reservation (back to available), after pickup back on the leader's
store shelf (damaged units excepted). A retried refund restocks nothing twice and the ledger
still explains every level (``inventory.verify()`` is empty)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes
from omniretail.omnichannel.fulfillment import service as fulfilment
from omniretail.omnichannel.fulfillment.errors import ReturnExceedsSold
from omniretail.omnichannel.fulfillment.returns import create_return
from omniretail.omnichannel.fulfillment.schemas import ReturnCreate
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.inventory.models import StockMovement
from omniretail.omnichannel.order import service as order_service
from omniretail.operations.groupbuy import service, settle
from omniretail.operations.groupbuy.errors import HoldExhausted, InvalidGroupBuy
from omniretail.operations.groupbuy.schemas import GroupOrderCreate, RefundIn
from omniretail.platform.db import utcnow
from tests.operations.groupbuy.factories import activity_in, groupbuy_world


def _order(ext: str, cust: str, a1: int, a2: int = 0) -> GroupOrderCreate:
    lines = [{"sku": "A1", "quantity": a1}] + ([{"sku": "A2", "quantity": a2}] if a2 else [])
    return GroupOrderCreate.model_validate(
        {"activity": "R1", "leader": "L1", "external_id": ext, "customer_id": cust, "lines": lines}
    )


def _refund(key: str, *lines: tuple[int, int, int]) -> RefundIn:
    return RefundIn.model_validate(
        {
            "idempotency_key": key,
            "lines": [{"line_no": n, "quantity": q, "damaged": d} for n, q, d in lines],
        }
    )


def _s1(session: Session, sku: str = "A1") -> tuple[int, int, int]:
    lv = inventory.get_level(session, location="S1", sku=sku)
    return lv.on_hand, lv.reserved, lv.available


def test_refunds_restock_by_where_the_goods_are(session: Session) -> None:
    groupbuy_world(session)
    t0 = utcnow()
    service.create_activity(session, data=activity_in("R1", t0, min_orders=2))
    assert _s1(session) == (50, 10, 40)  # L1's hold
    a = service.place_order(session, data=_order("G-A", "C1", a1=4, a2=1), now=t0)
    b = service.place_order(session, data=_order("G-B", "C2", a1=3), now=t0)
    c = service.place_order(session, data=_order("G-C", "C3", a1=2), now=t0)
    d = service.place_order(session, data=_order("G-D", "C4", a1=1), now=t0)
    with pytest.raises(HoldExhausted):  # 10 of 10 ordered
        service.place_order(session, data=_order("G-E", "C5", a1=1), now=t0)

    # before the cut-off: the units go back to the leader's hold and can be ordered again
    settle.refund(session, order_id=a.id, data=_refund("ra1", (1, 2, 0)), now=t0)
    gone = settle.refund(session, order_id=d.id, data=_refund("rd", (1, 1, 0)), now=t0)
    assert gone.status == "refunded"
    service.place_order(session, data=_order("G-E", "C5", a1=1), now=t0)
    act_id, l1_id = service._activity(session, "R1").id, service._leader(session, "L1").id
    assert service.ordered_units(session, act_id, l1_id)["A1"] == 2 + 3 + 2 + 1
    with pytest.raises(InvalidGroupBuy) as dmg:  # nothing came back before pickup
        settle.refund(session, order_id=b.id, data=_refund("rb0", (1, 1, 1)), now=t0)
    assert "尚未自提" in dmg.value.message_zh
    assert _s1(session) == (50, 10, 40)  # the hold itself is unchanged until the cut-off

    # the cut-off: the hold released, only the units not refunded held for pickup
    cut = t0 + timedelta(hours=2, minutes=1)
    result = settle.decide(session, activity="R1", now=cut)
    assert (result.status, result.fulfilments) == ("formed", 4)  # the refunded order has none
    assert service.get_order(session, order_id=d.id).fulfilment_id is None
    assert _s1(session) == (50, 8, 42)  # a 2 + b 3 + c 2 + e 1
    assert _s1(session, "A2") == (50, 1, 49)

    # formed, not yet at the point: a partial refund gives units back to available
    settle.refund(session, order_id=b.id, data=_refund("rb1", (1, 2, 0)), now=cut)
    assert _s1(session) == (50, 6, 44)
    # at the point (ready): every unit refunded cancels the fulfilment and voids its code
    settle.arrive(session, activity="R1", leader="L1", now=cut + timedelta(days=1))
    c_ful = service.get_order(session, order_id=c.id).fulfilment_id
    assert c_ful is not None
    assert codes.current(session, fulfilment_id=c_ful) is not None
    cr = settle.refund(session, order_id=c.id, data=_refund("rc", (1, 2, 0)), now=cut)
    assert cr.status == "refunded"
    assert fulfilment.get(session, fulfilment_id=c_ful).state == "cancelled"
    assert codes.current(session, fulfilment_id=c_ful) is None
    assert order_service.get_order(session, order_id=c.sales_order_id).status == "returned"
    assert _s1(session) == (50, 4, 46)
    retried = settle.refund(session, order_id=c.id, data=_refund("rc", (1, 2, 0)), now=cut)
    assert retried.refunded_fen == cr.refunded_fen
    assert _s1(session) == (50, 4, 46)  # nothing released twice

    # collected: only the units not refunded leave the shelf
    at = cut + timedelta(days=1, hours=1)
    for o in (a, b):
        fid = service.get_order(session, order_id=o.id).fulfilment_id
        assert fid is not None
        code = codes.current(session, fulfilment_id=fid)
        assert code is not None
        settle.pick_up(session, leader="L1", code=code.code, now=at)
    assert _s1(session) == (50 - 2 - 1, 1, 46)  # a 2 and b 1 handed over; e still waiting
    # after pickup: brought back to the point, restocked at L1's store except damaged units
    ar = settle.refund(session, order_id=a.id, data=_refund("ra2", (1, 2, 1), (2, 1, 0)), now=at)
    assert ar.status == "picked_up"
    assert ar.refunded_fen == ar.amount_fen
    assert _s1(session) == (48, 1, 47)  # one good unit of A1 back, the damaged one not
    assert _s1(session, "A2") == (50, 0, 50)  # A2 left with a and came back
    settle.refund(session, order_id=a.id, data=_refund("ra2", (1, 2, 1), (2, 1, 0)), now=at)
    assert _s1(session) == (48, 1, 47)  # a retry restocks nothing
    with pytest.raises(InvalidGroupBuy):
        settle.refund(session, order_id=a.id, data=_refund("ra3", (1, 1, 0)), now=at)
    # the units refunded count against what was sold: no RMA can take b's unit twice
    settle.refund(session, order_id=b.id, data=_refund("rb2", (1, 1, 0)), now=at)
    with pytest.raises(ReturnExceedsSold):
        create_return(
            session,
            data=ReturnCreate.model_validate(
                {
                    "key": "rma-b",
                    "order_ref": "G-B",
                    "channel": "groupbuy",
                    "receiving_store": "S1",
                    "lines": [{"line_ref": "1", "quantity": 1, "reason": "quality"}],
                }
            ),
        )
    assert _s1(session) == (49, 1, 48)
    moves = session.scalar(
        select(func.count()).select_from(StockMovement).where(StockMovement.kind == "return")
    )
    assert moves == 3  # a: 1 A1 + 1 A2, b: 1 A1
    assert inventory.verify(session) == []


def test_damaged_cannot_exceed_the_units_refunded() -> None:
    with pytest.raises(ValidationError):
        _refund("x", (1, 1, 2))
    with pytest.raises(ValidationError):
        RefundIn.model_validate({"idempotency_key": "  ", "lines": [{"line_no": 1, "quantity": 1}]})
