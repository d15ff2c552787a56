"""What happens after the orders are in: the cut-off (form the group or cancel and refund
every order), the goods' arrival at a leader's point (pickup codes and notices), pickup with
the fulfilment codes, no-shows, refunds, and the commission moving through its ledger.

Commission of an order: ``pending`` when the group forms, ``frozen`` when collected (for the
after-sales window), ``available`` after it, ``withdrawn`` by the leader; a refund or a
no-show moves it by the difference of the rule on the net sales (see ``commission``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes as pickup_codes
from omniretail.omnichannel.fulfillment import returns
from omniretail.omnichannel.fulfillment import service as fulfilment
from omniretail.omnichannel.fulfillment.schemas import FulfilmentCreate, OrderLineIn
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.order import service as order_service
from omniretail.omnichannel.order.schemas import ReturnIn, ReturnLineIn
from omniretail.operations.groupbuy import commission, ledger
from omniretail.operations.groupbuy.errors import (
    IllegalOrderState,
    InsufficientCommission,
    InvalidGroupBuy,
    UnknownOrder,
)
from omniretail.operations.groupbuy.models import (
    Activity,
    ActivityLeader,
    CommissionEntry,
    GroupOrder,
    GroupOrderLine,
    GroupRefund,
    Leader,
)
from omniretail.operations.groupbuy.schemas import (
    ORDER_STATUS_ZH,
    ArrivalResult,
    CommissionBalance,
    CommissionEntryRead,
    CutoffResult,
    GroupOrderRead,
    PickList,
    PickListLine,
    RefundIn,
)
from omniretail.operations.groupbuy.service import (
    CHANNEL,
    _activity,
    _leader,
    _local,
    aware,
    order_read,
)
from omniretail.platform.db import utcnow
from omniretail.platform.keys import idempotency_key, normalize_key
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.schemas import MessageRequest, Origin
from omniretail.platform.messaging.templates import register_template

AFTER_SALES = timedelta(days=7)  # commission stays frozen this long after pickup

register_template(
    "groupbuy_arrived",
    title="团购商品已到自提点",
    body="您在「{activity}」的团购商品已到{point}（{address}，营业时间 {hours}），"
    "请于 {until} 前凭提货码取货。",
)
register_template(
    "groupbuy_failed",
    title="团购未成团，已退款",
    body="很抱歉，「{activity}」截单时未达到成团人数，您的订单 {order} 已取消，"
    "{refund} 元将原路退回。",
)


def _notify(
    session: Session, gb_order: GroupOrder, template: str, moment: str, **params: str
) -> None:
    messaging.enqueue(
        session,
        MessageRequest(
            customer_id=gb_order.customer_id,
            template=template,
            params=params,
            origin=Origin(kind="groupbuy", ref=f"gb-order:{gb_order.id}"),
            purpose="transactional",
            idempotency_key=idempotency_key("groupbuy", gb_order.id, moment),
        ),
    )


def _lines(session: Session, order_id: int) -> list[GroupOrderLine]:
    return list(
        session.scalars(
            select(GroupOrderLine)
            .where(GroupOrderLine.order_id == order_id)
            .order_by(GroupOrderLine.line_no)
        )
    )


def _net_commission(lines: list[GroupOrderLine]) -> int:
    return commission.order_commission(
        (
            ln.rule_kind,
            ln.rule_value,
            ln.amount_fen - ln.refunded_fen,
            ln.quantity - ln.refunded_qty,
        )
        for ln in lines
    )


def _move_bucket(session: Session, order: GroupOrder, to: str, kind: str, now: datetime) -> None:
    frm = order.commission_bucket
    if frm is None or frm == to:
        return
    ledger.lock_leader(session, order.leader_id)
    bal = ledger.balances(session, order.leader_id)
    ledger.post(
        session,
        leader_id=order.leader_id,
        order_id=order.id,
        key=f"{kind}:{order.id}",
        moves=commission.transfer(kind, frm, to, order.commission_fen, bal),
        now=now,
    )
    order.commission_bucket = to


def _recompute(session: Session, order: GroupOrder, key: str, now: datetime) -> int:
    """Book the change of the order's commission after a refund or a no-show; the delta."""
    new = (
        0
        if order.status in ("no_show", "cancelled")
        else _net_commission(_lines(session, order.id))
    )
    delta = new - order.commission_fen
    if delta and order.commission_bucket is not None:
        ledger.lock_leader(session, order.leader_id)
        bal = ledger.balances(session, order.leader_id)
        ledger.post(
            session,
            leader_id=order.leader_id,
            order_id=order.id,
            key=key,
            moves=commission.adjust(order.commission_bucket, delta, bal),
            now=now,
        )
    order.commission_fen = new
    return delta


