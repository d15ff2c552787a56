"""The 自提 kinds beyond the counter: a smart locker (loaded into a compartment, collected with
the code there, a shorter hold), curbside (the customer says they are outside and where), and
by appointment (held from the end of the booked slot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes, flow
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import IllegalTransition, InvalidFulfilment
from omniretail.omnichannel.fulfillment.schemas import FulfilmentCreate, OrderLineIn
from omniretail.omnichannel.inventory import service as inv
from tests.omnichannel.inventory.factories import world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def pickup(ref: str, **kw: Any) -> FulfilmentCreate:
    return FulfilmentCreate(
        order_ref=ref,
        channel="miniprogram",
        customer_id="C1",
        mode="pickup",
        pickup_store="S1",
        lines=[OrderLineIn(line_ref="1", sku="SKU1", quantity=1, unit_price_fen=990)],
        **kw,
    )


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


@pytest.mark.parametrize(
    ("kw", "problem"),
    [
        ({"pickup_kind": "appointment"}, "needs slot_start"),
        (
            {"pickup_kind": "appointment", "slot_start": T0, "slot_end": T0 - timedelta(hours=1)},
            "after slot_start",
        ),
        ({"slot_start": T0, "slot_end": T0 + timedelta(hours=1)}, "appointment pickups only"),
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
