"""What the stock ledger and fulfilment do when an operational order changes (registered with
``omnichannel.order.hooks``; the order service cannot reach the ledger itself).

- **An in-store sale** (``fulfillment = in_store``: a POS or clerk sale over the counter) takes its
  units off the store's shelf as ``sale`` movements keyed ``order:<id>:line:<n>`` (a replayed
  order moves nothing again) and makes its lines returnable in any store. The sale already
  happened at the till, so it is never refused for stock: when the ledger shows fewer free units
  than were sold, an ``adjust`` movement (reason ``pos_sale_unrecorded_stock``) first records the
  units the sale proves were there, and the sale follows — the ledger keeps explaining every
  unit, and the adjustment is what a stock controller reviews.
- **A return through the order** of an in-store sale puts the good units back at the store that
  sold them and counts them against what was sold (so a later return in another store cannot
  exceed it). A return taken in by an RMA (``via_rma``) was restocked where it came in already.
- **A cancelled in-store sale** (a voided ticket) puts back what had not been returned; a cancelled
  online order cancels its fulfilments that are still open (held stock released, stock that had
  left restocked once).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import flow, returns, service
from omniretail.omnichannel.fulfillment.models import Fulfilment, ReturnableLine
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.inventory.errors import InsufficientStock
from omniretail.omnichannel.order.hooks import OrderEvent, register_order_listener
from omniretail.omnichannel.order.models import SalesOrder

UNRECORDED = "pos_sale_unrecorded_stock"


def _tender(order: SalesOrder) -> str | None:
    pays = [t for t in order.tenders if t.kind == "payment"]
    return pays[0].method if pays else None


def _sell(session: Session, order: SalesOrder) -> None:
    assert order.store_code is not None
    ref = f"order:{order.channel_code}:{order.external_key}"
    for ln in order.lines:
        key = f"order:{order.id}:line:{ln.line_no}"

        def sell(sku: str = ln.sku, quantity: int = ln.quantity, key: str = key) -> None:
            assert order.store_code is not None
            inventory.sell(
                session,
                location=order.store_code,
                sku=sku,
                quantity=quantity,
                key=key,
                ref=ref,
                now=order.ordered_at,
            )

        try:
            sell()
        except InsufficientStock:
            # the level row is locked by now: what it shows stays true until the commit
            level = inventory.get_level(session, location=order.store_code, sku=ln.sku)
            inventory.adjust(
                session,
                location=order.store_code,
                sku=ln.sku,
                delta=ln.quantity - max(level.on_hand - level.reserved, 0),
                reason=UNRECORDED,
                key=f"{key}:found",
                now=order.ordered_at,
            )
            sell()
    returns.record_sale(
        session,
        order_ref=order.external_id,
        channel=order.channel_code,
        customer_id=order.customer_id,
        tender=_tender(order),
        lines=[
            (str(ln.line_no), ln.sku, ln.quantity, ln.amount_fen // ln.quantity)
            for ln in order.lines
        ],
    )


def _restock(session: Session, order: SalesOrder, event: OrderEvent) -> None:
    assert order.store_code is not None
    assert event.key is not None
    for u in event.returned:
        inventory.return_stock(
            session,
            location=order.store_code,
            sku=u.sku,
            quantity=u.quantity,
            key=f"{event.key}:line:{u.line_no}",
            ref=f"order:{order.channel_code}:{order.external_key}",
        )
        session.execute(
            update(ReturnableLine)
            .where(
                ReturnableLine.order_ref == order.external_id,
                ReturnableLine.line_ref == str(u.line_no),
            )
            .values(returned=ReturnableLine.returned + u.quantity)
            .execution_options(synchronize_session=False)
        )


def _void(session: Session, order: SalesOrder) -> None:
    assert order.store_code is not None
    for ln in order.lines:
        left = ln.quantity - ln.returned_qty
        if left > 0:
            inventory.return_stock(
                session,
                location=order.store_code,
                sku=ln.sku,
                quantity=left,
                key=f"order:{order.id}:void:{ln.line_no}",
                ref=f"order:{order.channel_code}:{order.external_key}",
            )


def _cancel_fulfilments(session: Session, order: SalesOrder) -> None:
    open_ids = session.scalars(
        select(Fulfilment.id)
        .where(Fulfilment.order_id == order.id, Fulfilment.state.not_in(sorted(flow.FINAL)))
        .order_by(Fulfilment.id)
    ).all()
    for fid in open_ids:
        service.cancel(session, fulfilment_id=fid, reason="customer", actor="order")


def on_order(session: Session, event: OrderEvent) -> None:
    order = event.order
    counter = order.fulfillment == "in_store" and order.store_code is not None
    if event.kind == "created" and counter:
        _sell(session, order)
    elif event.kind == "returned" and counter and not event.via_rma:
        _restock(session, order, event)
    elif event.kind == "cancelled":
        if counter:
            _void(session, order)
        else:
            _cancel_fulfilments(session, order)


register_order_listener(on_order)