# --- the cut-off ------------------------------------------------------------------------------


def decide(session: Session, *, activity: str, now: datetime | None = None) -> CutoffResult:
    """At the cut-off: with at least ``min_orders`` paid orders the group forms — each
    leader's hold is released and every order placed as a pickup at the leader's store (its
    own stock reservation), commission pending; otherwise every order is cancelled and
    refunded, the holds released and the customers told. Idempotent."""
    at = now or utcnow()
    act = _activity(session, activity)
    orders = list(
        session.scalars(
            select(GroupOrder).where(GroupOrder.activity_id == act.id).order_by(GroupOrder.id)
        )
    )
    if act.status != "open":
        return CutoffResult(
            activity=act.code,
            status=act.status,
            orders=len(orders),
            cancelled=sum(o.status == "cancelled" for o in orders),
            fulfilments=sum(o.fulfilment_id is not None for o in orders),
        )
    if aware(act.cutoff_at) > at:
        raise InvalidGroupBuy(
            f"活动「{act.title}」{_local(act.cutoff_at)} 截单，还未到截单时间",
            f"activity {act.code!r} closes at {aware(act.cutoff_at).isoformat()}",
            field="activity",
        )
    parts = list(
        session.scalars(select(ActivityLeader).where(ActivityLeader.activity_id == act.id))
    )
    for p in parts:
        inventory.release(session, key=p.hold_key, now=at)
    paid = [o for o in orders if o.status == "paid"]
    formed = len(paid) >= act.min_orders
    act.status, act.decided_at = ("formed" if formed else "failed"), at
    leaders = {
        ld.id: ld
        for ld in session.scalars(select(Leader).where(Leader.id.in_({o.leader_id for o in paid})))
    }
    made = cancelled = 0
    for o in paid:
        sales = order_service.get_order(session, order_id=o.sales_order_id)
        if formed:
            ld = leaders[o.leader_id]
            # units refunded before the cut-off went back with the hold: only the rest is held
            net = [ln for ln in sales.lines if ln.quantity > ln.returned_qty]
            placed = fulfilment.place(
                session,
                data=FulfilmentCreate(
                    order_ref=sales.external_id,
                    channel=CHANNEL,
                    order_id=sales.id,
                    customer_id=o.customer_id,
                    mode="pickup",
                    pickup_store=ld.store_code,
                    lines=[
                        OrderLineIn(
                            line_ref=str(ln.line_no),
                            sku=ln.sku,
                            quantity=ln.quantity - ln.returned_qty,
                            unit_price_fen=ln.amount_fen // ln.quantity,
                        )
                        for ln in net
                    ],
                    tender=sales.tenders[0].method if sales.tenders else None,
                    hold_days=_hold_days(act, at),
                ),
                now=at,
            )
            o.fulfilment_id = placed[0].id
            o.status = "formed"
            o.commission_fen = _net_commission(_lines(session, o.id))
            o.commission_bucket = "pending"
            ledger.lock_leader(session, o.leader_id)
            ledger.post(
                session,
                leader_id=o.leader_id,
                order_id=o.id,
                key=f"accrue:{o.id}",
                moves=commission.accrue(o.commission_fen),
                now=at,
            )
            made += 1
        else:
            order_service.cancel_order(session, order_id=sales.id, reason="未成团")
            o.status, o.refunded_fen = "cancelled", o.amount_fen
            _notify(
                session,
                o,
                "groupbuy_failed",
                "failed",
                activity=act.title,
                order=sales.external_id,
                refund=f"{o.amount_fen / 100:.2f}",
            )
            cancelled += 1
    session.flush()
    return CutoffResult(
        activity=act.code,
        status=act.status,
        orders=len(orders),
        cancelled=cancelled,
        fulfilments=made,
    )


def _hold_days(act: Activity, at: datetime) -> int:
    left = (aware(act.pickup_until) - max(at, aware(act.pickup_from))).total_seconds()
    return max(1, min(30, math.ceil(left / 86_400)))


def decide_due(session: Session, *, now: datetime | None = None) -> int:
    """Decide every open activity past its cut-off (the job)."""
    at = now or utcnow()
    due = session.scalars(
        select(Activity.code).where(Activity.status == "open", Activity.cutoff_at <= at)
    ).all()
    for code in due:
        decide(session, activity=code, now=at)
    return len(due)


# --- arrival and pick lists -------------------------------------------------------------------


