"""Group-buying verbs: leaders (apply, decide), commission rules, activities (with a stock hold
per leader through the inventory reservations) and orders through a leader's link (a sales
order in channel ``groupbuy``, paid). The cut-off, arrival, pickup, no-shows, refunds and the
commission moves are in :mod:`settle`. Services flush; the caller commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.inventory.schemas import ReservationLine
from omniretail.omnichannel.order import service as order_service
from omniretail.omnichannel.order.schemas import OrderCreate, OrderLineIn, TenderIn
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.store import service as store_service
from omniretail.operations.groupbuy import commission
from omniretail.operations.groupbuy.errors import (
    ActivityClosed,
    HoldExhausted,
    InvalidGroupBuy,
    LeaderNotActive,
    PointFull,
    UnknownActivity,
    UnknownLeader,
    UnknownOrder,
)
from omniretail.operations.groupbuy.models import (
    Activity,
    ActivityItem,
    ActivityLeader,
    CommissionRule,
    GroupOrder,
    GroupOrderLine,
    Leader,
)
from omniretail.operations.groupbuy.schemas import (
    LEADER_STATUS_ZH,
    ActivityCreate,
    ActivityRead,
    GroupOrderCreate,
    GroupOrderLineRead,
    GroupOrderRead,
    ItemRead,
    LeaderApply,
    LeaderDecision,
    LeaderRead,
    RuleIn,
    RuleRead,
)
from omniretail.platform.db import utcnow
from omniretail.platform.keys import normalize_key

CHANNEL = "groupbuy"
# a parcel waits at (or is on its way to) a leader's point from the order until it is collected
AT_POINT = ("paid", "formed", "ready")
HOLD_GRACE = timedelta(days=1)  # a hold the cut-off job never reached expires a day later


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- leaders ----------------------------------------------------------------------------------


def _leader(session: Session, code: str, field: str = "leader") -> Leader:
    row = session.scalar(select(Leader).where(Leader.code == normalize_key(code)))
    if row is None:
        raise UnknownLeader(code, field)
    return row


def get_leader(session: Session, *, code: str) -> LeaderRead:
    return LeaderRead.model_validate(_leader(session, code))


def list_leaders(
    session: Session, *, store_codes: list[str] | None = None, status: str | None = None
) -> list[LeaderRead]:
    q = select(Leader).order_by(Leader.store_code, Leader.code)
    if store_codes is not None:
        q = q.where(Leader.store_code.in_(store_codes))
    if status is not None:
        q = q.where(Leader.status == status)
    return [LeaderRead.model_validate(r) for r in session.scalars(q)]


def apply_leader(session: Session, *, data: LeaderApply, now: datetime | None = None) -> LeaderRead:
    """A recruitment application (status ``applied``). Re-applying with the same code while
    the application is undecided updates it; a decided leader is refused."""
    store_service.get_store(session, code=data.store_code)
    code = normalize_key(data.code)
    row = session.scalar(select(Leader).where(Leader.code == code))
    if row is not None and row.status != "applied":
        raise InvalidGroupBuy(
            f"团长 {data.code} 已{LEADER_STATUS_ZH[row.status]}，不能重复申请",
            f"leader {data.code!r} is already {row.status}",
            field="code",
        )
    if row is None:
        row = Leader(code=code, status="applied", applied_at=now or utcnow())
        session.add(row)
    for k, v in data.model_dump(exclude={"code"}).items():
        setattr(row, k, v)
    session.flush()
    return LeaderRead.model_validate(row)


def decide_leader(
    session: Session,
    *,
    code: str,
    data: LeaderDecision,
    by: str | None = None,
    now: datetime | None = None,
) -> LeaderRead:
    """Approve (→ active) or reject an application; idempotent for the same decision."""
    row = _leader(session, code)
    want = "active" if data.approve else "rejected"
    if row.status == want:
        return LeaderRead.model_validate(row)
    if row.status != "applied":
        raise InvalidGroupBuy(
            f"团长 {code} 当前为「{LEADER_STATUS_ZH[row.status]}」，只能审核待审核的申请",
            f"leader {code!r} is {row.status}; only applications can be decided",
            field="approve",
        )
    row.status, row.decided_at, row.decided_by = want, now or utcnow(), by
    row.note = data.note or row.note
    if data.tier is not None:
        row.tier = data.tier
    session.flush()
    return LeaderRead.model_validate(row)


def set_leader_status(session: Session, *, code: str, status: str) -> LeaderRead:
    """Suspend an active leader or reactivate a suspended one."""
    row = _leader(session, code)
    if {row.status, status} != {"active", "suspended"}:
        raise InvalidGroupBuy(
            f"团长 {code} 当前为「{LEADER_STATUS_ZH.get(row.status, row.status)}」，"
            f"不能改为「{LEADER_STATUS_ZH.get(status, status)}」",
            f"leader {code!r} cannot go from {row.status} to {status}",
            field="status",
        )
    row.status = status
    session.flush()
    return LeaderRead.model_validate(row)


# --- pickup-point capacity --------------------------------------------------------------------


def parcels_at_point(session: Session, leader_id: int) -> int:
    """Orders of the leader not yet collected, not cancelled or refunded: one parcel each."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(GroupOrder)
            .where(GroupOrder.leader_id == leader_id, GroupOrder.status.in_(AT_POINT))
        )
        or 0
    )


