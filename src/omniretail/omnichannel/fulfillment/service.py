"""Fulfilment verbs: place (allocate + reserve), move through the state machine, report a
shortage (reallocate or refund), cancel (release or restock once), expire uncollected pickups.

Every state change locks the fulfilment row, checks the transition against ``flow``, writes a
``ful_event`` and hands a track event to the timeline sinks. Services flush; callers commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import flow
from omniretail.omnichannel.fulfillment.errors import (
    FulfilmentNotFound,
    InvalidFulfilment,
    NotAllocatable,
    OutOfRange,
)
from omniretail.omnichannel.fulfillment.hooks import timeline_sinks
from omniretail.omnichannel.fulfillment.models import (
    Delivery,
    Fulfilment,
    FulfilmentEvent,
    FulfilmentLine,
    PickupCode,
)
from omniretail.omnichannel.fulfillment.notify import REASON_ZH, notify, when
from omniretail.omnichannel.fulfillment.schemas import (
    DeliveryRead,
    EventRead,
    FulfilmentCreate,
    FulfilmentRead,
    LineRead,
    OrderLineIn,
)
from omniretail.omnichannel.inventory import allocation
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.inventory.errors import InsufficientStock
from omniretail.omnichannel.inventory.schemas import AllocationPart, ReservationLine
from omniretail.omnichannel.order import service as order_service
from omniretail.platform.db import utcnow
from omniretail.platform.keys import idempotency_key

PICKUP_RADIUS_KM = 10.0
# a pickup waiting for its customer (at the counter or in a locker): the hold, reminders and
# the no-show apply
WAITING = ("ready_for_pickup", "in_locker")
COLLECTABLE = ("ready_for_pickup", "in_locker", "customer_arrived")  # a code hands it over
DELIVERY_RADIUS_KM = 10.0


# --- reading ---------------------------------------------------------------------------------


def _row(session: Session, fulfilment_id: int) -> Fulfilment:
    row = session.get(Fulfilment, fulfilment_id, populate_existing=True)
    if row is None:
        raise FulfilmentNotFound(fulfilment_id)
    return row


def _lines(session: Session, fulfilment_id: int) -> list[FulfilmentLine]:
    return list(
        session.scalars(
            select(FulfilmentLine)
            .where(FulfilmentLine.fulfilment_id == fulfilment_id)
            .order_by(FulfilmentLine.line_no)
        )
    )


def read(session: Session, row: Fulfilment) -> FulfilmentRead:
    d = session.scalar(select(Delivery).where(Delivery.fulfilment_id == row.id))
    return FulfilmentRead(
        id=row.id,
        order_ref=row.order_ref,
        channel=row.channel,
        customer_id=row.customer_id,
        mode=row.mode,
        pickup_kind=row.pickup_kind,
        slot_start=row.slot_start,
        slot_end=row.slot_end,
        locker_box=row.locker_box,
        parcel_point=row.parcel_point,
        point_code=row.point_code,
        parking_spot=row.parking_spot,
        arrived_at=row.arrived_at,
        store_code=row.store_code,
        state=row.state,
        state_zh=flow.STATE_ZH[row.state],
        allocation_zh=row.allocation_zh,
        allocation_en=row.allocation_en,
        hold_until=row.hold_until,
        placed_at=row.placed_at,
        ready_at=row.ready_at,
        completed_at=row.completed_at,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        refund_fen=row.refund_fen,
        parent_id=row.parent_id,
        lines=[LineRead.model_validate(ln) for ln in _lines(session, row.id)],
        allowed=flow.allowed_events(row.mode, row.state, row.pickup_kind),
        delivery=DeliveryRead.model_validate(d) if d else None,
    )


def get(session: Session, *, fulfilment_id: int) -> FulfilmentRead:
    return read(session, _row(session, fulfilment_id))


def for_order(session: Session, *, channel: str, order_ref: str) -> list[FulfilmentRead]:
    rows = session.scalars(
        select(Fulfilment)
        .where(Fulfilment.channel == channel, Fulfilment.order_ref == order_ref)
        .order_by(Fulfilment.id)
    )
    return [read(session, r) for r in rows]


def list_fulfilments(
    session: Session,
    *,
    store_codes: Sequence[str] | None = None,
    state: str | None = None,
    mode: str | None = None,
    limit: int = 200,
) -> list[FulfilmentRead]:
    """Newest first; ``store_codes`` None means every store (HQ)."""
    q = select(Fulfilment).order_by(Fulfilment.id.desc()).limit(limit)
    if store_codes is not None:
        q = q.where(Fulfilment.store_code.in_(list(store_codes)))
    if state:
        q = q.where(Fulfilment.state == state)
    if mode:
        q = q.where(Fulfilment.mode == mode)
    return [read(session, r) for r in session.scalars(q)]


def history(session: Session, *, fulfilment_id: int) -> list[EventRead]:
    rows = session.scalars(
        select(FulfilmentEvent)
        .where(FulfilmentEvent.fulfilment_id == fulfilment_id)
        .order_by(FulfilmentEvent.id)
    )
    return [EventRead.model_validate(r) for r in rows]


# --- locking and transitions -----------------------------------------------------------------


def lock(session: Session, fulfilment_id: int) -> Fulfilment:
    """Lock the fulfilment row (PostgreSQL: FOR UPDATE; SQLite: the write lock) and reload it."""
    if session.get_bind().dialect.name == "postgresql":
        row = session.scalar(
            select(Fulfilment)
            .where(Fulfilment.id == fulfilment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    else:
        session.execute(
            update(Fulfilment)
            .where(Fulfilment.id == fulfilment_id)
            .values(version=Fulfilment.version + 1)
            .execution_options(synchronize_session=False)
        )
        row = session.get(Fulfilment, fulfilment_id, populate_existing=True)
    if row is None:
        raise FulfilmentNotFound(fulfilment_id)
    return row


def transition(
    session: Session,
    row: Fulfilment,
    event: str,
    *,
    actor: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> str:
    """Move a locked fulfilment by ``event`` (IllegalTransition if the flow forbids it)."""
    at = now or utcnow()
    before = row.state
    row.state = flow.next_state(row.mode, before, event, row.pickup_kind)
    ev = FulfilmentEvent(
        fulfilment_id=row.id,
        event=event,
        from_state=before,
        to_state=row.state,
        actor=actor,
        note=note,
        at=at,
    )
    session.add(ev)
    session.flush()
    _publish(session, row, ev)
    if row.order_id is not None and row.state in flow.FINAL:
        _sync_order(session, row, at, note)
    return row.state


def _sync_order(session: Session, row: Fulfilment, at: datetime, note: str | None) -> None:
    """Reflect a finished fulfilment on its operational order: once every fulfilment of the
    order is final, the order is fulfilled (something reached the customer) or cancelled
    (nothing did). An unpaid order handed over stays unpaid: the till records the payment."""
    assert row.order_id is not None
    states = session.scalars(
        select(Fulfilment.state).where(Fulfilment.order_id == row.order_id)
    ).all()
    if any(s not in flow.FINAL for s in states):
        return
    order = order_service.get_order(session, order_id=row.order_id)
    if all(s == "cancelled" for s in states):
        if order.status in ("placed", "paid"):
            order_service.cancel_order(
                session, order_id=row.order_id, reason=f"fulfilment:{note or 'cancelled'}"
            )
    elif order.status == "paid":
        order_service.fulfil_order(session, order_id=row.order_id, at=at)


def _publish(session: Session, row: Fulfilment, ev: FulfilmentEvent) -> None:
    if not row.customer_id:
        return
    event: dict[str, Any] = {
        "type": "track",
        "userId": row.customer_id,
        "event": f"fulfilment_{ev.to_state}",
        "messageId": f"fulfilment:{row.id}:{ev.id}",
        "timestamp": ev.at.isoformat(),
        "properties": {
            "order_id": row.order_ref,
            "fulfilment_id": row.id,
            "mode": row.mode,
            "state": ev.to_state,
            "state_zh": flow.STATE_ZH[ev.to_state],
            "event": ev.event,
            "store_code": row.store_code,
            "note": ev.note,
        },
        "context": {"channel": row.channel, "store_code": row.store_code},
    }
    for sink in timeline_sinks():
        sink(session, event)


# --- placing ----------------------------------------------------------------------------------


def place(
    session: Session, *, data: FulfilmentCreate, now: datetime | None = None
) -> list[FulfilmentRead]:
    """Allocate an online order to locations, reserve the stock and create one fulfilment per
    location (idempotent on channel + order number). Units no location can supply are
    recorded as refunded on the first fulfilment; an order nothing can be allocated to is
    refused (NotAllocatable) and nothing is written."""
    at = now or utcnow()
    key = idempotency_key(data.channel, data.order_ref)
    existing = session.scalars(
        select(Fulfilment)
        .where(Fulfilment.order_ref == data.order_ref, Fulfilment.channel == data.channel)
        .order_by(Fulfilment.id)
    ).all()
    if existing:
        return [read(session, r) for r in existing]
    _check(data)
    for attempt in range(3):
        result = _allocate(session, data)
        if not result.parts:
            raise NotAllocatable(
                "所有可用门店/仓库都没有该订单的库存：" + result.explanation_zh,
                "no location can supply this order: " + result.explanation_en,
                field="lines",
            )
        try:
            rows = _create(
                session, data, key, result.parts, result.explanation_zh, result.explanation_en, at
            )
        except InsufficientStock:
            if attempt == 2:
                raise
            continue  # a concurrent order took the units: allocate again
        _refund_missing(session, rows[0], data, result.missing, at)
        return [read(session, r) for r in rows]
    raise AssertionError("unreachable")  # pragma: no cover


ORDER_MODES = {
    "pickup": "pickup",
    "group_pickup": "pickup",
    "delivery": "same_city",
    "express": "ship_from_store",
}


def place_for_order(
    session: Session,
    *,
    order_id: int,
    mode: str | None = None,
    pickup_store: str | None = None,
    address: Any = None,
    hold_days: int = 3,
    pickup_kind: str = "store",
    slot_start: datetime | None = None,
    slot_end: datetime | None = None,
    parcel_point: str | None = None,
    now: datetime | None = None,
) -> list[FulfilmentRead]:
    """Fulfil an operational order (``omnichannel.order``): its lines, customer, channel and
    tender are the order's, so the order stays the one record of what was bought, and the
    fulfilments' end is reflected on it (fulfilled, or cancelled when none reached the
    customer). The mode defaults from the order's ``fulfillment`` (pickup → 门店自提 at the
    order's store unless another is chosen, delivery → 同城配送, express → 门店发货). Idempotent
    like :func:`place`."""

    order = order_service.get_order(session, order_id=order_id)
    chosen = mode or ORDER_MODES.get(order.fulfillment)
    if chosen is None:
        raise InvalidFulfilment(
            f"订单 {order.external_id} 是门店现场销售，不需要履约",
            f"order {order.external_id} was sold over the counter: nothing to fulfil",
            field="order_id",
        )
    if order.status not in ("placed", "paid"):
        existing = for_order(session, channel=order.channel_code, order_ref=order.external_id)
        if existing:
            return existing
        raise InvalidFulfilment(
            f"订单 {order.external_id} 状态为 {order.status_label}，不能再安排履约",
            f"order {order.external_id} is {order.status}: it cannot be fulfilled",
            field="order_id",
        )
    payments = [t for t in order.tenders if t.kind == "payment"]
    try:
        data = _order_fulfilment(
            order,
            chosen,
            payments,
            pickup_store,
            address,
            hold_days,
            pickup_kind,
            slot_start,
            slot_end,
            parcel_point,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidFulfilment(
            f"履约信息不正确：{first['msg']}",
            f"the fulfilment details are wrong: {first['msg']}",
            field=".".join(str(p) for p in first["loc"]) or "pickup_kind",
        ) from None
    return place(session, data=data, now=now)


def _order_fulfilment(  # noqa: PLR0913
    order: Any,
    chosen: str,
    payments: list[Any],
    pickup_store: str | None,
    address: Any,
    hold_days: int,
    pickup_kind: str,
    slot_start: datetime | None,
    slot_end: datetime | None,
    parcel_point: str | None = None,
) -> FulfilmentCreate:
    return FulfilmentCreate(
        order_ref=order.external_id,
        channel=order.channel_code,
        order_id=order.id,
        customer_id=order.customer_id,
        mode=chosen,  # type: ignore[arg-type]
        lines=[
            OrderLineIn(
                line_ref=str(ln.line_no),
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price_fen=ln.amount_fen // ln.quantity,
            )
            for ln in order.lines
        ],
        pickup_store=pickup_store
        or (order.store_code if chosen == "pickup" and parcel_point is None else None),
        parcel_point=parcel_point,
        address=address,
        tender=payments[0].method if payments else None,
        hold_days=hold_days,
        pickup_kind=pickup_kind,  # type: ignore[arg-type]
        slot_start=slot_start,
        slot_end=slot_end,
    )


def _check(data: FulfilmentCreate) -> None:
    if data.mode == "same_city" and data.address is None:
        raise InvalidFulfilment(
            "同城配送需要收货地址（经纬度）",
            "same-city delivery needs the delivery address (coordinates)",
            field="address",
        )
    if data.pickup_kind == "parcel_point":
        return  # the schema requires the point; allocation checks it is one
    if data.mode == "pickup" and data.pickup_store is None and data.address is None:
        raise InvalidFulfilment(
            "门店自提需要选择门店或提供位置",
            "pickup needs a chosen store or the customer's position",
            field="pickup_store",
        )


def _allocate(session: Session, data: FulfilmentCreate) -> Any:
    lines = [(ln.sku, ln.quantity) for ln in data.lines]
    pos = data.address
    if data.mode == "pickup":
        if data.parcel_point is not None:  # stores within reach of the point ship to it
            point = parcel_point(session, data.parcel_point)
            return allocation.allocate(
                session,
                lines=lines,
                channel=data.channel,
                strategy="fewest_splits",
                lat=point.latitude,
                lng=point.longitude,
                radius_km=PICKUP_RADIUS_KM,
                kind="store",
            )
        if data.pickup_store is not None:
            store = inventory.get_location(session, code=data.pickup_store)
            if not store.pickup:
                raise InvalidFulfilment(
                    f"{store.name} 不提供门店自提",
                    f"{store.name} does not offer pickup",
                    field="pickup_store",
                )
            lat, lng = store.latitude, store.longitude
        else:
            assert pos is not None
            lat, lng = pos.latitude, pos.longitude
        # one store with everything, nearest first; the chosen store wins when it has it all
        return allocation.allocate(
            session,
            lines=lines,
            channel=data.channel,
            strategy="fewest_splits",
            lat=lat,
            lng=lng,
            radius_km=PICKUP_RADIUS_KM,
            kind="store",
            prefer=data.pickup_store,
            pickup_only=True,
        )
    if data.mode == "same_city":
        assert pos is not None
        res = allocation.allocate(
            session,
            lines=lines,
            channel=data.channel,
            strategy="fewest_splits",
            lat=pos.latitude,
            lng=pos.longitude,
            radius_km=DELIVERY_RADIUS_KM,
            kind="store",
        )
        if not res.parts:
            raise OutOfRange(
                f"收货地址 {DELIVERY_RADIUS_KM:.0f} 公里内没有有货的门店",
                f"no store with stock within {DELIVERY_RADIUS_KM:.0f} km of the address",
                field="address",
            )
        return res
    return allocation.allocate(session, lines=lines, channel=data.channel)


def _create(
    session: Session,
    data: FulfilmentCreate,
    key: str,
    parts: Sequence[AllocationPart],
    why_zh: str,
    why_en: str,
    at: datetime,
) -> list[Fulfilment]:
    by_loc: dict[str, list[AllocationPart]] = {}
    for p in parts:
        by_loc.setdefault(p.location, []).append(p)
    rows: list[Fulfilment] = []
    reserved: list[str] = []
    try:
        for i, (code, loc_parts) in enumerate(by_loc.items()):
            loc = inventory.get_location(session, code=code)
            row = Fulfilment(
                key=key if i == 0 else f"{key}:{i}",
                order_ref=data.order_ref,
                order_id=data.order_id,
                channel=data.channel,
                customer_id=data.customer_id,
                mode=data.mode,
                pickup_kind=data.pickup_kind if data.mode == "pickup" else None,
                parcel_point=data.parcel_point,
                slot_start=data.slot_start,
                slot_end=data.slot_end,
                store_code=code,
                region=loc.region,
                state="placed",
                address=data.address.model_dump() if data.address else None,
                tender=data.tender,
                allocation_zh=why_zh,
                allocation_en=why_en,
                placed_at=at,
                parent_id=rows[0].id if rows else None,
            )
            session.add(row)
            session.flush()
            _event(session, row, "place", None, "placed", at=at)
            prices = {ln.sku: ln for ln in data.lines}
            for n, p in enumerate(loc_parts):
                rkey = f"ful:{row.id}:{n}"
                src = prices[p.sku]
                session.add(
                    FulfilmentLine(
                        fulfilment_id=row.id,
                        line_no=n,
                        line_ref=src.line_ref,
                        sku=p.sku,
                        quantity=p.quantity,
                        unit_price_fen=src.unit_price_fen,
                        reservation_key=rkey,
                    )
                )
                inventory.reserve(
                    session,
                    key=rkey,
                    lines=[ReservationLine(location=code, sku=p.sku, quantity=p.quantity)],
                    kind="pickup" if data.mode == "pickup" else "order",
                    ref=f"order:{data.order_ref}",
                    now=at,
                )
                reserved.append(rkey)
            row.allocated_at = at
            transition(session, row, "allocate", note=why_zh, now=at)
            rows.append(row)
    except InsufficientStock:
        for rkey in reserved:
            inventory.release(session, key=rkey, now=at)
        for row in rows:
            row.state, row.cancelled_at, row.cancel_reason = "cancelled", at, "reallocated"
        session.flush()
        for row in rows:  # free the idempotency keys for the next attempt
            row.key = f"{row.key}:void{row.id}"
        session.flush()
        raise
    session.flush()
    return rows


def _event(
    session: Session,
    row: Fulfilment,
    event: str,
    before: str | None,
    after: str,
    *,
    at: datetime,
    actor: str | None = None,
    note: str | None = None,
) -> None:
    ev = FulfilmentEvent(
        fulfilment_id=row.id,
        event=event,
        from_state=before,
        to_state=after,
        actor=actor,
        note=note,
        at=at,
    )
    session.add(ev)
    session.flush()
    _publish(session, row, ev)


def _refund_missing(
    session: Session, row: Fulfilment, data: FulfilmentCreate, missing: dict[str, int], at: datetime
) -> None:
    if not missing:
        return
    total = 0
    for sku, qty in missing.items():
        price = next(ln.unit_price_fen for ln in data.lines if ln.sku == sku)
        total += price * qty
    row.refund_fen += total
    _event(
        session,
        row,
        "refund_missing",
        row.state,
        row.state,
        at=at,
        note="缺货退款：" + "，".join(f"{s} × {q}" for s, q in missing.items()),
    )


# --- store work -------------------------------------------------------------------------------


def start_picking(
    session: Session, *, fulfilment_id: int, actor: str | None = None, now: datetime | None = None
) -> FulfilmentRead:
    row = lock(session, fulfilment_id)
    transition(session, row, "start_picking", actor=actor, now=now)
    return read(session, row)


def mark_ready(
    session: Session,
    *,
    fulfilment_id: int,
    actor: str | None = None,
    hold_days: int = 3,
    now: datetime | None = None,
) -> FulfilmentRead:
    """Picked and waiting at the counter: the hold starts and a pickup code is issued."""
    from omniretail.omnichannel.fulfillment import codes

    at = now or utcnow()
    row = lock(session, fulfilment_id)
    transition(session, row, "mark_ready", actor=actor, now=at)
    row.ready_at = at
    row.hold_until = at + timedelta(days=hold_days)
    if row.pickup_kind == "appointment" and row.slot_end is not None:
        # held until the end of the day after the booked slot
        row.hold_until = max(at, _aware(row.slot_end)) + timedelta(days=1)
    code = codes.issue(session, row, now=at)
    session.flush()
    notify(
        session,
        row,
        "pickup_ready",
        moment=f"pickup_ready:{code.code}",
        store=store_name(session, row),
        code=code.code,
        until=when(row.hold_until),
    )
    return read(session, row)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


LOCKER_HOLD = timedelta(days=2)


def load_locker(
    session: Session,
    *,
    fulfilment_id: int,
    box: str,
    actor: str | None = None,
    now: datetime | None = None,
) -> FulfilmentRead:
    """A ready smart-locker pickup is put into compartment ``box``: the customer collects it with
    the same code at the locker, within the locker's own hold (2 days, lockers are scarce)."""
    if not re.fullmatch(r"[0-9A-Za-z-]{1,16}", box or ""):
        raise InvalidFulfilment(
            f"柜格号不正确：{box!r}（1–16 位字母、数字或 -）",
            f"not a locker compartment: {box!r} (1–16 letters, digits or -)",
            field="box",
        )
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    transition(session, row, "load_locker", actor=actor, note=f"柜格 {box}", now=at)
    row.locker_box = box
    row.hold_until = at + LOCKER_HOLD
    session.flush()
    code = codes_current(session, row.id)
    notify(
        session,
        row,
        "pickup_ready",
        moment=f"in_locker:{box}",
        store=f"{store_name(session, row)} 自提柜 {box} 号格",
        code=code or "",
        until=when(row.hold_until),
    )
    return read(session, row)


