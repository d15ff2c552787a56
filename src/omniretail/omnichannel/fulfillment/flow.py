"""One state machine for every fulfilment mode, with its legal transitions spelled out.

门店自提 (pickup): placed → allocated → picking → ready_for_pickup → picked_up; a pickup not
collected within its hold → cancelled (no_show). Its kinds differ after "ready": a smart-locker
pickup is loaded into a compartment (ready_for_pickup → in_locker) and collected with its code at
the locker; a curbside pickup waits for the customer to say they have arrived (→
customer_arrived, with the parking spot) and is brought out; an appointment pickup is collected
in its booked slot (its hold runs from the slot's end); a parcel-point pickup (快递代收点) is
packed and sent to a third-party point (packed → to_point, the stock leaves the store), held
there under the point's own collection code (→ at_point), collected there (→ picked_up, reported
by the point) or, not collected within the point's hold, sent back (→ returning → cancelled,
restocked once when it is back). Ship from store and 同城配送 (delivery):
picking → packed → awaiting_rider → rider_assigned → rider_at_store → in_delivery → delivered,
the rider states following WeChat 即时配送's order_status (101 → 102 → 201 → 202/301 → 302);
a delivery that fails before the rider has the goods goes back to packed (dispatch again or
cancel); one that fails on the way goes returning → returned (401) and is cancelled.
"""

from __future__ import annotations

from functools import lru_cache

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from omniretail.omnichannel.fulfillment.errors import IllegalTransition

STATE_ZH = {
    "placed": "已下单",
    "allocated": "已分配",
    "picking": "拣货中",
    "ready_for_pickup": "待自提",
    "picked_up": "已自提",
    "in_locker": "已入柜待取",
    "customer_arrived": "顾客已到达",
    "to_point": "运往代收点",
    "at_point": "已到代收点待取",
    "packed": "已打包待发",
    "awaiting_rider": "待骑手接单",
    "rider_assigned": "骑手已接单",
    "rider_at_store": "骑手已到店",
    "in_delivery": "配送中",
    "delivered": "已送达",
    "returning": "退回门店中",
    "cancelled": "已取消",
}
STATE_EN = {
    "placed": "placed",
    "allocated": "allocated",
    "picking": "picking",
    "ready_for_pickup": "ready for pickup",
    "picked_up": "picked up",
    "in_locker": "in the locker",
    "customer_arrived": "customer has arrived",
    "to_point": "on the way to the parcel point",
    "at_point": "at the parcel point",
    "packed": "packed",
    "awaiting_rider": "awaiting a rider",
    "rider_assigned": "rider assigned",
    "rider_at_store": "rider at the store",
    "in_delivery": "out for delivery",
    "delivered": "delivered",
    "returning": "returning to the store",
    "cancelled": "cancelled",
}
EVENT_ZH = {
    "allocate": "分配门店",
    "start_picking": "开始拣货",
    "mark_ready": "备货完成",
    "hand_over": "交付顾客",
    "load_locker": "放入自提柜",
    "customer_arrives": "顾客到达",
    "send_to_point": "发往代收点",
    "arrive_at_point": "到达代收点",
    "collect_at_point": "代收点取件",
    "point_returns": "代收点退回",
    "no_show": "逾期未取",
    "pack": "打包",
    "dispatch": "呼叫骑手",
    "rider_accepts": "骑手接单",
    "rider_arrives": "骑手到店",
    "rider_picks_up": "骑手取货",
    "deliver": "送达",
    "delivery_aborted": "配送取消",
    "start_return": "退回门店",
    "returned_to_store": "退回入库",
    "cancel": "取消",
    "place": "下单",
    "report_shortage": "报告缺货",
    "refund_missing": "缺货退款",
    "remind": "提醒取货",
    "reissue_code": "重新发码",
}
EVENT_EN = {
    "allocate": "allocate a store",
    "start_picking": "start picking",
    "mark_ready": "mark ready",
    "hand_over": "hand over",
    "load_locker": "load the locker",
    "customer_arrives": "customer arrives",
    "send_to_point": "send to the parcel point",
    "arrive_at_point": "arrive at the parcel point",
    "collect_at_point": "collect at the parcel point",
    "point_returns": "parcel point returns it",
    "no_show": "not collected",
    "pack": "pack",
    "dispatch": "call a rider",
    "rider_accepts": "rider accepts",
    "rider_arrives": "rider arrives",
    "rider_picks_up": "rider picks up",
    "deliver": "deliver",
    "delivery_aborted": "delivery cancelled",
    "start_return": "return to the store",
    "returned_to_store": "returned to stock",
    "cancel": "cancel",
    "place": "place",
    "report_shortage": "report a shortage",
    "refund_missing": "refund the missing units",
    "remind": "remind to collect",
    "reissue_code": "reissue the code",
}
FINAL = {"picked_up", "delivered", "cancelled"}
MODES = {"pickup": "门店自提", "ship_from_store": "门店发货", "same_city": "同城配送"}
MODES_EN = {
    "pickup": "pickup in store",
    "ship_from_store": "ship from store",
    "same_city": "same-city delivery",
}
PICKUP_KINDS = {
    "store": "到店柜台自提",
    "locker": "智能自提柜",
    "curbside": "路边/车位取货",
    "appointment": "预约自提",
    "parcel_point": "快递代收点自提",
}
PICKUP_KINDS_EN = {
    "store": "at the counter",
    "locker": "smart locker",
    "curbside": "curbside",
    "appointment": "by appointment",
    "parcel_point": "at a parcel point",
}