def lock_point(session: Session, leader_id: int) -> None:
    """Serialise what is assigned to one leader's point (PostgreSQL: the leader row's lock,
    the one commission postings take; SQLite: the write lock)."""
    session.execute(
        update(Leader)
        .where(Leader.id == leader_id)
        .values(code=Leader.code)
        .execution_options(synchronize_session=False)
    )


def check_room(session: Session, leader: Leader, *, field: str = "leader") -> int:
    """The parcels the leader's point holds now; refused when it is full. The caller holds
    the point's lock (:func:`lock_point`) so the count stays true until the commit."""
    n = parcels_at_point(session, leader.id)
    if n >= leader.capacity:
        raise PointFull(
            f"自提点「{leader.point_name}」（团长 {leader.name}）已满：最多存放 "
            f"{leader.capacity} 件包裹，现有 {n} 件未取",
            f"pickup point {leader.point_name!r} of leader {leader.code!r} is full: "
            f"capacity {leader.capacity} parcels, {n} not collected",
            field=field,
            capacity=leader.capacity,
            parcels=n,
        )
    return n


# --- commission rules -------------------------------------------------------------------------


def set_rule(session: Session, *, data: RuleIn) -> RuleRead:
    """Create or replace the rule of (scope, key); applies to orders placed from now on."""
    row = session.scalar(
        select(CommissionRule).where(
            CommissionRule.scope == data.scope, CommissionRule.key == data.key
        )
    )
    if row is None:
        row = CommissionRule(scope=data.scope, key=data.key)
        session.add(row)
    row.kind, row.value = data.kind, data.value
    session.flush()
    return RuleRead.model_validate(row)


def rules(session: Session) -> list[commission.Rule]:
    return [
        commission.Rule(r.scope, r.key, r.kind, r.value)
        for r in session.scalars(select(CommissionRule).order_by(CommissionRule.id))
    ]


def list_rules(session: Session) -> list[RuleRead]:
    return [
        RuleRead.model_validate(r)
        for r in session.scalars(select(CommissionRule).order_by(CommissionRule.id))
    ]


# --- activities -------------------------------------------------------------------------------


def hold_key(activity_code: str, leader_code: str) -> str:
    return f"gb:{activity_code}:{leader_code}"


def _activity(session: Session, code: str) -> Activity:
    row = session.scalar(select(Activity).where(Activity.code == normalize_key(code)))
    if row is None:
        raise UnknownActivity(code)
    return row


def activity_read(session: Session, row: Activity) -> ActivityRead:
    items = session.scalars(
        select(ActivityItem).where(ActivityItem.activity_id == row.id).order_by(ActivityItem.id)
    ).all()
    leaders = session.scalars(
        select(Leader.code)
        .join(ActivityLeader, ActivityLeader.leader_id == Leader.id)
        .where(ActivityLeader.activity_id == row.id)
        .order_by(Leader.code)
    ).all()
    n = session.scalar(select(func.count()).where(GroupOrder.activity_id == row.id)) or 0
    return ActivityRead(
        code=row.code,
        title=row.title,
        status=row.status,
        min_orders=row.min_orders,
        cutoff_at=aware(row.cutoff_at),
        pickup_from=aware(row.pickup_from),
        pickup_until=aware(row.pickup_until),
        coupon_template=row.coupon_template,
        items=[ItemRead.model_validate(i) for i in items],
        leaders=list(leaders),
        orders=int(n),
    )