def customer_arrives(
    session: Session,
    *,
    fulfilment_id: int,
    parking_spot: str | None = None,
    now: datetime | None = None,
) -> FulfilmentRead:
    """A curbside customer says they are outside (and where): the store brings the order out
    and hands it over with the code. Saying it twice changes nothing."""
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    if row.state == "customer_arrived":
        return read(session, row)
    transition(
        session, row, "customer_arrives", actor="customer", note=parking_spot or None, now=at
    )
    row.arrived_at, row.parking_spot = at, parking_spot
    session.flush()
    return read(session, row)


# --- parcel points (快递代收点) --------------------------------------------------------------

POINT_CODE = re.compile(r"[0-9A-Za-z-]{1,32}")


@dataclass(frozen=True)
class ParcelPoint:
    code: str
    name: str
    latitude: float
    longitude: float


def parcel_point(session: Session, code: str) -> ParcelPoint:
    """A third-party parcel point of the store master (kind ``pickup_point``, 自提点) with a
    position; anything else is refused naming the code."""
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.errors import UnknownStore

    try:
        point = store_service.get_store(session, code=code)
    except UnknownStore:
        point = None
    if point is None or point.kind != "pickup_point" or not point.is_active:
        raise InvalidFulfilment(
            f"{code} 不是可用的快递代收点",
            f"{code} is not an active parcel point",
            field="parcel_point",
        )
    if point.latitude is None or point.longitude is None:
        raise InvalidFulfilment(
            f"快递代收点 {point.name} 没有坐标，无法找到附近发货的门店",
            f"parcel point {point.name} has no position to find stores near it",
            field="parcel_point",
        )
    return ParcelPoint(point.code, point.name, point.latitude, point.longitude)