class FulfilmentFlow(StateMachine):  # type: ignore[misc]
    placed = State(initial=True)
    allocated = State()
    picking = State()
    ready_for_pickup = State()
    picked_up = State(final=True)
    in_locker = State()
    customer_arrived = State()
    to_point = State()
    at_point = State()
    packed = State()
    awaiting_rider = State()
    rider_assigned = State()
    rider_at_store = State()
    in_delivery = State()
    delivered = State(final=True)
    returning = State()
    cancelled = State(final=True)

    allocate = placed.to(allocated)
    start_picking = allocated.to(picking)
    mark_ready = picking.to(ready_for_pickup, cond="is_counter_pickup")
    load_locker = ready_for_pickup.to(in_locker, cond="is_locker")
    customer_arrives = ready_for_pickup.to(customer_arrived, cond="is_curbside")
    hand_over = (
        ready_for_pickup.to(picked_up, unless="is_locker")
        | in_locker.to(picked_up)
        | customer_arrived.to(picked_up)
    )
    no_show = ready_for_pickup.to(cancelled) | in_locker.to(cancelled)
    pack = picking.to(packed, unless="is_counter_pickup")
    dispatch = packed.to(awaiting_rider, unless="is_parcel")
    send_to_point = packed.to(to_point, cond="is_parcel")
    arrive_at_point = to_point.to(at_point)
    collect_at_point = at_point.to(picked_up)
    point_returns = to_point.to(returning) | at_point.to(returning)
    rider_accepts = awaiting_rider.to(rider_assigned)
    rider_arrives = rider_assigned.to(rider_at_store)
    rider_picks_up = (
        awaiting_rider.to(in_delivery)
        | rider_assigned.to(in_delivery)
        | rider_at_store.to(in_delivery)
    )
    deliver = in_delivery.to(delivered)
    delivery_aborted = (
        awaiting_rider.to(packed) | rider_assigned.to(packed) | rider_at_store.to(packed)
    )
    start_return = in_delivery.to(returning)
    returned_to_store = returning.to(cancelled)
    cancel = (
        placed.to(cancelled)
        | allocated.to(cancelled)
        | picking.to(cancelled)
        | ready_for_pickup.to(cancelled)
        | packed.to(cancelled)
    )

    def __init__(self, mode: str, state: str, kind: str | None = None) -> None:
        self.mode = mode
        self.kind = kind or "store"
        super().__init__(start_value=state)

    def is_pickup(self) -> bool:
        return self.mode == "pickup"

    def is_counter_pickup(self) -> bool:
        """Collected from the store itself (counter, locker, curbside, appointment)."""
        return self.mode == "pickup" and self.kind != "parcel_point"

    def is_parcel(self) -> bool:
        return self.mode == "pickup" and self.kind == "parcel_point"

    def is_locker(self) -> bool:
        return self.mode == "pickup" and self.kind == "locker"

    def is_curbside(self) -> bool:
        return self.mode == "pickup" and self.kind == "curbside"


def next_state(mode: str, state: str, event: str, kind: str | None = None) -> str:
    """The state ``event`` leads to from ``state``, or IllegalTransition naming both."""
    to = _transition(mode, state, event, kind)
    if to is None:
        raise IllegalTransition(state=state, event=event)
    return to


def allowed_events(mode: str, state: str, kind: str | None = None) -> list[str]:
    """The events that lead somewhere from ``state`` for this mode and kind."""
    return list(_allowed(mode, state, kind))


# The machine is a pure function of (mode, kind, state, event): its guards read only the mode
# and the kind. Building a python-statemachine instance costs milliseconds (it validates and
# wires the whole graph), and every read of an order asks for its allowed events (one machine
# per candidate event), so the answers are kept per argument tuple: at most a few hundred.
@lru_cache(maxsize=4096)
def _transition(mode: str, state: str, event: str, kind: str | None) -> str | None:
    flow = FulfilmentFlow(mode, state, kind)
    try:
        flow.send(event)
    except (TransitionNotAllowed, AttributeError):
        return None
    return str(flow.current_state_value)


@lru_cache(maxsize=1024)
def _allowed(mode: str, state: str, kind: str | None) -> tuple[str, ...]:
    flow = FulfilmentFlow(mode, state, kind)
    return tuple(
        e.id for e in flow.allowed_events if _transition(mode, state, e.id, kind) is not None
    )