def get_activity(session: Session, *, code: str) -> ActivityRead:
    return activity_read(session, _activity(session, code))


def list_activities(session: Session, *, status: str | None = None) -> list[ActivityRead]:
    q = select(Activity).order_by(Activity.cutoff_at.desc(), Activity.id.desc())
    if status is not None:
        q = q.where(Activity.status == status)
    return [activity_read(session, r) for r in session.scalars(q)]


def create_activity(
    session: Session, *, data: ActivityCreate, now: datetime | None = None
) -> ActivityRead:
    """Create an activity and hold ``hold_per_leader`` units of each SKU at each leader's store
    until the cut-off (one reservation per leader, kind ``groupbuy``). A SKU not in the
    catalogue, an unknown or inactive leader, a cut-off in the past or a store short of stock
    refuses the whole activity."""
    at = now or utcnow()
    code = normalize_key(data.code)
    if session.scalar(select(Activity.id).where(Activity.code == code)) is not None:
        raise InvalidGroupBuy(
            f"团购活动 {data.code} 已存在", f"activity {data.code!r} exists", field="code"
        )
    if data.cutoff_at <= at:
        raise InvalidGroupBuy(
            "截单时间必须晚于现在", "the cut-off must be in the future", field="cutoff_at"
        )
    skus = [i.sku for i in data.items]
    if len(set(skus)) != len(skus):
        raise InvalidGroupBuy("商品重复", "a SKU is listed twice", field="items")
    products = product_service.get_products(session, skus=skus)
    for n, it in enumerate(data.items):
        if it.sku not in products:
            raise InvalidGroupBuy(
                f"商品 {it.sku} 不存在", f"unknown SKU {it.sku!r}", field=f"items[{n}].sku"
            )
    leaders: list[Leader] = []
    for n, lc in enumerate(data.leaders):
        ld = _leader(session, lc, f"leaders[{n}]")
        if ld.status != "active":
            raise LeaderNotActive(
                f"团长 {ld.name}（{lc}）当前为「{LEADER_STATUS_ZH[ld.status]}」，不能参加活动",
                f"leader {lc!r} is {ld.status}",
                field=f"leaders[{n}]",
            )
        if ld.id in {x.id for x in leaders}:
            raise InvalidGroupBuy("团长重复", "a leader is listed twice", field=f"leaders[{n}]")
        check_room(session, ld, field=f"leaders[{n}]")  # a full point takes no new group
        leaders.append(ld)
    act = Activity(
        code=code,
        title=data.title,
        status="open",
        min_orders=data.min_orders,
        cutoff_at=data.cutoff_at,
        pickup_from=data.pickup_from,
        pickup_until=data.pickup_until,
        coupon_template=data.coupon_template,
        created_at=at,
    )
    session.add(act)
    session.flush()
    for it in data.items:
        p = products[it.sku]
        session.add(
            ActivityItem(
                activity_id=act.id,
                sku=p.sku,
                name=p.name,
                category_code=p.category_code,
                list_price_fen=p.price_fen,
                group_price_fen=it.group_price_fen,
                hold_per_leader=it.hold_per_leader,
            )
        )
    for ld in leaders:
        key = hold_key(act.code, ld.code)
        inventory.reserve(
            session,
            key=key,
            lines=[
                ReservationLine(location=ld.store_code, sku=it.sku, quantity=it.hold_per_leader)
                for it in data.items
            ],
            kind="groupbuy",
            expires_at=data.cutoff_at + HOLD_GRACE,
            ref=f"groupbuy:{act.code}",
            now=at,
        )
        session.add(ActivityLeader(activity_id=act.id, leader_id=ld.id, hold_key=key))
    session.flush()
    return activity_read(session, act)