def point_name(session: Session, code: str) -> str:
    """The parcel point's name for display (its code if it left the store master)."""
    try:
        return parcel_point(session, code).name
    except InvalidFulfilment:
        return code


def _point_code(code: str) -> str:
    code = (code or "").strip()
    if not POINT_CODE.fullmatch(code):
        raise InvalidFulfilment(
            f"取件码不正确：{code!r}（1–32 位字母、数字或 -）",
            f"not a parcel point collection code: {code!r} (1–32 letters, digits or -)",
            field="point_code",
        )
    return code


def send_to_point(
    session: Session, *, fulfilment_id: int, actor: str | None = None, now: datetime | None = None
) -> FulfilmentRead:
    """The packed parcel leaves the store for the parcel point: the stock is committed (the
    units are no longer on the shelf); it comes back only if the point returns it."""
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    transition(session, row, "send_to_point", actor=actor, note=row.parcel_point, now=at)
    commit_stock(session, row, at)
    session.flush()
    return read(session, row)


def arrive_at_point(
    session: Session,
    *,
    fulfilment_id: int,
    point_code: str,
    hold_days: int = 3,
    now: datetime | None = None,
) -> FulfilmentRead:
    """The point has the parcel and gave it its own collection code (取件码): the customer is
    told where and with which code, and the point's hold starts. Reported twice with the same
    code, nothing changes."""
    code = _point_code(point_code)
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    if row.state == "at_point" and row.point_code == code:
        return read(session, row)
    transition(session, row, "arrive_at_point", actor="parcel_point", note=code, now=at)
    row.point_code = code
    row.hold_until = at + timedelta(days=hold_days)
    session.flush()
    point = parcel_point(session, row.parcel_point or "")
    notify(
        session,
        row,
        "parcel_at_point",
        moment=f"at_point:{code}",
        store=store_name(session, row),
        point=point.name,
        code=code,
        until=when(row.hold_until),
    )
    return read(session, row)


