"""Operational orders: create (idempotent per channel and external order id), read, and the
status lifecycle with its legal transitions. Services flush; the caller commits.

Lifecycle::

    placed ──pay──▶ paid ──fulfil──▶ fulfilled
      │              │  ╲               │
      └──cancel──▶ cancelled  ╲return   └──return──▶ partially_returned ──return──▶ returned
                     ▲ (refund)  ╲────────────────────────────▲

A replayed create returns the stored order; a replay with a different body is refused with a 409
naming the first field that differs. Transitions that were already applied are answered with
the order as it is (a retried pay, fulfil or cancel changes nothing); returns carry their own
idempotency key. Never more is returned than was sold, also under concurrent requests: the
order row is locked (``SELECT .. FOR UPDATE`` on PostgreSQL) while a return is applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.order.basket import Basket, BasketLine
from omniretail.omnichannel.order.errors import (
    IllegalTransition,
    InvalidOrder,
    OrderNotFound,
    OrderReplayConflict,
)
from omniretail.omnichannel.order.hooks import OrderEvent, ReturnedUnits, emit
from omniretail.omnichannel.order.models import (
    OrderStatusChange,
    OrderTender,
    SalesOrder,
    SalesOrderLine,
)
from omniretail.omnichannel.order.pricing import PricingResult, get_pricing
from omniretail.omnichannel.order.schemas import (
    OrderCreate,
    OrderLanding,
    OrderRead,
    ReturnIn,
    StatusChangeRead,
    TenderIn,
)
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.product.errors import UnknownProduct
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.store import service as store_service
from omniretail.platform.db import utcnow
from omniretail.platform.keys import idempotency_key, normalize_key

LEGAL: dict[str, frozenset[str]] = {
    "placed": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"fulfilled", "cancelled", "partially_returned", "returned"}),
    "fulfilled": frozenset({"partially_returned", "returned"}),
    # cancelled: only while nothing was handed over (cancel_order checks fulfilled_at)
    "partially_returned": frozenset({"partially_returned", "returned", "cancelled"}),
    "cancelled": frozenset(),
    "returned": frozenset(),
}


def _query() -> Select[SalesOrder]:
    return select(SalesOrder).options(
        selectinload(SalesOrder.lines), selectinload(SalesOrder.tenders)
    )


def to_read(order: SalesOrder) -> OrderRead:
    return OrderRead.model_validate(order)


def order_ref(channel_code: str, external_id: str) -> str:
    """The order's idempotency reference, e.g. ``pos:s001-000123`` (pricing commits use it)."""
    return idempotency_key(channel_code, external_id)


def canonical_request(data: OrderCreate) -> dict[str, Any]:
    """The body as stored for replay comparison: codes and the external id normalised."""
    body = data.model_dump(mode="json")
    body["channel_code"] = normalize_key(data.channel_code)
    body["external_id"] = normalize_key(data.external_id)
    return body


