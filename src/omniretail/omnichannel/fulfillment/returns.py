"""Buy anywhere, return anywhere: a return (RMA) restocks the good units at the receiving store,
records the refund to the original tender (not processed here), and asks the registered return
hooks to reverse points and coupons through their own ledgers.

What may be returned is kept per order line (``ful_returnable``: sold, returned); a return
raises ``returned`` with one conditional update per line, and the database refuses
``returned > sold`` too, so concurrent returns can never exceed what was sold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment.errors import ReturnExceedsSold, ReturnRejected
from omniretail.omnichannel.fulfillment.hooks import (
    ReturnContext,
    ReturnedLine,
    return_hooks,
    timeline_sinks,
)
from omniretail.omnichannel.fulfillment.models import (
    ReturnableLine,
    ReturnablePart,
    ReturnAuthorization,
    ReturnLine,
)
from omniretail.omnichannel.fulfillment.schemas import ReturnCreate, ReturnRead
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.order import service as order_service
from omniretail.omnichannel.order.schemas import ReturnIn, ReturnLineIn
from omniretail.platform.db import utcnow
from omniretail.platform.keys import idempotency_key

REASONS = {
    "quality": "质量问题",
    "wrong_item": "发错商品",
    "damaged_in_transit": "运输破损",
    "not_as_described": "与描述不符",
    "changed_mind": "不想要了",
    "expired": "临期/过期",
    "other": "其他",
}


def record_sale(
    session: Session,
    *,
    order_ref: str,
    channel: str,
    customer_id: str | None,
    tender: str | None,
    lines: Sequence[tuple[str, str, int, int]],
    source: str | None = None,
) -> None:
    """Make an order's lines returnable: (line ref, sku, quantity, unit price in fen).

    Without ``source`` (a sale recorded once, e.g. a counter sale or another channel's order) a
    line already recorded keeps its first values (idempotent). With ``source`` (the fulfilment
    that handed the units over, ``ful:<id>``) each source's quantity is added to the line once:
    an order line split over two locations is sold by two fulfilments and returnable in full,
    and a repeated call for the same source adds nothing."""
    pg = session.get_bind().dialect.name == "postgresql"
    insert_ = pg_insert if pg else sqlite_insert
    merged: dict[str, tuple[str, int, int]] = {}
    for line_ref, sku, qty, price in lines:
        before = merged.get(line_ref)
        merged[line_ref] = (sku, qty + (before[1] if before else 0), price)
    for line_ref, (sku, qty, price) in sorted(merged.items()):
        if source is not None:
            counted = session.execute(
                insert_(ReturnablePart)
                .values(order_ref=order_ref, line_ref=line_ref, source=source, quantity=qty)
                .on_conflict_do_nothing()
                .returning(ReturnablePart.id)
            ).scalar()
            if counted is None:  # this source was recorded already
                continue
        ins = insert_(ReturnableLine).values(
            order_ref=order_ref,
            line_ref=line_ref,
            channel=channel,
            customer_id=customer_id,
            tender=tender,
            sku=sku,
            sold=qty,
            returned=0,
            unit_price_fen=price,
        )
        if source is None:
            session.execute(ins.on_conflict_do_nothing())
        else:
            session.execute(
                ins.on_conflict_do_update(
                    index_elements=["order_ref", "line_ref"],
                    set_={"sold": ReturnableLine.sold + ins.excluded.sold},
                )
            )
    session.flush()


def take_back(
    session: Session,
    *,
    order_ref: str,
    line_ref: str,
    quantity: int,
    restock: int,
    location: str,
    key: str,
    now: datetime | None = None,
) -> None:
    """Units of a collected order brought back outside an RMA (a channel's own after-sales,
    e.g. a group buy's refund at the leader's point): counted against what was sold (never
    more) and ``restock`` of them put back on the shelf at ``location`` — once per ``key``."""
    row = session.scalar(
        select(ReturnableLine)
        .where(ReturnableLine.order_ref == order_ref, ReturnableLine.line_ref == line_ref)
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise ReturnRejected(
            f"订单 {order_ref} 没有已售出的商品行 {line_ref}",
            f"order {order_ref} has no sold line {line_ref!r}",
            field="lines",
        )
    res = session.execute(
        update(ReturnableLine)
        .where(
            ReturnableLine.id == row.id, ReturnableLine.returned + quantity <= ReturnableLine.sold
        )
        .values(returned=ReturnableLine.returned + quantity)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        fresh = session.get(ReturnableLine, row.id, populate_existing=True)
        assert fresh is not None
        raise ReturnExceedsSold(
            line_ref=line_ref,
            sku=fresh.sku,
            sold=fresh.sold,
            returned=fresh.returned,
            requested=quantity,
        )
    if restock:
        inventory.return_stock(
            session,
            location=location,
            sku=row.sku,
            quantity=restock,
            key=f"{key}:{line_ref}",
            ref=f"order:{order_ref}",
            now=now,
        )
    session.flush()


def returnable(session: Session, *, order_ref: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ReturnableLine)
        .where(ReturnableLine.order_ref == order_ref)
        .order_by(ReturnableLine.line_ref)
    )
    return [
        {
            "line_ref": r.line_ref,
            "sku": r.sku,
            "sold": r.sold,
            "returned": r.returned,
            "unit_price_fen": r.unit_price_fen,
        }
        for r in rows
    ]


def _read(row: ReturnAuthorization) -> ReturnRead:
    return ReturnRead.model_validate(row)


def create_return(
    session: Session, *, data: ReturnCreate, now: datetime | None = None, actor: str | None = None
) -> ReturnRead:
    at = now or utcnow()
    key = idempotency_key("rma", data.key)
    done = session.scalar(select(ReturnAuthorization).where(ReturnAuthorization.key == key))
    if done is not None:
        return _read(done)
    store = inventory.get_location(session, code=data.receiving_store)
    wanted: dict[str, int] = {}
    for i, ln in enumerate(data.lines):
        if ln.damaged > ln.quantity:
            raise ReturnRejected(
                f"第 {i + 1} 行：破损数量 {ln.damaged} 大于退货数量 {ln.quantity}",
                f"line {i + 1}: {ln.damaged} damaged is more than the {ln.quantity} returned",
                field=f"lines[{i}].damaged",
            )
        if ln.reason not in REASONS:
            raise ReturnRejected(
                f"第 {i + 1} 行：未知的退货原因 {ln.reason}",
                f"line {i + 1}: unknown return reason {ln.reason!r}",
                field=f"lines[{i}].reason",
            )
        wanted[ln.line_ref] = wanted.get(ln.line_ref, 0) + ln.quantity
    rows = {
        r.line_ref: r
        for r in session.scalars(
            select(ReturnableLine)
            .where(
                ReturnableLine.order_ref == data.order_ref,
                ReturnableLine.line_ref.in_(list(wanted)),
            )
            .order_by(ReturnableLine.id)
            .execution_options(populate_existing=True)
        )
    }
    for line_ref in wanted:
        if line_ref not in rows:
            raise ReturnRejected(
                f"订单 {data.order_ref} 没有已售出的商品行 {line_ref}",
                f"order {data.order_ref} has no sold line {line_ref!r}",
                field="lines",
            )
    # raise 'returned' line by line in id order; a line that would exceed 'sold' is refused and
    # the caller's rollback undoes the lines before it
    for line_ref in sorted(wanted, key=lambda r: rows[r].id):
        qty = wanted[line_ref]
        res = session.execute(
            update(ReturnableLine)
            .where(
                ReturnableLine.id == rows[line_ref].id,
                ReturnableLine.returned + qty <= ReturnableLine.sold,
            )
            .values(returned=ReturnableLine.returned + qty)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            fresh = session.get(ReturnableLine, rows[line_ref].id, populate_existing=True)
            assert fresh is not None
            raise ReturnExceedsSold(
                line_ref=line_ref,
                sku=fresh.sku,
                sold=fresh.sold,
                returned=fresh.returned,
                requested=qty,
            )
    first = next(iter(rows.values()))
    rma = ReturnAuthorization(
        key=key,
        order_ref=data.order_ref,
        customer_id=first.customer_id,
        channel=data.channel,
        receiving_store=store.code,
        status="received",
        tender=first.tender,
        created_at=at,
    )
    session.add(rma)
    session.flush()
    returned: list[ReturnedLine] = []
    for ln in data.lines:
        src = rows[ln.line_ref]
        refund = ln.quantity * src.unit_price_fen
        session.add(
            ReturnLine(
                return_id=rma.id,
                line_ref=ln.line_ref,
                sku=src.sku,
                quantity=ln.quantity,
                damaged=ln.damaged,
                reason=ln.reason,
                refund_fen=refund,
            )
        )
        good = ln.quantity - ln.damaged
        if good:
            inventory.return_stock(
                session,
                location=store.code,
                sku=src.sku,
                quantity=good,
                key=f"{key}:{ln.line_ref}:{len(returned)}",
                ref=f"rma:{rma.id}",
                now=at,
            )
        returned.append(
            ReturnedLine(line_ref=ln.line_ref, sku=src.sku, quantity=ln.quantity, refund_fen=refund)
        )
    rma.refund_fen = sum(r.refund_fen for r in returned)
    total = int(
        session.scalar(
            select(
                func.coalesce(func.sum(ReturnableLine.sold * ReturnableLine.unit_price_fen), 0)
            ).where(ReturnableLine.order_ref == data.order_ref)
        )
        or 0
    )
    left = session.scalar(
        select(func.count())
        .select_from(ReturnableLine)
        .where(
            ReturnableLine.order_ref == data.order_ref,
            ReturnableLine.returned < ReturnableLine.sold,
        )
    )
    ctx = ReturnContext(
        return_key=key,
        order_ref=data.order_ref,
        customer_id=first.customer_id,
        channel=data.channel,
        store_code=store.code,
        lines=tuple(returned),
        refund_fen=rma.refund_fen,
        order_total_fen=total,
        bought_channel=first.channel,
        fully_returned=not left,
    )
    rma.reversals = {hook.name: hook(session, ctx) for hook in return_hooks()}
    _return_on_order(session, data, key, first.channel)
    rma.status = "refunded" if rma.refund_fen else "received"
    session.flush()
    if first.customer_id:
        event: dict[str, Any] = {
            "type": "track",
            "userId": first.customer_id,
            "event": "order_returned",
            "messageId": f"return:{rma.id}",
            "timestamp": at.isoformat(),
            "properties": {
                "order_id": data.order_ref,
                "return_id": rma.id,
                "refund_fen": rma.refund_fen,
                "store_code": store.code,
                "bought_in": first.channel,
                "returned_in": data.channel,
            },
            "context": {"channel": data.channel, "store_code": store.code},
        }
        for sink in timeline_sinks():
            sink(session, event)
    return _read(rma)


def _return_on_order(session: Session, data: ReturnCreate, key: str, bought_in: str) -> None:
    """An RMA of an operational order (``omnichannel.order``, whose line refs are its line
    numbers) is also the order's return: its status, returned units and refund follow, so the
    order stays the one record of the sale. The units were restocked here already."""
    order = order_service.find_order(session, channel_code=bought_in, external_id=data.order_ref)
    if order is None or order.status not in ("paid", "fulfilled", "partially_returned"):
        return
    numbers = {ln.line_no for ln in order.lines}
    lines = [
        ReturnLineIn(line_no=int(ln.line_ref), quantity=ln.quantity)
        for ln in data.lines
        if ln.line_ref.isdigit() and int(ln.line_ref) in numbers
    ]
    if not lines:
        return
    order_service.return_order(
        session,
        order_id=order.id,
        data=ReturnIn(
            lines=lines,
            reason=",".join(sorted({ln.reason for ln in data.lines}))[:256],
            idempotency_key=key[-100:],
        ),
        via_rma=True,
    )


def get_return(session: Session, *, return_id: int) -> ReturnRead:
    row = session.get(ReturnAuthorization, return_id)
    if row is None:
        raise ReturnRejected(
            f"退货单 {return_id} 不存在", f"no return {return_id}", field="return_id"
        )
    return _read(row)


def list_returns(
    session: Session, *, store_codes: Sequence[str] | None = None, limit: int = 100
) -> list[ReturnRead]:
    q = select(ReturnAuthorization).order_by(ReturnAuthorization.id.desc()).limit(limit)
    if store_codes is not None:
        q = q.where(ReturnAuthorization.receiving_store.in_(list(store_codes)))
    return [_read(r) for r in session.scalars(q)]