def collect_at_point(
    session: Session, *, fulfilment_id: int, point_code: str, now: datetime | None = None
) -> FulfilmentRead:
    """The point reports the parcel collected, naming its collection code: it must be the code
    it gave this parcel (a report for another parcel is refused). The lines become returnable
    in any store. Reported twice, nothing changes."""
    from omniretail.omnichannel.fulfillment import returns

    code = _point_code(point_code)
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    if row.point_code is not None and row.point_code != code:
        raise InvalidFulfilment(
            f"取件码 {code} 与包裹在代收点的取件码不符",
            f"collection code {code} is not this parcel's code at the point",
            field="point_code",
        )
    if row.state == "picked_up":
        return read(session, row)
    transition(session, row, "collect_at_point", actor="parcel_point", note=code, now=at)
    row.completed_at = at
    returns.record_sale(
        session,
        order_ref=row.order_ref,
        channel=row.channel,
        customer_id=row.customer_id,
        tender=row.tender,
        lines=sold_lines(session, row),
        source=f"ful:{row.id}",
    )
    session.flush()
    return read(session, row)


def point_returns(
    session: Session, *, fulfilment_id: int, reason: str = "no_show", now: datetime | None = None
) -> FulfilmentRead:
    """The point sends the parcel back (not collected within its hold, or refused)."""
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    if row.state == "returning":
        return read(session, row)
    transition(session, row, "point_returns", actor="parcel_point", note=reason, now=at)
    session.flush()
    return read(session, row)