def pick_list(session: Session, *, activity: str, leader: str) -> PickList:
    """What the store packs for a leader (units per SKU) and the orders, for a formed group."""
    act = _activity(session, activity)
    ld = _leader(session, leader)
    orders = list(
        session.scalars(
            select(GroupOrder)
            .where(
                GroupOrder.activity_id == act.id,
                GroupOrder.leader_id == ld.id,
                GroupOrder.status.in_(("formed", "ready", "picked_up", "no_show", "paid")),
            )
            .order_by(GroupOrder.id)
        )
    )
    units: dict[str, int] = {}
    for o in orders:
        for ln in _lines(session, o.id):
            units[ln.sku] = units.get(ln.sku, 0) + ln.quantity - ln.refunded_qty
    from omniretail.operations.groupbuy.models import ActivityItem

    names = dict(
        session.execute(
            select(ActivityItem.sku, ActivityItem.name).where(ActivityItem.activity_id == act.id)
        ).all()
    )
    return PickList(
        activity=act.code,
        leader=ld.code,
        point_name=ld.point_name,
        address=ld.address,
        lines=[
            PickListLine(sku=s, name=names.get(s, s), quantity=q) for s, q in sorted(units.items())
        ],
        orders=[order_read(session, o) for o in orders],
    )


def arrive(
    session: Session,
    *,
    activity: str,
    leader: str,
    actor: str | None = None,
    now: datetime | None = None,
) -> ArrivalResult:
    """The goods reached the leader's point: every formed order of the leader becomes ready
    (the fulfilment issues its pickup code and tells the customer) and gets an arrival notice
    with the point's address and hours. Idempotent."""
    at = now or utcnow()
    act = _activity(session, activity)
    ld = _leader(session, leader)
    if act.status != "formed":
        raise InvalidGroupBuy(
            f"活动「{act.title}」尚未成团，不能到货",
            f"activity {act.code!r} is {act.status}, not formed",
            field="activity",
        )
    part = session.scalar(
        select(ActivityLeader).where(
            ActivityLeader.activity_id == act.id, ActivityLeader.leader_id == ld.id
        )
    )
    if part is None:
        raise InvalidGroupBuy(
            f"团长 {ld.name} 没有参加活动「{act.title}」",
            f"leader {leader!r} does not take part in {act.code!r}",
            field="leader",
        )
    part.arrived_at = part.arrived_at or at
    ready = notified = 0
    for o in session.scalars(
        select(GroupOrder).where(
            GroupOrder.activity_id == act.id,
            GroupOrder.leader_id == ld.id,
            GroupOrder.status == "formed",
        )
    ):
        assert o.fulfilment_id is not None
        f = fulfilment.get(session, fulfilment_id=o.fulfilment_id)
        if f.state in ("placed", "allocated"):
            fulfilment.start_picking(session, fulfilment_id=f.id, actor=actor, now=at)
        fulfilment.mark_ready(
            session, fulfilment_id=f.id, actor=actor, hold_days=_hold_days(act, at), now=at
        )
        o.status = "ready"
        ready += 1
        _notify(
            session,
            o,
            "groupbuy_arrived",
            "arrived",
            activity=act.title,
            point=ld.point_name,
            address=ld.address,
            hours=ld.hours,
            until=_local(act.pickup_until),
        )
        notified += 1
    session.flush()
    return ArrivalResult(activity=act.code, leader=ld.code, ready=ready, notified=notified)


# --- pickup, no-shows -------------------------------------------------------------------------


def pick_up(
    session: Session,
    *,
    leader: str,
    code: str,
    terminal: str | None = None,
    now: datetime | None = None,
) -> GroupOrderRead:
    """The customer collects at the leader's point with the fulfilment's pickup code: the code
    is verified (and consumed) by the fulfilment service, the sales order fulfilled, the
    commission frozen for the after-sales window. A code that is not one of this leader's
    ready orders is refused before anything is consumed."""
    at = now or utcnow()
    ld = _leader(session, leader)
    term = terminal or f"leader:{ld.code}"
    digits = code.strip().rsplit(":", 1)[-1].replace(" ", "")
    mine = {
        o.fulfilment_id: o
        for o in session.scalars(
            select(GroupOrder).where(GroupOrder.leader_id == ld.id, GroupOrder.status == "ready")
        )
    }
    target = None
    for fid, o in mine.items():
        if fid is None:
            continue
        cur = pickup_codes.current(session, fulfilment_id=fid)
        if cur is not None and cur.code == digits:
            target = o
            break
    if target is None:  # checked before the code is consumed: another order's stays valid
        raise InvalidGroupBuy(
            f"提货码不属于团长 {ld.name} 的待取订单",
            f"the code is not one of leader {leader!r}'s orders waiting for pickup",
            field="code",
        )
    out = pickup_codes.verify(
        session, store_code=ld.store_code, code=code, terminal=term, staff=ld.code, now=at
    )
    out.raise_for_failure()  # expired or used meanwhile: the fulfilment's reason
    if order_service.get_order(session, order_id=target.sales_order_id).status == "paid":
        # (the rest of an order partly refunded before pickup stays partially_returned: the
        # order's states have no way from there to fulfilled)
        order_service.fulfil_order(session, order_id=target.sales_order_id, at=at)
    target.status, target.picked_up_at = "picked_up", at
    target.frozen_until = at + AFTER_SALES
    _move_bucket(session, target, "frozen", "freeze", at)
    session.flush()
    return order_read(session, target)


