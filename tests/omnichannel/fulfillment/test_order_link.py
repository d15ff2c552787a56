"""The operational order is the one record of a sale: an in-store sale takes its units off the
shelf through the order, an online order is fulfilled from the order (its lines, customer and
tender), and the fulfilments' end, a return anywhere and a cancel show on the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes, returns
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import InvalidFulfilment, ReturnExceedsSold
from omniretail.omnichannel.fulfillment.order_hooks import UNRECORDED
from omniretail.omnichannel.fulfillment.schemas import ReturnCreate, ReturnLineIn
from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.models import StockMovement
from omniretail.omnichannel.order import service as orders
from omniretail.omnichannel.order.schemas import OrderCreate, ReturnIn, TenderIn
from omniretail.omnichannel.order.schemas import ReturnLineIn as OrderReturnLine
from tests.omnichannel.factories import order_in, retail_world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def stocked(session: Session, qty: int = 10) -> None:
    retail_world(session)
    for store in ("S1", "S2"):
        for sku in ("A1", "A2"):
            inv.receive(session, location=store, sku=sku, quantity=qty, key=f"init:{store}:{sku}")
    session.commit()


PRICE_FEN = {"A1": 5990, "A2": 3330}


def counter(ref: str, sku: str, qty: int) -> OrderCreate:
    """A paid sale over the counter at S1."""
    paid = {"method": "cash", "amount_fen": PRICE_FEN[sku] * qty}
    return order_in(external_id=ref, lines=[{"sku": sku, "quantity": qty}], tenders=[paid])


def on_hand(session: Session, store: str, sku: str) -> int:
    return inv.get_level(session, location=store, sku=sku).on_hand


def test_counter_sale_takes_stock_once_and_a_return_puts_it_back(session: Session) -> None:
    stocked(session)
    sale = counter("T-1", "A1", 3)
    o = orders.create_order(session, data=sale)
    session.commit()
    assert on_hand(session, "S1", "A1") == 7
    orders.create_order(session, data=counter(" t-1 ", "A1", 3))
    session.commit()
    assert on_hand(session, "S1", "A1") == 7  # a replayed order moves nothing again
    orders.return_order(
        session,
        order_id=o.id,
        data=ReturnIn(lines=[OrderReturnLine(line_no=1, quantity=2)], idempotency_key="R1"),
    )
    session.commit()
    assert on_hand(session, "S1", "A1") == 9
    # the order's return counts against what was sold: an RMA elsewhere may take 1 more, not 2
    with pytest.raises(ReturnExceedsSold):
        returns.create_return(
            session,
            data=ReturnCreate(
                key="RMA-X", order_ref="T-1", channel="pos", receiving_store="S2",
                lines=[ReturnLineIn(line_ref="1", quantity=2, reason="quality")],
            ),
        )  # fmt: skip
    session.rollback()
    assert inv.verify(session) == []


def test_a_sale_the_ledger_did_not_expect_is_recorded_with_an_adjustment(
    session: Session,
) -> None:
    stocked(session, qty=1)
    orders.create_order(session, data=counter("T-2", "A2", 3))
    session.commit()
    assert on_hand(session, "S1", "A2") == 0
    kinds = session.execute(
        select(StockMovement.kind, StockMovement.d_on_hand, StockMovement.note).order_by(
            StockMovement.id
        )
    ).all()
    assert (kinds[-2].kind, kinds[-2].d_on_hand, kinds[-2].note) == ("adjust", 2, UNRECORDED)
    assert (kinds[-1].kind, kinds[-1].d_on_hand) == ("sale", -3)
    assert inv.verify(session) == []


def test_voiding_a_counter_sale_restocks_it_once(session: Session) -> None:
    stocked(session)
    o = orders.create_order(session, data=counter("T-3", "A1", 4))
    assert on_hand(session, "S1", "A1") == 6
    orders.cancel_order(session, order_id=o.id, reason="voided")
    orders.cancel_order(session, order_id=o.id, reason="voided")  # a retry changes nothing
    session.commit()
    assert on_hand(session, "S1", "A1") == 10
    assert inv.verify(session) == []


def online(ref: str, **kw: object) -> dict[str, object]:
    return {
        "channel_code": "miniprogram",
        "external_id": ref,
        "origin": "miniprogram",
        "fulfillment": "pickup",
        "store_code": "S2",
        "lines": [{"sku": "A1", "quantity": 2}, {"sku": "A2", "quantity": 1}],
        **kw,
    }


def test_pickup_order_is_fulfilled_from_the_order_and_completes_it(session: Session) -> None:
    stocked(session)
    o = orders.create_order(session, data=order_in(**online("WX-1")))
    paid = orders.pay_order(
        session,
        order_id=o.id,
        tenders=[TenderIn(method="wechat", amount_fen=o.total_fen, reference="wx-pay-1")],
    )
    assert paid.status == "paid"
    assert on_hand(session, "S2", "A1") == 10  # an online order reserves, it does not sell
    [f] = ful.place_for_order(session, order_id=o.id, now=T0)
    assert (f.store_code, f.customer_id, f.order_ref) == ("S2", o.customer_id, "WX-1")
    assert [(ln.line_ref, ln.sku, ln.quantity) for ln in f.lines] == [
        ("1", "A1", 2),
        ("2", "A2", 1),
    ]
    assert ful.place_for_order(session, order_id=o.id, now=T0)[0].id == f.id  # idempotent
    assert inv.get_level(session, location="S2", sku="A1").reserved == 2
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    ful.mark_ready(session, fulfilment_id=f.id, now=T0 + timedelta(minutes=15))
    code = codes.current(session, fulfilment_id=f.id)
    assert code is not None
    codes.verify(
        session, store_code="S2", code=code.code, terminal="T1", now=T0 + timedelta(hours=1)
    )
    session.commit()
    done = orders.get_order(session, order_id=o.id)
    assert done.status == "fulfilled"
    assert on_hand(session, "S2", "A1") == 8
    # a return in another store restocks there and is the order's return too
    returns.create_return(
        session,
        data=ReturnCreate(
            key="RMA-2", order_ref="WX-1", channel="pos", receiving_store="S1",
            lines=[ReturnLineIn(line_ref="1", quantity=1, reason="quality")],
        ),
    )  # fmt: skip
    session.commit()
    back = orders.get_order(session, order_id=o.id)
    assert back.status == "partially_returned"
    assert [ln.returned_qty for ln in back.lines] == [1, 0]
    assert (on_hand(session, "S1", "A1"), on_hand(session, "S2", "A1")) == (11, 8)
    assert inv.verify(session) == []


def test_uncollected_pickup_cancels_the_order_and_cancelling_the_order_releases_stock(
    session: Session,
) -> None:
    stocked(session)
    o = orders.create_order(
        session,
        data=order_in(**online("WX-2", tenders=[{"method": "wechat", "amount_fen": 15310}])),
    )
    assert o.status == "paid"  # 2 x 59.90 + 33.30
    [f] = ful.place_for_order(session, order_id=o.id, now=T0)
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    ful.mark_ready(session, fulfilment_id=f.id, now=T0)
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=3, minutes=1)) == 1
    session.commit()
    gone = orders.get_order(session, order_id=o.id)
    assert gone.status == "cancelled"
    assert gone.refunded_fen == gone.paid_fen
    assert inv.get_level(session, location="S2", sku="A1").reserved == 0

    o2 = orders.create_order(session, data=order_in(**online("WX-3")))
    [f2] = ful.place_for_order(session, order_id=o2.id, now=T0)
    assert inv.get_level(session, location="S2", sku="A1").reserved == 2
    orders.cancel_order(session, order_id=o2.id, reason="customer changed mind")
    session.commit()
    assert ful.get(session, fulfilment_id=f2.id).state == "cancelled"
    assert inv.get_level(session, location="S2", sku="A1").reserved == 0
    assert inv.verify(session) == []


def test_a_counter_sale_has_nothing_to_fulfil(session: Session) -> None:
    stocked(session)
    o = orders.create_order(session, data=order_in(external_id="T-9"))
    with pytest.raises(InvalidFulfilment, match="over the counter"):
        ful.place_for_order(session, order_id=o.id)