def returned_to_store(
    session: Session, *, fulfilment_id: int, actor: str | None = None, now: datetime | None = None
) -> FulfilmentRead:
    """The parcel is back at the store: cancelled, refunded, its units restocked — once."""
    row = lock(session, fulfilment_id)
    _cancel_locked(
        session, row, reason="point_returned", actor=actor, now=now, event="returned_to_store"
    )
    return read(session, row)


def codes_current(session: Session, fulfilment_id: int) -> str | None:
    found = session.scalar(
        select(PickupCode.code).where(
            PickupCode.fulfilment_id == fulfilment_id, PickupCode.active.is_(True)
        )
    )
    return str(found) if found is not None else None


def pack(
    session: Session, *, fulfilment_id: int, actor: str | None = None, now: datetime | None = None
) -> FulfilmentRead:
    row = lock(session, fulfilment_id)
    at = now or utcnow()
    transition(session, row, "pack", actor=actor, now=at)
    row.ready_at = at
    return read(session, row)


def report_shortage(
    session: Session,
    *,
    fulfilment_id: int,
    line_no: int,
    missing: int,
    actor: str | None = None,
    now: datetime | None = None,
) -> list[FulfilmentRead]:
    """While picking, ``missing`` units of a line are not on the shelf: the store's stock is
    corrected, the line keeps what is there, and the missing units go to another store nearby
    (a new fulfilment) or, if none has them, are refunded. Returns the affected fulfilments."""
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    if row.state not in ("allocated", "picking"):
        from omniretail.omnichannel.fulfillment.errors import IllegalTransition

        raise IllegalTransition(state=row.state, event="report_shortage")
    line = next((ln for ln in _lines(session, row.id) if ln.line_no == line_no), None)
    if line is None or missing <= 0 or missing > line.quantity:
        raise InvalidFulfilment(
            f"缺货数量无效：第 {line_no} 行最多 {line.quantity if line else 0} 件",
            f"invalid shortage: line {line_no} has {line.quantity if line else 0} units",
            field="missing",
        )
    assert row.store_code is not None
    assert line.reservation_key is not None
    inventory.release(session, key=line.reservation_key, now=at)
    level = inventory.get_level(session, location=row.store_code, sku=line.sku)
    keep = line.quantity - missing
    # the shelf has fewer than the system thought: a count of what is really there
    inventory.count(
        session,
        location=row.store_code,
        sku=line.sku,
        counted=max(level.on_hand - missing, 0),
        ref=f"shortage:{row.id}",
        now=at,
    )
    line.quantity, line.short_qty = keep, line.short_qty + missing
    if keep:
        line.reservation_key = f"ful:{row.id}:{line_no}:k{line.short_qty}"
        inventory.reserve(
            session,
            key=line.reservation_key,
            lines=[ReservationLine(location=row.store_code, sku=line.sku, quantity=keep)],
            ref=f"order:{row.order_ref}",
            now=at,
        )
    _event(
        session,
        row,
        "report_shortage",
        row.state,
        row.state,
        at=at,
        actor=actor,
        note=f"{line.sku} 缺 {missing} 件",
    )
    out = [row]
    other, refused = _reallocate(session, row, line, missing, at)
    if other is not None:
        out.append(other)
    else:
        line.refunded_qty += missing
        row.refund_fen += missing * line.unit_price_fen
        _event(
            session,
            row,
            "refund_missing",
            row.state,
            row.state,
            at=at,
            note=(refused or "附近门店均无货") + f"，退款 {line.sku} × {missing}",
        )
        if keep or any(ln.quantity for ln in _lines(session, row.id)):
            notify(
                session,
                row,
                "partly_refunded",
                moment=f"refund:{line_no}:{line.short_qty}",
                store=store_name(session, row),
                refund=f"{missing * line.unit_price_fen / 100:.2f}",
            )
    if all(ln.quantity == 0 for ln in _lines(session, row.id)):
        _cancel_locked(session, row, reason="unavailable", actor=actor, now=at)
    session.flush()
    return [read(session, r) for r in out]