def record_no_shows(session: Session, *, now: datetime | None = None) -> int:
    """Orders whose pickup hold ran out (the fulfilment cancelled them as ``no_show``): the
    sales order is cancelled and refunded, the commission reversed. Idempotent."""
    at = now or utcnow()
    n = 0
    for o in list(session.scalars(select(GroupOrder).where(GroupOrder.status == "ready"))):
        assert o.fulfilment_id is not None
        f = fulfilment.get(session, fulfilment_id=o.fulfilment_id)
        if f.state != "cancelled":
            continue
        order_service.cancel_order(session, order_id=o.sales_order_id, reason="未取货")
        o.status, o.refunded_fen = "no_show", o.amount_fen
        _recompute(session, o, f"noshow:{o.id}", at)
        n += 1
    session.flush()
    return n


def release_due(session: Session, *, now: datetime | None = None) -> int:
    """Frozen commission past its after-sales window becomes available (repaying debt first)."""
    at = now or utcnow()
    n = 0
    for o in list(
        session.scalars(
            select(GroupOrder).where(
                GroupOrder.commission_bucket == "frozen", GroupOrder.frozen_until <= at
            )
        )
    ):
        _move_bucket(session, o, "available", "release", at)
        n += 1
    session.flush()
    return n


# --- refunds and withdrawals ------------------------------------------------------------------