def _first_difference(old: Any, new: Any, path: str = "") -> str | None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            d = _first_difference(old.get(k), new.get(k), f"{path}.{k}" if path else k)
            if d:
                return d
        return None
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return path
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            d = _first_difference(a, b, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if old == new else (path or "body")


def _replay(order: SalesOrder, data: OrderCreate) -> OrderRead:
    field = _first_difference(order.request, canonical_request(data))
    if field is not None:
        raise OrderReplayConflict(data.external_id, field)
    return to_read(order)


def _find(session: Session, channel_code: str, key: str) -> SalesOrder | None:
    return session.scalars(
        _query().where(SalesOrder.channel_code == channel_code, SalesOrder.external_key == key)
    ).first()


def _basket(session: Session, data: OrderCreate, channel_code: str) -> tuple[Basket, list[str]]:
    products = product_service.get_products(session, skus=[ln.sku for ln in data.lines])
    lines: list[BasketLine] = []
    names: list[str] = []
    for i, ln in enumerate(data.lines):
        p = products.get(ln.sku)
        if p is None:
            raise UnknownProduct(ln.sku, field=f"lines[{i}].sku")
        fen = ln.unit_price_fen if ln.unit_price_fen is not None else p.price_fen
        lines.append(
            BasketLine(
                sku=p.sku,
                quantity=ln.quantity,
                unit_price=Decimal(fen) / 100,
                category_code=p.category_code,
                team_buy_group_id=ln.team_buy_group_id,
            )
        )
        names.append(p.name)
    shipping = Decimal(data.shipping_fen) / 100
    return (
        Basket(
            customer_id=data.customer_id,
            store_code=data.store_code,
            channel_code=channel_code,
            lines=lines,
            shipping_fee=shipping,
        ),
        names,
    )


def _tender_sum(tenders: Sequence[TenderIn]) -> int:
    return sum(t.amount_fen for t in tenders)


def _change(
    session: Session,
    order: SalesOrder,
    to: str,
    *,
    reason: str | None = None,
    key: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    if to != order.status and to not in LEGAL[order.status]:
        raise IllegalTransition(order.status, to)
    session.add(
        OrderStatusChange(
            order_id=order.id,
            from_status=order.status,
            to_status=to,
            at=utcnow(),
            reason=reason,
            idempotency_key=key,
            detail=detail,
        )
    )
    order.status = to
    order.version += 1


def quote(session: Session, *, data: OrderCreate) -> PricingResult:
    """What the order would cost, changing nothing (the checkout's price preview)."""
    channel = channel_service.get_channel(session, code=data.channel_code)
    basket, _ = _basket(session, data, channel.code)
    provider = get_pricing(data.pricing)
    if provider is None:
        return PricingResult(line_discount_fen=[0] * len(basket.lines))
    return provider.quote(session, basket=basket, coupon_codes=data.coupon_codes)


def create_order(session: Session, *, data: OrderCreate) -> OrderRead:
    """Create the order, or return it when this (channel, external id) was created before with
    the same body. Unknown channel, store, staff or SKU, tenders that do not add up and a
    discount the pricing provider cannot honour are errors naming the field; nothing is
    half-applied (the pricing commit and the rows share one savepoint)."""
    channel = channel_service.get_channel(session, code=data.channel_code)
    key = normalize_key(data.external_id)
    found = _find(session, channel.code, key)
    if found is not None:
        return _replay(found, data)
    if data.store_code is not None:
        store_service.get_store(session, code=data.store_code)
    if data.staff_id is not None:
        staff_service.get_staff(session, staff_id=data.staff_id)
    basket, names = _basket(session, data, channel.code)
    provider = get_pricing(data.pricing)
    ref = order_ref(channel.code, data.external_id)
    try:
        with session.begin_nested():
            if provider is None:
                priced = PricingResult(line_discount_fen=[0] * len(basket.lines))
            else:
                priced = provider.commit(
                    session, basket=basket, coupon_codes=data.coupon_codes, order_ref=ref
                )
            order = _new_order(session, data, channel.code, key, basket, names, priced)
            order.pricing = provider.name if provider is not None else None
            session.flush()
            emit(session, OrderEvent("created", order))
    except IntegrityError:
        # a concurrent request created it first: answer as a replay
        found = _find(session, channel.code, key)
        if found is None:
            raise
        return _replay(found, data)
    return to_read(order)


def _new_order(
    session: Session,
    data: OrderCreate,
    channel_code: str,
    key: str,
    basket: Basket,
    names: list[str],
    priced: PricingResult,
) -> SalesOrder:
    if len(priced.line_discount_fen) != len(basket.lines):
        raise InvalidOrder(
            "计价结果与订单行数不符 (pricing returned the wrong lines)", field="pricing"
        )
    lines: list[SalesOrderLine] = []
    for i, (b, disc) in enumerate(zip(basket.lines, priced.line_discount_fen, strict=True)):
        price_fen = int(b.unit_price * 100)
        gross = price_fen * b.quantity
        lines.append(
            SalesOrderLine(
                line_no=i + 1,
                sku=b.sku,
                name=names[i][:128],
                quantity=b.quantity,
                unit_price_fen=price_fen,
                discount_fen=min(disc, gross),
                amount_fen=gross - min(disc, gross),
                returned_qty=0,
            )
        )
    gross_fen = sum(ln.unit_price_fen * ln.quantity for ln in lines)
    discount_fen = sum(ln.discount_fen for ln in lines)
    shipping_off = min(priced.shipping_off_fen, data.shipping_fen)
    total = gross_fen - discount_fen + data.shipping_fen - shipping_off
    paid = _tender_sum(data.tenders)
    if data.tenders and paid != total:
        raise InvalidOrder(
            f"支付合计 {paid} 分与应付 {total} 分不符 (tenders add up to {paid}, the order "
            f"is {total} fen)",
            field="tenders",
        )
    now = utcnow()
    status = "paid" if (data.tenders or total == 0) else "placed"
    order = SalesOrder(
        channel_code=channel_code,
        external_id=data.external_id,
        external_key=key,
        origin=data.origin,
        store_code=data.store_code,
        staff_id=data.staff_id,
        customer_id=data.customer_id,
        buyer=data.buyer.model_dump(exclude_none=True) if data.buyer else None,
        fulfillment=data.fulfillment,
        status=status,
        currency="CNY",
        gross_fen=gross_fen,
        discount_fen=discount_fen + shipping_off,
        shipping_fen=data.shipping_fen,
        total_fen=total,
        paid_fen=paid if data.tenders else 0,
        refunded_fen=0,
        discounts=[d.model_dump() for d in priced.discounts],
        coupon_codes=list(data.coupon_codes),
        live_code=data.live_code,
        live_link=data.live_link,
        request=canonical_request(data),
        ordered_at=data.ordered_at or now,
        paid_at=now if status == "paid" else None,
        version=1,
        landed_version=0,
        lines=lines,
        tenders=[
            OrderTender(
                kind="payment",
                method=t.method,
                amount_fen=t.amount_fen,
                reference=t.reference,
                recorded_at=now,
            )
            for t in data.tenders
        ],
    )
    session.add(order)
    session.flush()
    session.add(OrderStatusChange(order_id=order.id, from_status=None, to_status=status, at=now))
    return order


def _load(session: Session, order_id: int, *, lock: bool = False) -> SalesOrder:
    q = _query().where(SalesOrder.id == order_id)
    if lock:
        q = q.with_for_update(of=SalesOrder)
    order = session.scalars(q).first()
    if order is None:
        raise OrderNotFound(order_id)
    return order


def get_order(session: Session, *, order_id: int) -> OrderRead:
    """The order with this id; raises :class:`OrderNotFound`."""
    return to_read(_load(session, order_id))


def find_order(session: Session, *, channel_code: str, external_id: str) -> OrderRead | None:
    """The order a channel knows by ``external_id`` (any spelling), or None."""
    found = _find(session, normalize_key(channel_code), normalize_key(external_id))
    return None if found is None else to_read(found)


def list_orders(
    session: Session,
    *,
    store_codes: Sequence[str] | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    channel_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[OrderRead]:
    """Orders, newest first; ``store_codes`` limits them to those stores (a store scope)."""
    q = _query().order_by(SalesOrder.ordered_at.desc(), SalesOrder.id.desc())
    if store_codes is not None:
        q = q.where(SalesOrder.store_code.in_(list(store_codes)))
    if status is not None:
        q = q.where(SalesOrder.status == status)
    if customer_id is not None:
        q = q.where(SalesOrder.customer_id == customer_id)
    if channel_code is not None:
        q = q.where(SalesOrder.channel_code == normalize_key(channel_code))
    return [to_read(o) for o in session.scalars(q.limit(limit).offset(offset))]


def order_history(session: Session, *, order_id: int) -> list[StatusChangeRead]:
    _load(session, order_id)
    rows = session.scalars(
        select(OrderStatusChange)
        .where(OrderStatusChange.order_id == order_id)
        .order_by(OrderStatusChange.id)
    )
    return [StatusChangeRead.model_validate(r) for r in rows]


def pay_order(session: Session, *, order_id: int, tenders: Sequence[TenderIn]) -> OrderRead:
    """Record the payment of a placed order; the tenders must add up to what is due. A retried
    payment (the same tender references) returns the paid order."""
    order = _load(session, order_id, lock=True)
    refs = {t.reference for t in order.tenders if t.kind == "payment" and t.reference}
    if order.status != "placed" and tenders and all(t.reference in refs for t in tenders):
        return to_read(order)
    if order.status != "placed":
        raise IllegalTransition(order.status, "paid")
    due = order.total_fen - order.paid_fen
    got = _tender_sum(tenders)
    if got != due:
        raise InvalidOrder(
            f"支付合计 {got} 分与应付 {due} 分不符 (tenders add up to {got}, {due} fen are due)",
            field="tenders",
        )
    now = utcnow()
    for t in tenders:
        order.tenders.append(
            OrderTender(
                kind="payment",
                method=t.method,
                amount_fen=t.amount_fen,
                reference=t.reference,
                recorded_at=now,
            )
        )
    order.paid_fen += got
    order.paid_at = now
    _change(session, order, "paid")
    session.flush()
    return to_read(order)


def fulfil_order(session: Session, *, order_id: int, at: datetime | None = None) -> OrderRead:
    """The customer has the goods (handed over, delivered, collected). Idempotent."""
    order = _load(session, order_id, lock=True)
    if order.status == "fulfilled":
        return to_read(order)
    _change(session, order, "fulfilled")
    order.fulfilled_at = at or utcnow()
    session.flush()
    return to_read(order)


def cancel_order(session: Session, *, order_id: int, reason: str | None = None) -> OrderRead:
    """Cancel a placed or paid order; what was paid is refunded to the same tenders (recorded,
    not processed). Idempotent."""
    order = _load(session, order_id, lock=True)
    if order.status == "cancelled":
        return to_read(order)
    before = order.status
    if before == "partially_returned" and order.fulfilled_at is not None:
        raise IllegalTransition(before, "cancelled")  # handed over: only returns are left
    _change(session, order, "cancelled", reason=reason)
    now = utcnow()
    # what is still paid goes back to the tenders it was paid with: refunds already made
    # (a part refunded before the cancel, e.g. a group-buy refund before its cut-off) are
    # taken off each method's payments first, so nothing is refunded twice
    already: dict[str, int] = {}
    for t in order.tenders:
        if t.kind == "refund":
            already[t.method] = already.get(t.method, 0) + t.amount_fen
    left = max(order.paid_fen - order.refunded_fen, 0)  # refunds to another method count too
    for t in [t for t in order.tenders if t.kind == "payment"]:
        taken = min(already.get(t.method, 0), t.amount_fen)
        already[t.method] = already.get(t.method, 0) - taken
        amount = min(t.amount_fen - taken, left)
        left -= amount
        if amount > 0:
            order.tenders.append(
                OrderTender(
                    kind="refund",
                    method=t.method,
                    amount_fen=amount,
                    reference=t.reference,
                    recorded_at=now,
                )
            )
    order.refunded_fen = order.paid_fen
    order.cancelled_at = now
    session.flush()
    emit(session, OrderEvent("cancelled", order, previous_status=before))
    return to_read(order)


def return_order(
    session: Session, *, order_id: int, data: ReturnIn, via_rma: bool = False
) -> OrderRead:
    """Return some units of a paid or fulfilled order, refunded pro rata to the line's payable
    amount (to the fen: returning every unit refunds exactly the line). A retry with the same
    idempotency key returns the order unchanged; more than was sold is refused per line.
    ``via_rma``: the fulfilment's return (RMA) already restocked the units where they came in."""
    order = _load(session, order_id, lock=True)
    key = idempotency_key("return", order.id, data.idempotency_key)
    if session.scalar(select(OrderStatusChange.id).where(OrderStatusChange.idempotency_key == key)):
        return to_read(order)
    by_no = {ln.line_no: ln for ln in order.lines}
    asked: dict[int, int] = {}
    for i, r in enumerate(data.lines):
        ln = by_no.get(r.line_no)
        if ln is None:
            raise InvalidOrder(
                f"订单没有第 {r.line_no} 行 (the order has no line {r.line_no})",
                field=f"lines[{i}].line_no",
            )
        asked[r.line_no] = asked.get(r.line_no, 0) + r.quantity
        left = ln.quantity - ln.returned_qty
        if asked[r.line_no] > left:
            raise InvalidOrder(
                f"第 {r.line_no} 行退货 {asked[r.line_no]} 件，超过可退的 {left} 件 "
                f"(line {r.line_no}: returning {asked[r.line_no]}, only {left} left)",
                field=f"lines[{i}].quantity",
            )
    refund = 0
    detail: list[dict[str, Any]] = []
    for no, qty in asked.items():
        ln = by_no[no]
        before = ln.amount_fen * ln.returned_qty // ln.quantity
        after = ln.amount_fen * (ln.returned_qty + qty) // ln.quantity
        refund += after - before
        ln.returned_qty += qty
        detail.append({"line_no": no, "sku": ln.sku, "quantity": qty, "refund_fen": after - before})
    done = all(ln.returned_qty == ln.quantity for ln in order.lines)
    previous = order.status
    _change(
        session,
        order,
        "returned" if done else "partially_returned",
        reason=data.reason,
        key=key,
        detail={"lines": detail, "refund_fen": refund},
    )
    payments = [t for t in order.tenders if t.kind == "payment"]
    method = data.refund_method or (payments[0].method if payments else "other")
    if refund:
        order.tenders.append(
            OrderTender(kind="refund", method=method, amount_fen=refund, recorded_at=utcnow())
        )
    order.refunded_fen += refund
    session.flush()
    emit(
        session,
        OrderEvent(
            "returned",
            order,
            previous_status=previous,
            returned=tuple(ReturnedUnits(no, by_no[no].sku, qty) for no, qty in asked.items()),
            key=key,
            via_rma=via_rma,
        ),
    )
    return to_read(order)


# -- the analytics drain (cdp.ingest reads through these) --------------------------------------


def orders_to_land(session: Session, *, limit: int = 10_000) -> list[OrderLanding]:
    """Orders changed since analytics last received them (``version > landed_version``), with
    their lines and buyer identifiers; oldest first."""
    rows = session.scalars(
        _query()
        .where(SalesOrder.version > SalesOrder.landed_version)
        .order_by(SalesOrder.id)
        .limit(limit)
    )
    return [OrderLanding.model_validate(o) for o in rows]


def mark_landed(session: Session, *, versions: dict[int, int]) -> None:
    """Record that analytics has each order (id) at this version."""
    ids = list(versions)
    for i in range(0, len(ids), 5000):
        for order in session.scalars(
            select(SalesOrder).where(SalesOrder.id.in_(ids[i : i + 5000]))
        ):
            order.landed_version = max(order.landed_version, versions[order.id])
    session.flush()