def _kind_label(row: Fulfilment) -> str:
    return flow.PICKUP_KINDS.get(row.pickup_kind or "store", row.pickup_kind or "")


def _reallocate(
    session: Session, row: Fulfilment, line: FulfilmentLine, qty: int, at: datetime
) -> tuple[Fulfilment | None, str | None]:
    """Move ``qty`` missing units of ``line`` to one other store, keeping the fulfilment's
    mode and pickup kind with what the kind needs (the appointment's slot, the parcel point).
    The new store must be able to serve the kind: a store-collected pickup (counter, locker,
    curbside, appointment) only goes to a store that offers 门店自提, searched around the
    customer (or the old store); a parcel-point pickup only to a store within reach of the
    point. Returns the new fulfilment, or None and — when a store with the units was passed
    over, or the point is gone — why, in Chinese, naming it and the kind (the units are then
    refunded)."""
    assert row.store_code is not None
    here = inventory.get_location(session, code=row.store_code)
    addr = row.address or {}
    lat = float(addr.get("latitude", here.latitude or 0.0))  # type: ignore[arg-type]
    lng = float(addr.get("longitude", here.longitude or 0.0))  # type: ignore[arg-type]
    if row.mode == "pickup" and row.parcel_point:
        try:  # the stores that can reach the point
            point = parcel_point(session, row.parcel_point)
        except InvalidFulfilment as exc:
            return None, f"{exc.message_zh}，不能改由其他门店发往该点"
        lat, lng = point.latitude, point.longitude

    short_at = row.store_code

    def find(pickup_only: bool) -> Any:
        res = allocation.allocate(
            session,
            lines=[(line.sku, qty)],
            channel=row.channel,
            strategy="fewest_splits",
            lat=lat,
            lng=lng,
            radius_km=PICKUP_RADIUS_KM,
            kind="store",
            exclude=[short_at],
            pickup_only=pickup_only,
        )
        return res if res.complete and len({p.location for p in res.parts}) == 1 else None

    collected_in_store = row.mode == "pickup" and not row.parcel_point
    res = find(collected_in_store)
    if res is None:
        passed = find(False) if collected_in_store else None
        if passed is None:
            return None, None
        name, kind = passed.parts[0].name, _kind_label(row)
        return None, f"附近有货的{name}不提供门店自提，不能改由其备货（{kind}）"
    target = inventory.get_location(session, code=res.parts[0].location)
    code = res.parts[0].location
    n = (
        session.scalar(
            select(Fulfilment.id)
            .where(Fulfilment.parent_id == row.id)
            .order_by(Fulfilment.id.desc())
        )
        or 0
    )
    new = Fulfilment(
        key=f"{row.key}:r{row.id}:{line.line_no}:{n}",
        order_ref=row.order_ref,
        order_id=row.order_id,
        channel=row.channel,
        customer_id=row.customer_id,
        mode=row.mode,
        # the same kind and what it needs; a locker compartment, a curbside arrival and a
        # pickup code belong to the store that has the goods ready, so the new store assigns
        # its own when it gets there
        pickup_kind=row.pickup_kind,
        parcel_point=row.parcel_point,
        slot_start=row.slot_start,
        slot_end=row.slot_end,
        store_code=code,
        region=target.region,
        state="placed",
        address=row.address,
        tender=row.tender,
        parent_id=row.id,
        allocation_zh=f"{row.store_code} 缺货，改由其他门店备货"
        + (f"（{_kind_label(row)}）" if row.mode == "pickup" else "")
        + "："
        + res.explanation_zh,
        allocation_en=f"{row.store_code} was short; reallocated: " + res.explanation_en,
        placed_at=at,
    )
    session.add(new)
    session.flush()
    _event(session, new, "place", None, "placed", at=at, note=new.allocation_zh)
    rkey = f"ful:{new.id}:0"
    session.add(
        FulfilmentLine(
            fulfilment_id=new.id,
            line_no=0,
            line_ref=line.line_ref,
            sku=line.sku,
            quantity=qty,
            unit_price_fen=line.unit_price_fen,
            reservation_key=rkey,
        )
    )
    inventory.reserve(
        session,
        key=rkey,
        lines=[ReservationLine(location=code, sku=line.sku, quantity=qty)],
        ref=f"order:{row.order_ref}",
        now=at,
    )
    new.allocated_at = at
    transition(session, new, "allocate", note=new.allocation_zh, now=at)
    return new, None