def _lock_order(session: Session, order_id: int) -> GroupOrder | None:
    """The order row, locked (PostgreSQL: FOR UPDATE; SQLite: the write lock), so concurrent
    refunds of one order run one after the other on fresh lines."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(
            select(GroupOrder)
            .where(GroupOrder.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    session.execute(
        update(GroupOrder)
        .where(GroupOrder.id == order_id)
        .values(refunded_fen=GroupOrder.refunded_fen)
        .execution_options(synchronize_session=False)
    )
    return session.get(GroupOrder, order_id, populate_existing=True)


def refund(
    session: Session, *, order_id: int, data: RefundIn, now: datetime | None = None
) -> GroupOrderRead:
    """Refund some units: the sales order's return (pro rata to the fen), the units back in
    stock through the inventory ledger, and the commission moved by the difference — a
    negative entry, never an edit. A retry with the same key is one refund (nothing is
    restocked twice). Where the units go back:

    - before the cut-off (``paid``): into the leader's hold (orderable again); the hold is
      released at the cut-off and only the units not refunded are held for pickup;
    - formed or waiting at the point (``formed``, ``ready``): the fulfilment's reservation
      gives them back to the store's available stock; every unit refunded cancels the
      fulfilment (its pickup code voided) and the order is ``refunded``;
    - collected (``picked_up``): brought back to the leader's point and restocked at the
      leader's store (``return`` movements), except the units declared ``damaged``; counted
      against what was sold, so a later return cannot take them again."""
    at = now or utcnow()
    o = _lock_order(session, order_id)
    if o is None:
        raise UnknownOrder(order_id)
    key = idempotency_key("gb-refund", order_id, data.idempotency_key)
    if session.scalar(select(GroupRefund.id).where(GroupRefund.key == key)) is not None:
        return order_read(session, o)
    if o.status not in ("formed", "ready", "picked_up", "paid"):
        raise IllegalOrderState(
            f"订单状态为「{ORDER_STATUS_ZH.get(o.status, o.status)}」，不能退款",
            f"an order that is {o.status} cannot be refunded",
            field="order",
        )
    by_no = {ln.line_no: ln for ln in _lines(session, o.id)}
    asked: dict[int, int] = {}
    damaged: dict[int, int] = {}
    for i, r in enumerate(data.lines):
        ln = by_no.get(r.line_no)
        if ln is None:
            raise InvalidGroupBuy(
                f"订单没有第 {r.line_no} 行",
                f"the order has no line {r.line_no}",
                field=f"lines[{i}].line_no",
            )
        if r.damaged and o.status != "picked_up":
            raise InvalidGroupBuy(
                f"第 {r.line_no} 行：订单尚未自提，商品仍在门店，不能登记破损",
                f"line {r.line_no}: the order was not collected; nothing came back damaged",
                field=f"lines[{i}].damaged",
            )
        asked[r.line_no] = asked.get(r.line_no, 0) + r.quantity
        damaged[r.line_no] = damaged.get(r.line_no, 0) + r.damaged
        if asked[r.line_no] > ln.quantity - ln.refunded_qty:
            raise InvalidGroupBuy(
                f"第 {r.line_no} 行最多还能退 {ln.quantity - ln.refunded_qty} 件",
                f"line {r.line_no}: only {ln.quantity - ln.refunded_qty} units left to refund",
                field=f"lines[{i}].quantity",
            )
    sales = order_service.return_order(
        session,
        order_id=o.sales_order_id,
        data=ReturnIn(
            lines=[ReturnLineIn(line_no=n, quantity=q) for n, q in asked.items()],
            reason=data.reason,
            idempotency_key=normalize_key(data.idempotency_key)[:100],
        ),
    )
    _restock(session, o, sales.external_id, asked, damaged, key, at)
    total = 0
    for n, q in asked.items():
        ln = by_no[n]
        before = ln.refunded_fen
        ln.refunded_qty += q
        ln.refunded_fen = ln.amount_fen * ln.refunded_qty // ln.quantity  # as the sales order
        total += ln.refunded_fen - before
    o.refunded_fen += total
    if o.status != "picked_up" and all(ln.refunded_qty == ln.quantity for ln in by_no.values()):
        o.status = "refunded"
    session.flush()
    delta = _recompute(session, o, f"refund:{key}", at)
    session.add(
        GroupRefund(order_id=o.id, key=key, refund_fen=total, commission_delta_fen=delta, at=at)
    )
    session.flush()
    return order_read(session, o)


def _restock(
    session: Session,
    o: GroupOrder,
    order_ref: str,
    asked: dict[int, int],
    damaged: dict[int, int],
    key: str,
    at: datetime,
) -> None:
    """The refunded units back in stock, by where the goods are (see :func:`refund`)."""
    if o.status == "paid":
        return  # still in the leader's hold: ordered_units no longer counts them
    if o.status in ("formed", "ready"):
        assert o.fulfilment_id is not None
        for n, q in sorted(asked.items()):
            fulfilment.refund_units(
                session,
                fulfilment_id=o.fulfilment_id,
                line_ref=str(n),
                quantity=q,
                actor="groupbuy",
                now=at,
            )
        return
    store = session.scalar(select(Leader.store_code).where(Leader.id == o.leader_id))
    assert store is not None
    for n, q in sorted(asked.items()):
        returns.take_back(
            session,
            order_ref=order_ref,
            line_ref=str(n),
            quantity=q,
            restock=q - damaged.get(n, 0),
            location=store,
            key=key,
            now=at,
        )


def entries(session: Session, *, leader: str, limit: int = 50) -> list[CommissionEntryRead]:
    """The leader's commission ledger, newest first."""
    ld = _leader(session, leader)
    return [
        CommissionEntryRead.model_validate(e)
        for e in session.scalars(
            select(CommissionEntry)
            .where(CommissionEntry.leader_id == ld.id)
            .order_by(CommissionEntry.id.desc())
            .limit(limit)
        )
    ]


def balance(session: Session, *, leader: str) -> CommissionBalance:
    ld = _leader(session, leader)
    b = ledger.balances(session, ld.id)
    return CommissionBalance(leader=ld.code, earned=commission.earned(b), **b)


def withdraw(
    session: Session, *, leader: str, amount_fen: int, key: str, now: datetime | None = None
) -> CommissionBalance:
    """Pay out available commission; more than is available is refused. Idempotent by key."""
    ld = _leader(session, leader)
    k = idempotency_key("withdraw", ld.code, key)
    ledger.lock_leader(session, ld.id)
    if not ledger.posted(session, k):
        bal = ledger.balances(session, ld.id)
        try:
            moves = commission.withdraw(amount_fen, bal)
        except commission.CommissionShortfall as e:
            raise InsufficientCommission(
                f"可提现佣金 {e.available / 100:.2f} 元，不足 {e.asked / 100:.2f} 元",
                f"{e.available} fen available, {e.asked} fen asked",
                field="amount_fen",
                available=e.available,
            ) from None
        ledger.post(session, leader_id=ld.id, order_id=None, key=k, moves=moves, now=now)
    return balance(session, leader=leader)