# --- orders -----------------------------------------------------------------------------------


def order_read(session: Session, row: GroupOrder) -> GroupOrderRead:
    lines = session.scalars(
        select(GroupOrderLine)
        .where(GroupOrderLine.order_id == row.id)
        .order_by(GroupOrderLine.line_no)
    ).all()
    act_code = session.scalar(select(Activity.code).where(Activity.id == row.activity_id))
    leader_code = session.scalar(select(Leader.code).where(Leader.id == row.leader_id))
    return GroupOrderRead(
        id=row.id,
        activity=str(act_code),
        leader=str(leader_code),
        customer_id=row.customer_id,
        external_id=row.external_key,
        sales_order_id=row.sales_order_id,
        fulfilment_id=row.fulfilment_id,
        status=row.status,
        amount_fen=row.amount_fen,
        refunded_fen=row.refunded_fen,
        commission_fen=row.commission_fen,
        commission_bucket=row.commission_bucket,
        ordered_at=aware(row.ordered_at),
        picked_up_at=aware(row.picked_up_at) if row.picked_up_at else None,
        lines=[GroupOrderLineRead.model_validate(ln) for ln in lines],
    )


def get_order(session: Session, *, order_id: int) -> GroupOrderRead:
    row = session.get(GroupOrder, order_id)
    if row is None:
        raise UnknownOrder(order_id)
    return order_read(session, row)


def list_orders(
    session: Session,
    *,
    activity: str | None = None,
    leader: str | None = None,
    status: str | None = None,
    store_codes: list[str] | None = None,
    limit: int = 200,
) -> list[GroupOrderRead]:
    q = select(GroupOrder).order_by(GroupOrder.id.desc()).limit(limit)
    if activity is not None:
        q = q.where(GroupOrder.activity_id == _activity(session, activity).id)
    if leader is not None:
        q = q.where(GroupOrder.leader_id == _leader(session, leader).id)
    if status is not None:
        q = q.where(GroupOrder.status == status)
    if store_codes is not None:
        q = q.join(Leader, Leader.id == GroupOrder.leader_id).where(
            Leader.store_code.in_(store_codes)
        )
    return [order_read(session, r) for r in session.scalars(q)]


def ordered_units(session: Session, activity_id: int, leader_id: int) -> dict[str, int]:
    """Units ordered per SKU through a leader and not refunded (a refund before the cut-off
    gives its units back to the leader's hold)."""
    return {
        sku: int(q or 0)
        for sku, q in session.execute(
            select(
                GroupOrderLine.sku,
                func.sum(GroupOrderLine.quantity - GroupOrderLine.refunded_qty),
            )
            .join(GroupOrder, GroupOrder.id == GroupOrderLine.order_id)
            .where(
                GroupOrder.activity_id == activity_id,
                GroupOrder.leader_id == leader_id,
                GroupOrder.status.not_in(("cancelled", "refunded")),
            )
            .group_by(GroupOrderLine.sku)
        )
    }