def refund_units(
    session: Session,
    *,
    fulfilment_id: int,
    line_ref: str,
    quantity: int,
    actor: str | None = None,
    now: datetime | None = None,
) -> FulfilmentRead:
    """Before the handover the customer is refunded ``quantity`` units of the order line
    ``line_ref``: the held units go back to the store's available stock (the line's
    reservation is released and the units kept are held again), the line keeps the rest; a
    fulfilment left with nothing is cancelled (its code voided). The caller makes a retry one
    refund (its own idempotency key); the reservation moves are not repeated by it."""
    at = now or utcnow()
    row = lock(session, fulfilment_id)
    if row.state in flow.FINAL:
        from omniretail.omnichannel.fulfillment.errors import IllegalTransition

        raise IllegalTransition(state=row.state, event="refund_units")
    lines = [ln for ln in _lines(session, row.id) if ln.line_ref == line_ref and ln.quantity]
    held = sum(ln.quantity for ln in lines)
    if quantity <= 0 or quantity > held:
        raise InvalidFulfilment(
            f"退款数量无效：订单行 {line_ref} 待交付 {held} 件",
            f"invalid refund: order line {line_ref!r} has {held} units to hand over",
            field="quantity",
        )
    assert row.store_code is not None
    left = quantity
    for line in lines:
        take = min(left, line.quantity)
        if not take:
            continue
        left -= take
        if line.reservation_key:
            inventory.release(session, key=line.reservation_key, now=at)
        keep = line.quantity - take
        line.quantity, line.refunded_qty = keep, line.refunded_qty + take
        if keep:
            line.reservation_key = f"ful:{row.id}:{line.line_no}:u{line.refunded_qty}"
            inventory.reserve(
                session,
                key=line.reservation_key,
                lines=[ReservationLine(location=row.store_code, sku=line.sku, quantity=keep)],
                kind="pickup" if row.mode == "pickup" else "order",
                ref=f"order:{row.order_ref}",
                now=at,
            )
        row.refund_fen += take * line.unit_price_fen
    _event(
        session,
        row,
        "refund_units",
        row.state,
        row.state,
        at=at,
        actor=actor,
        note=f"交付前退款：订单行 {line_ref} × {quantity}",
    )
    if all(ln.quantity == 0 for ln in _lines(session, row.id)):
        _cancel_locked(session, row, reason="customer", actor=actor, now=at)
    session.flush()
    return read(session, row)


