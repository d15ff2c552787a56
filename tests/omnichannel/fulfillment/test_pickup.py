"""门店自提 from order to handover on SQLite and PostgreSQL: allocation to the nearest store
with stock, picking, the ready code, verification, no-shows, shortages, illegal changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes, hooks, returns
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import (
    IllegalTransition,
    NotAllocatable,
    PickupCodeRejected,
    TooManyAttempts,
)
from omniretail.omnichannel.fulfillment.schemas import Address, FulfilmentCreate, OrderLineIn
from omniretail.omnichannel.inventory import service as inv
from tests.omnichannel.inventory.factories import world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NEAR_S2 = Address(latitude=31.2195, longitude=121.4805)


def order(ref: str = "WX1", qty: int = 2, **kw: Any) -> FulfilmentCreate:
    base: dict[str, Any] = {
        "order_ref": ref,
        "channel": "miniprogram",
        "customer_id": "C1",
        "mode": "pickup",
        "address": NEAR_S2,
        "tender": "wechat",
        "lines": [OrderLineIn(line_ref=f"{ref}-1", sku="SKU1", quantity=qty, unit_price_fen=1500)],
    }
    base.update(kw)
    return FulfilmentCreate(**base)


@pytest.fixture
def timeline() -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def sink(_s: Session, event: dict[str, Any]) -> None:
        seen.append(event)

    hooks.register_timeline_sink(sink)
    yield seen
    hooks._sinks.remove(sink)


def test_pickup_end_to_end(session: Session, timeline: list[dict[str, Any]]) -> None:
    world(session)
    [f] = ful.place(session, data=order(), now=T0)
    assert f.store_code == "S2"  # nearest store with stock
    assert f.state == "allocated"
    assert "门店B" in (f.allocation_zh or "")
    assert ful.place(session, data=order(), now=T0)[0].id == f.id  # retry: same fulfilment
    assert inv.get_level(session, location="S2", sku="SKU1").reserved == 2
    ful.start_picking(session, fulfilment_id=f.id, actor="clerk1", now=T0)
    ready = ful.mark_ready(session, fulfilment_id=f.id, now=T0 + timedelta(minutes=20))
    assert ready.hold_until == T0 + timedelta(minutes=20, days=3)
    code = codes.current(session, fulfilment_id=f.id)
    assert code is not None
    assert len(code.code) == 8
    assert code.qr_svg.startswith("<svg")
    session.commit()
    bad = codes.verify(session, store_code="S2", code="00000000", terminal="T1", now=T0)
    assert not bad.ok
    with pytest.raises(PickupCodeRejected) as e:
        bad.raise_for_failure()
    assert "提货码错误" in e.value.message_zh
    ok = codes.verify(
        session,
        store_code="S2",
        code=codes.qr_content("S2", code.code),
        terminal="T1",
        staff="clerk1",
        now=T0 + timedelta(hours=1),
    )
    assert ok.ok
    again = codes.verify(session, store_code="S2", code=code.code, terminal="T1", now=T0)
    assert again.reason == "already_used"
    done = ful.get(session, fulfilment_id=f.id)
    assert done.state == "picked_up"
    lv = inv.get_level(session, location="S2", sku="SKU1")
    assert (lv.on_hand, lv.reserved) == (8, 0)
    assert returns.returnable(session, order_ref="WX1")[0]["sold"] == 2
    states = [e["properties"]["state"] for e in timeline]
    assert states == ["placed", "allocated", "picking", "ready_for_pickup", "picked_up"]
    assert all(e["userId"] == "C1" for e in timeline)
    assert [h.event for h in ful.history(session, fulfilment_id=f.id)][-1] == "hand_over"
    with pytest.raises(IllegalTransition) as e2:
        ful.cancel(session, fulfilment_id=f.id)
    assert "已自提" in e2.value.message_zh
    assert inv.verify(session) == []


def test_chosen_store_and_uncollected_pickup_restocks_once(session: Session) -> None:
    world(session)
    [f] = ful.place(session, data=order(pickup_store="S1"), now=T0)
    assert f.store_code == "S1"
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    ful.mark_ready(session, fulfilment_id=f.id, now=T0)
    code = codes.current(session, fulfilment_id=f.id)
    assert code is not None
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=2)) == 0
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=3, minutes=1)) == 1
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=4)) == 0
    gone = ful.get(session, fulfilment_id=f.id)
    assert (gone.state, gone.cancel_reason, gone.refund_fen) == ("cancelled", "no_show", 3000)
    lv = inv.get_level(session, location="S1", sku="SKU1")
    assert (lv.on_hand, lv.reserved) == (10, 0)
    late = codes.verify(session, store_code="S1", code=code.code, terminal="T9", now=T0)
    assert late.reason == "voided"
    assert inv.verify(session) == []


def test_shortage_reallocates_then_refunds(session: Session) -> None:
    world(session)
    [f] = ful.place(session, data=order(qty=4, pickup_store="S1"), now=T0)
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    out = ful.report_shortage(session, fulfilment_id=f.id, line_no=0, missing=3, now=T0)
    assert len(out) == 2
    first, moved = out
    assert first.lines[0].quantity == 1
    assert first.lines[0].short_qty == 3
    assert moved.parent_id == f.id
    assert moved.store_code == "S2"
    assert moved.lines[0].quantity == 3
    assert "缺货" in (moved.allocation_zh or "")
    s1 = inv.get_level(session, location="S1", sku="SKU1")
    assert (s1.on_hand, s1.reserved) == (7, 1)  # the count found 3 fewer than thought
    assert inv.get_level(session, location="S2", sku="SKU1").reserved == 3
    # nobody else nearby has SKU2: a shortage there is refunded
    [g] = ful.place(
        session,
        data=order(
            ref="WX2",
            qty=1,
            pickup_store="S1",
            lines=[OrderLineIn(line_ref="WX2-1", sku="SKU2", quantity=1, unit_price_fen=990)],
        ),
        now=T0,
    )
    for loc in ("S2", "S3"):
        inv.count(session, location=loc, sku="SKU2", counted=0)
    ful.start_picking(session, fulfilment_id=g.id, now=T0)
    [only] = ful.report_shortage(session, fulfilment_id=g.id, line_no=0, missing=1, now=T0)
    assert only.state == "cancelled"
    assert only.refund_fen == 990
    assert inv.verify(session) == []


def test_bad_orders_are_refused_whole(session: Session) -> None:
    world(session, stock=0)
    with pytest.raises(NotAllocatable) as e:
        ful.place(session, data=order(), now=T0)
    assert "没有该订单的库存" in e.value.message_zh
    session.rollback()
    assert ful.list_fulfilments(session) == []


def test_rate_limit_and_reissue(session: Session) -> None:
    world(session)
    [f] = ful.place(session, data=order(pickup_store="S1"), now=T0)
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    ful.mark_ready(session, fulfilment_id=f.id, now=T0)
    old = codes.current(session, fulfilment_id=f.id)
    assert old is not None
    new = codes.reissue(session, fulfilment_id=f.id, now=T0)
    assert new.code != old.code
    session.commit()
    assert (
        codes.verify(session, store_code="S1", code=old.code, terminal="T1", now=T0).reason
        == "voided"
    )
    for i in range(4):
        assert (
            codes.verify(
                session,
                store_code="S1",
                code=f"1234567{i}",
                terminal="T1",
                now=T0 + timedelta(minutes=i),
            ).failures_left
            == 3 - i
        )
    session.commit()
    with pytest.raises(TooManyAttempts) as e:
        codes.verify(
            session, store_code="S1", code=new.code, terminal="T1", now=T0 + timedelta(minutes=5)
        )
    assert e.value.status == 429
    session.rollback()
    # another terminal is not blocked; the first one is again after 10 minutes
    assert codes.verify(session, store_code="S1", code="99999999", terminal="T2", now=T0).reason
    ok = codes.verify(
        session,
        store_code="S1",
        code=new.code,
        terminal="T1",
        now=T0 + timedelta(minutes=10, seconds=1),
    )
    assert ok.ok


def test_state_changes_reach_the_event_inbox(session: Session) -> None:
    """The CDP's registered sink puts every change on the events path (Customer 360)."""
    from sqlalchemy import text

    world(session)
    [f] = ful.place(session, data=order(ref="WX5", pickup_store="S1"), now=T0)
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    rows = session.execute(text("SELECT source, payload FROM event_inbox ORDER BY id")).all()
    assert [r[0] for r in rows] == ["miniprogram"] * 3
    assert '"fulfilment_picking"' in rows[-1][1]
    ful.place(session, data=order(ref="WX5", pickup_store="S1"), now=T0)  # replay: no new event
    assert session.execute(text("SELECT count(*) FROM event_inbox")).scalar() == 3