def place_order(
    session: Session, *, data: GroupOrderCreate, now: datetime | None = None
) -> GroupOrderRead:
    """An order through a leader's link: checked against the cut-off, the leader (known,
    active, in this activity), the room left at the leader's pickup point (its capacity in
    parcels not yet collected, over all the leader's activities) and what is left of the
    leader's hold; a paid sales order in
    channel ``groupbuy`` at the leader's store. A retry with the same ``external_id`` returns
    the first order."""
    at = now or utcnow()
    key = normalize_key(data.external_id)
    found = session.scalar(select(GroupOrder).where(GroupOrder.external_key == key))
    if found is not None:
        return order_read(session, found)
    act = _activity(session, data.activity)
    if act.status != "open" or aware(act.cutoff_at) <= at:
        raise ActivityClosed(
            f"团购活动「{act.title}」已于 {_local(act.cutoff_at)} 截单，不能再下单",
            f"activity {act.code!r} closed for orders at {aware(act.cutoff_at).isoformat()}",
            field="activity",
        )
    leader = _leader(session, data.leader)
    if leader.status != "active":
        raise LeaderNotActive(
            f"团长 {leader.name} 当前为「{LEADER_STATUS_ZH[leader.status]}」，不能接单",
            f"leader {data.leader!r} is {leader.status}",
            field="leader",
        )
    part = session.scalar(
        select(ActivityLeader).where(
            ActivityLeader.activity_id == act.id, ActivityLeader.leader_id == leader.id
        )
    )
    if part is None:
        raise InvalidGroupBuy(
            f"团长 {leader.name} 没有参加活动「{act.title}」",
            f"leader {data.leader!r} does not take part in {act.code!r}",
            field="leader",
        )
    # one more parcel for the leader's point: refused when it is full (the point's lock
    # serialises orders across the leader's activities), then serialise orders of one hold
    lock_point(session, leader.id)
    check_room(session, leader)
    session.execute(
        update(ActivityLeader)
        .where(ActivityLeader.id == part.id)
        .values(hold_key=ActivityLeader.hold_key)
        .execution_options(synchronize_session=False)
    )
    items = {
        i.sku: i
        for i in session.scalars(select(ActivityItem).where(ActivityItem.activity_id == act.id))
    }
    want: dict[str, int] = defaultdict(int)
    for n, ln in enumerate(data.lines):
        if ln.sku not in items:
            raise InvalidGroupBuy(
                f"商品 {ln.sku} 不在活动「{act.title}」中",
                f"SKU {ln.sku!r} is not in activity {act.code!r}",
                field=f"lines[{n}].sku",
            )
        want[ln.sku] += ln.quantity
    taken = ordered_units(session, act.id, leader.id)
    for n, ln in enumerate(data.lines):
        left = items[ln.sku].hold_per_leader - taken.get(ln.sku, 0)
        if want[ln.sku] > left:
            raise HoldExhausted(
                f"团长 {leader.name} 的 {items[ln.sku].name} 只剩 {max(left, 0)} 件",
                f"{max(left, 0)} units of {ln.sku} left at leader {data.leader!r}",
                field=f"lines[{n}].quantity",
                left=max(left, 0),
            )
    sales = order_service.create_order(
        session,
        data=OrderCreate(
            channel_code=CHANNEL,
            external_id=data.external_id,
            origin="groupbuy",
            store_code=leader.store_code,
            customer_id=data.customer_id,
            fulfillment="group_pickup",
            ordered_at=data.ordered_at or at,
            lines=[
                OrderLineIn(
                    sku=ln.sku, quantity=ln.quantity, unit_price_fen=items[ln.sku].group_price_fen
                )
                for ln in data.lines
            ],
            coupon_codes=data.coupon_codes,
        ),
    )
    if sales.status == "placed" and sales.total_fen > 0:
        sales = order_service.pay_order(
            session,
            order_id=sales.id,
            tenders=[
                TenderIn(
                    method=data.tender,
                    amount_fen=sales.total_fen,
                    reference=f"gb-{key}"[:64],
                )
            ],
        )
    tier_rules = rules(session)
    row = GroupOrder(
        activity_id=act.id,
        leader_id=leader.id,
        external_key=key,
        customer_id=data.customer_id,
        sales_order_id=sales.id,
        status="paid",
        amount_fen=sum(ln.amount_fen for ln in sales.lines),
        refunded_fen=0,
        coupon_used=bool(sales.coupon_codes),
        commission_fen=0,
        ordered_at=data.ordered_at or at,
    )
    session.add(row)
    session.flush()
    for sl in sales.lines:
        cat = items[sl.sku].category_code
        rule = commission.pick_rule(tier_rules, category=cat, tier=leader.tier)
        session.add(
            GroupOrderLine(
                order_id=row.id,
                line_no=sl.line_no,
                sku=sl.sku,
                category_code=cat,
                quantity=sl.quantity,
                amount_fen=sl.amount_fen,
                refunded_qty=0,
                refunded_fen=0,
                rule_kind=rule.kind if rule else "rate",
                rule_value=rule.value if rule else 0,
            )
        )
    session.flush()
    return order_read(session, row)


def _local(value: datetime) -> str:
    from omniretail.platform.timezone import CHAIN_TZ

    return aware(value).astimezone(CHAIN_TZ).strftime("%m月%d日 %H:%M")