# --- cancelling -------------------------------------------------------------------------------


def cancel(
    session: Session,
    *,
    fulfilment_id: int,
    reason: str = "customer",
    actor: str | None = None,
    now: datetime | None = None,
) -> FulfilmentRead:
    """Cancel: held stock is released, stock that already left is restocked — once."""
    row = lock(session, fulfilment_id)
    _cancel_locked(session, row, reason=reason, actor=actor, now=now)
    return read(session, row)


def _cancel_locked(
    session: Session,
    row: Fulfilment,
    *,
    reason: str,
    actor: str | None,
    now: datetime | None,
    event: str = "cancel",
) -> None:
    at = now or utcnow()
    transition(session, row, event, actor=actor, note=reason, now=at)
    _restock(session, row, at)
    row.cancelled_at, row.cancel_reason = at, reason
    row.refund_fen = sum(
        ln.quantity * ln.unit_price_fen + ln.refunded_qty * ln.unit_price_fen
        for ln in _lines(session, row.id)
    )
    session.execute(
        update(PickupCode)
        .where(PickupCode.fulfilment_id == row.id, PickupCode.active.is_(True))
        .values(active=False, voided_at=at)
    )
    session.flush()
    notify(
        session,
        row,
        "order_cancelled",
        store=store_name(session, row),
        reason=REASON_ZH.get(reason, reason),
        refund=f"{row.refund_fen / 100:.2f}",
    )


def _restock(session: Session, row: Fulfilment, at: datetime) -> None:
    for ln in _lines(session, row.id):
        if ln.reservation_key:
            inventory.cancel(session, key=ln.reservation_key, now=at)


def expire_uncollected(session: Session, *, now: datetime | None = None, limit: int = 500) -> int:
    """Pickups not collected within their hold: cancelled and their stock released, once. A
    parcel at a parcel point past the point's hold is sent back (returning); it is cancelled
    and restocked when it is back at the store (:func:`returned_to_store`)."""
    at = now or utcnow()
    ids = session.scalars(
        select(Fulfilment.id)
        .where(Fulfilment.state.in_([*WAITING, "at_point"]), Fulfilment.hold_until <= at)
        .order_by(Fulfilment.id)
        .limit(limit)
    ).all()
    n = 0
    for fid in ids:
        row = lock(session, fid)
        if row.state == "at_point":
            transition(session, row, "point_returns", actor="system", note="no_show", now=at)
            n += 1
            continue
        if row.state not in WAITING:  # collected or cancelled meanwhile
            continue
        _cancel_locked(session, row, reason="no_show", actor="system", now=at, event="no_show")
        n += 1
    return n


def commit_stock(session: Session, row: Fulfilment, at: datetime) -> None:
    """The goods left the store (handed over or taken by the rider)."""
    for ln in _lines(session, row.id):
        if ln.reservation_key and ln.quantity:
            inventory.commit(session, key=ln.reservation_key, ref=f"order:{row.order_ref}", now=at)


def sold_lines(session: Session, row: Fulfilment) -> list[tuple[str, str, int, int]]:
    return [
        (ln.line_ref, ln.sku, ln.quantity, ln.unit_price_fen)
        for ln in _lines(session, row.id)
        if ln.quantity
    ]


def remind_pickups(
    session: Session, *, now: datetime | None = None, within: timedelta = timedelta(days=1)
) -> int:
    """Pickups whose hold ends within ``within`` get one reminder (a timeline event and, where
    messaging is set up, a message)."""
    at = now or utcnow()
    ids = session.scalars(
        select(Fulfilment.id).where(
            Fulfilment.state == "ready_for_pickup",
            Fulfilment.reminded_at.is_(None),
            Fulfilment.hold_until <= at + within,
            Fulfilment.hold_until > at,
        )
    ).all()
    n = 0
    for fid in ids:
        row = lock(session, fid)
        if row.state not in WAITING or row.reminded_at is not None:
            continue
        row.reminded_at = at
        _event(
            session,
            row,
            "remind",
            row.state,
            row.state,
            at=at,
            actor="system",
            note="提醒顾客尽快到店自提",
        )
        notify(
            session,
            row,
            "pickup_reminder",
            store=store_name(session, row),
            until=when(row.hold_until),
        )
        n += 1
    return n


def for_customer(session: Session, *, customer_id: str, limit: int = 5) -> list[FulfilmentRead]:
    """The customer's own fulfilments, newest first (the service assistant answers from these)."""
    rows = session.scalars(
        select(Fulfilment)
        .where(Fulfilment.customer_id == customer_id)
        .order_by(Fulfilment.id.desc())
        .limit(limit)
    )
    return [read(session, r) for r in rows]


def store_name(session: Session, row: Fulfilment) -> str:
    if row.store_code is None:
        return ""
    return inventory.get_location(session, code=row.store_code).name
