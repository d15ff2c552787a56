"""The 自提 kinds beyond the counter: a smart locker (loaded into a compartment, collected with
the code there, a shorter hold), curbside (the customer says they are outside and where), and
by appointment (held from the end of the booked slot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.cdp.profile.models import Customer
from omniretail.omnichannel.fulfillment import codes, flow, returns
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import (
    IllegalTransition,
    InvalidFulfilment,
    NotAllocatable,
)
from omniretail.omnichannel.fulfillment.schemas import (
    Address,
    FulfilmentCreate,
    FulfilmentRead,
    OrderLineIn,
)
from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.schemas import LocationCreate
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform.messaging.models import Message
from tests.omnichannel.inventory.factories import world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def pickup(ref: str, **kw: Any) -> FulfilmentCreate:
    base: dict[str, Any] = {
        "order_ref": ref,
        "channel": "miniprogram",
        "customer_id": "C1",
        "mode": "pickup",
        "pickup_store": "S1",
        "lines": [OrderLineIn(line_ref="1", sku="SKU1", quantity=1, unit_price_fen=990)],
    }
    return FulfilmentCreate(**{**base, **kw})


def ready(session: Session, data: FulfilmentCreate) -> int:
    [f] = ful.place(session, data=data, now=T0)
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    ful.mark_ready(session, fulfilment_id=f.id, now=T0 + timedelta(minutes=10))
    session.commit()
    return f.id


def aware(t: datetime | None) -> datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=UTC)


def test_locker_pickup(session: Session) -> None:
    world(session)
    fid = ready(session, pickup("L1", pickup_kind="locker"))
    with pytest.raises(IllegalTransition):  # a locker order is collected at the locker
        ful.transition(session, ful.lock(session, fid), "hand_over")
    session.rollback()
    with pytest.raises(InvalidFulfilment):
        ful.load_locker(session, fulfilment_id=fid, box="A 1; drop")
    f = ful.load_locker(session, fulfilment_id=fid, box="A-07", now=T0 + timedelta(hours=1))
    assert (f.state, f.locker_box) == ("in_locker", "A-07")
    assert aware(f.hold_until) == T0 + timedelta(hours=1) + ful.LOCKER_HOLD
    code = codes.current(session, fulfilment_id=fid)
    assert code is not None
    out = codes.verify(session, store_code="S1", code=code.code, terminal="LOCKER-1",
                       now=T0 + timedelta(hours=5))  # fmt: skip
    assert out.ok
    assert ful.get(session, fulfilment_id=fid).state == "picked_up"
    # left in the locker past its hold: a no-show, the stock goes back once
    fid2 = ready(session, pickup("L2", pickup_kind="locker"))
    ful.load_locker(session, fulfilment_id=fid2, box="B-01", now=T0 + timedelta(hours=1))
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=2, hours=2)) == 1
    assert ful.get(session, fulfilment_id=fid2).state == "cancelled"
    assert inv.verify(session) == []


def test_curbside_pickup(session: Session) -> None:
    world(session)
    fid = ready(session, pickup("C1", pickup_kind="curbside"))
    assert "customer_arrives" in ful.get(session, fulfilment_id=fid).allowed
    f = ful.customer_arrives(session, fulfilment_id=fid, parking_spot="B2-035")
    again = ful.customer_arrives(session, fulfilment_id=fid, parking_spot="B2-035")
    assert (f.state, again.state, f.parking_spot) == (
        "customer_arrived",
        "customer_arrived",
        "B2-035",
    )
    code = codes.current(session, fulfilment_id=fid)
    assert code is not None
    assert codes.verify(session, store_code="S1", code=code.code, terminal="PAD-1", now=T0).ok
    # an ordinary counter pickup has no curbside step
    fid2 = ready(session, pickup("C2"))
    with pytest.raises(IllegalTransition):
        ful.customer_arrives(session, fulfilment_id=fid2)


def test_appointment_pickup_is_held_from_the_end_of_its_slot(session: Session) -> None:
    world(session)
    start = T0 + timedelta(days=5, hours=8)
    fid = ready(
        session,
        pickup(
            "A1", pickup_kind="appointment", slot_start=start, slot_end=start + timedelta(hours=1)
        ),
    )
    f = ful.get(session, fulfilment_id=fid)
    assert aware(f.hold_until) == start + timedelta(hours=1, days=1)
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=4)) == 0  # a counter hold (3
    # days) would have expired it before the booked day
    assert ful.expire_uncollected(session, now=start + timedelta(days=1, hours=2)) == 1


def parcel(ref: str, point: str = "P1") -> FulfilmentCreate:
    return FulfilmentCreate(
        order_ref=ref,
        channel="miniprogram",
        customer_id="C1",
        mode="pickup",
        pickup_kind="parcel_point",
        parcel_point=point,
        lines=[OrderLineIn(line_ref="1", sku="SKU1", quantity=1, unit_price_fen=990)],
    )


def at_point(session: Session, ref: str, code: str, at: datetime) -> int:
    [f] = ful.place(session, data=parcel(ref), now=at)
    ful.start_picking(session, fulfilment_id=f.id, now=at)
    ful.pack(session, fulfilment_id=f.id, now=at)
    ful.send_to_point(session, fulfilment_id=f.id, now=at)
    ful.arrive_at_point(session, fulfilment_id=f.id, point_code=code, now=at)
    return f.id


def test_parcel_point_pickup(session: Session) -> None:
    """快递代收点: the nearest store with stock packs it and sends it to a third-party point; the
    point holds it under its own collection code and reports the collection; not collected, it
    goes back and is restocked once when it is back at the store."""
    session.add(Customer(customer_id="C1", email="c1@example.cn", sources=["miniprogram"]))
    world(session)
    store_service.create_store(
        session,
        data=StoreCreate(
            code="P1",
            name="菜鸟驿站·人民广场",
            kind="pickup_point",
            latitude=31.2290,
            longitude=121.4750,
        ),
    )
    with pytest.raises(InvalidFulfilment) as bad:  # a store is not a parcel point
        ful.place(session, data=parcel("PX", point="S1"), now=T0)
    assert (bad.value.field, "快递代收点" in bad.value.message_zh) == ("parcel_point", True)
    [f] = ful.place(session, data=parcel("PP1"), now=T0)
    assert (f.store_code, f.pickup_kind, f.parcel_point) == ("S1", "parcel_point", "P1")
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    with pytest.raises(IllegalTransition):  # not collected at the store's counter
        ful.mark_ready(session, fulfilment_id=f.id, now=T0)
    ful.pack(session, fulfilment_id=f.id, now=T0)
    session.commit()
    with pytest.raises(IllegalTransition):  # nor given to a rider
        ful.transition(session, ful.lock(session, f.id), "dispatch")
    session.rollback()
    sent = ful.send_to_point(session, fulfilment_id=f.id, now=T0)
    assert sent.state == "to_point"
    lv = inv.get_level(session, location="S1", sku="SKU1")
    assert (lv.on_hand, lv.reserved) == (9, 0)  # the parcel left the store
    with pytest.raises(InvalidFulfilment) as e:
        ful.arrive_at_point(session, fulfilment_id=f.id, point_code="3-2 1045;")
    assert e.value.field == "point_code"
    arrived = ful.arrive_at_point(
        session, fulfilment_id=f.id, point_code="3-2-1045", now=T0 + timedelta(hours=4)
    )
    assert (arrived.state, arrived.point_code) == ("at_point", "3-2-1045")
    assert aware(arrived.hold_until) == T0 + timedelta(hours=4, days=3)
    assert codes.current(session, fulfilment_id=f.id) is None  # the point's code, not ours
    [msg] = session.scalars(select(Message).where(Message.template == "parcel_at_point")).all()
    assert "3-2-1045" in str(msg.payload)
    assert "菜鸟驿站·人民广场" in str(msg.payload)
    with pytest.raises(InvalidFulfilment):  # the point reports another parcel's code
        ful.collect_at_point(session, fulfilment_id=f.id, point_code="9-9-9999")
    done = ful.collect_at_point(session, fulfilment_id=f.id, point_code="3-2-1045")
    again = ful.collect_at_point(session, fulfilment_id=f.id, point_code="3-2-1045")
    assert (done.state, again.state) == ("picked_up", "picked_up")
    assert returns.returnable(session, order_ref="PP1")[0]["sold"] == 1
    events = [h.event for h in ful.history(session, fulfilment_id=f.id)]
    assert events[-4:] == ["pack", "send_to_point", "arrive_at_point", "collect_at_point"]
    # not collected within the point's hold: sent back, restocked once when it is back
    fid = at_point(session, "PP2", "5-1-2001", T0)
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=3, minutes=1)) == 1
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=4)) == 0
    assert ful.get(session, fulfilment_id=fid).state == "returning"
    assert inv.get_level(session, location="S1", sku="SKU1").on_hand == 8  # still on its way
    back = ful.returned_to_store(session, fulfilment_id=fid)
    assert (back.state, back.cancel_reason, back.refund_fen) == ("cancelled", "point_returned", 990)
    session.commit()
    with pytest.raises(IllegalTransition):
        ful.returned_to_store(session, fulfilment_id=fid)
    session.rollback()
    lv = inv.get_level(session, location="S1", sku="SKU1")
    assert (lv.on_hand, lv.reserved) == (9, 0)
    assert inv.verify(session) == []
    assert flow.PICKUP_KINDS["parcel_point"] == "快递代收点自提"


@pytest.mark.parametrize(
    ("kw", "problem"),
    [
        ({"pickup_kind": "appointment"}, "needs slot_start"),
        (
            {"pickup_kind": "appointment", "slot_start": T0, "slot_end": T0 - timedelta(hours=1)},
            "after slot_start",
        ),
        ({"slot_start": T0, "slot_end": T0 + timedelta(hours=1)}, "appointment pickups only"),
        ({"pickup_kind": "parcel_point"}, "needs the parcel point"),
        ({"parcel_point": "P1"}, "parcel-point pickups only"),
    ],
)
def test_pickup_kind_inputs_are_checked(kw: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        pickup("X", **kw)


def test_every_state_and_event_has_a_chinese_label() -> None:
    states = {s.id for s in flow.FulfilmentFlow("pickup", "placed").states}
    assert states <= set(flow.STATE_ZH)
    events = {e.id for e in flow.FulfilmentFlow("pickup", "placed").events}
    assert events <= set(flow.EVENT_ZH)


# --- a shortage moves the missing units to another store, keeping the pickup kind -------------


def short_at_s1(session: Session, data: FulfilmentCreate) -> tuple[FulfilmentRead, ...]:
    """Place at S1, start picking, find the only unit missing: what report_shortage returns."""
    [f] = ful.place(session, data=data, now=T0)
    assert f.store_code == "S1"
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    return tuple(ful.report_shortage(session, fulfilment_id=f.id, line_no=0, missing=1, now=T0))


def test_reallocated_locker_pickup_is_still_collected_from_a_locker(session: Session) -> None:
    world(session)
    first, moved = short_at_s1(session, pickup("RL1", pickup_kind="locker"))
    assert (first.state, moved.store_code, moved.pickup_kind) == ("cancelled", "S2", "locker")
    assert "智能自提柜" in (moved.allocation_zh or "")
    ful.start_picking(session, fulfilment_id=moved.id, now=T0)
    ful.mark_ready(session, fulfilment_id=moved.id, now=T0)
    session.commit()
    with pytest.raises(IllegalTransition):  # not handed over at the counter
        ful.transition(session, ful.lock(session, moved.id), "hand_over")
    session.rollback()
    boxed = ful.load_locker(session, fulfilment_id=moved.id, box="C-03", now=T0)
    assert (boxed.state, boxed.locker_box) == ("in_locker", "C-03")
    assert aware(boxed.hold_until) == T0 + ful.LOCKER_HOLD
    code = codes.current(session, fulfilment_id=moved.id)
    assert code is not None
    assert codes.verify(session, store_code="S2", code=code.code, terminal="LOCKER-2", now=T0).ok
    assert inv.verify(session) == []


def test_reallocated_curbside_pickup_is_still_brought_out(session: Session) -> None:
    world(session)
    _, moved = short_at_s1(session, pickup("RC1", pickup_kind="curbside"))
    assert (moved.store_code, moved.pickup_kind) == ("S2", "curbside")
    ful.start_picking(session, fulfilment_id=moved.id, now=T0)
    ful.mark_ready(session, fulfilment_id=moved.id, now=T0)
    here = ful.customer_arrives(session, fulfilment_id=moved.id, parking_spot="P1-12", now=T0)
    assert (here.state, here.parking_spot) == ("customer_arrived", "P1-12")


def test_reallocated_appointment_keeps_its_slot(session: Session) -> None:
    world(session)
    start = T0 + timedelta(days=4, hours=6)
    end = start + timedelta(hours=2)
    _, moved = short_at_s1(
        session, pickup("RA1", pickup_kind="appointment", slot_start=start, slot_end=end)
    )
    assert moved.pickup_kind == "appointment"
    assert (aware(moved.slot_start), aware(moved.slot_end)) == (start, end)
    ful.start_picking(session, fulfilment_id=moved.id, now=T0)
    ready_ = ful.mark_ready(session, fulfilment_id=moved.id, now=T0)
    assert aware(ready_.hold_until) == end + timedelta(days=1)  # held for the booked day
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=3, hours=1)) == 0


def test_reallocated_parcel_point_pickup_only_goes_to_a_store_within_reach_of_the_point(
    session: Session,
) -> None:
    """The replacement store ships to the point, so it is searched around the point, not
    around the store that was short: a store 9 km west of it is 14 km from a point 5 km east."""
    world(session)
    inv.register_location(
        session,
        data=LocationCreate(code="S4", name="门店D", latitude=31.2304, longitude=121.3789),
    )
    inv.receive(session, location="S4", sku="SKU1", quantity=10, key="init:S4:SKU1")
    store_service.create_store(
        session,
        data=StoreCreate(
            code="P9", name="菜鸟驿站·东", kind="pickup_point", latitude=31.2304, longitude=121.5264
        ),
    )
    for loc in ("S2", "S3"):
        inv.count(session, location=loc, sku="SKU1", counted=0)
    [only] = short_at_s1(session, parcel("RP1", point="P9"))
    assert (only.state, only.refund_fen) == ("cancelled", 990)
    assert [f.id for f in ful.for_order(session, channel="miniprogram", order_ref="RP1")] == [
        only.id
    ]
    # once a store near the point has the units, the parcel is still a parcel-point pickup
    [f] = ful.place(session, data=parcel("RP2", point="P9"), now=T0)
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    inv.count(session, location="S2", sku="SKU1", counted=5)
    _, moved = ful.report_shortage(session, fulfilment_id=f.id, line_no=0, missing=1, now=T0)
    assert (moved.store_code, moved.pickup_kind, moved.parcel_point) == (
        "S2",
        "parcel_point",
        "P9",
    )
    ful.start_picking(session, fulfilment_id=moved.id, now=T0)
    ful.pack(session, fulfilment_id=moved.id, now=T0)
    assert ful.send_to_point(session, fulfilment_id=moved.id, now=T0).state == "to_point"
    assert inv.verify(session) == []


def test_shortage_is_not_moved_to_a_store_without_pickup(session: Session) -> None:
    """The only nearby store with the units does not offer 门店自提: the missing unit is
    refunded and the refund says why, naming the store and the pickup kind."""
    world(session)
    inv.register_location(
        session,
        data=LocationCreate(
            code="S5", name="门店E", latitude=31.2310, longitude=121.4740, pickup=False
        ),
    )
    inv.receive(session, location="S5", sku="SKU1", quantity=10, key="init:S5:SKU1")
    for loc in ("S2", "S3"):
        inv.count(session, location=loc, sku="SKU1", counted=0)
    [only] = short_at_s1(session, pickup("RN1", pickup_kind="locker"))
    assert (only.state, only.refund_fen) == ("cancelled", 990)
    notes = [h.note or "" for h in ful.history(session, fulfilment_id=only.id)]
    [why] = [n for n in notes if "退款" in n]
    assert "门店E" in why
    assert "不提供门店自提" in why
    assert "智能自提柜" in why
    # nor is a pickup placed there by the customer's position
    near_s5 = Address(latitude=31.2311, longitude=121.4741)
    inv.count(session, location="S1", sku="SKU1", counted=0)
    with pytest.raises(NotAllocatable):
        ful.place(session, data=pickup("RN2", pickup_store=None, address=near_s5), now=T0)


def test_every_code_the_pages_show_has_both_labels() -> None:
    """The fulfilment pages label states, events, modes, pickup kinds and the rider's statuses in
    the reader's language: every code has a Chinese and an English label (the English console
    showed raw event names such as 'send to point')."""
    from omniretail.omnichannel.fulfillment import delivery

    events = {e.id for e in flow.FulfilmentFlow.events}
    assert events <= set(flow.EVENT_ZH), events - set(flow.EVENT_ZH)
    assert set(flow.EVENT_ZH) == set(flow.EVENT_EN)
    states = {s.id for s in flow.FulfilmentFlow.states}
    assert states <= set(flow.STATE_ZH)
    assert set(flow.STATE_ZH) == set(flow.STATE_EN)
    assert set(flow.MODES) == set(flow.MODES_EN)
    assert set(flow.PICKUP_KINDS) == set(flow.PICKUP_KINDS_EN)
    assert set(delivery.STATUS_ZH) == set(delivery.STATUS_EN)
