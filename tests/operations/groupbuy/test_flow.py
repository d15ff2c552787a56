"""A group buy end to end on the operational store (SQLite and PostgreSQL): stock held per
leader, orders through a leader's link, the cut-off forming one group and failing another,
arrival with pickup codes, pickup at the leader's point, a refund reversing commission,
the commission moving pending → frozen → available → withdrawn, no-shows; and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes
from omniretail.omnichannel.fulfillment import service as fulfilment
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.order import service as order_service
from omniretail.operations.groupbuy import kpi, service, settle
from omniretail.operations.groupbuy.errors import (
    ActivityClosed,
    HoldExhausted,
    InsufficientCommission,
    InvalidGroupBuy,
    LeaderNotActive,
    UnknownLeader,
)
from omniretail.operations.groupbuy.models import CommissionEntry
from omniretail.operations.groupbuy.schemas import GroupOrderCreate, RefundIn
from omniretail.platform.db import utcnow
from omniretail.platform.messaging.models import Message
from tests.operations.groupbuy.factories import activity_in, groupbuy_world


def _order(
    act: str, leader: str, ext: str, cust: str, a1: int = 1, a2: int = 0
) -> GroupOrderCreate:
    lines = [{"sku": "A1", "quantity": a1}] + ([{"sku": "A2", "quantity": a2}] if a2 else [])
    return GroupOrderCreate.model_validate(
        {"activity": act, "leader": leader, "external_id": ext, "customer_id": cust, "lines": lines}
    )


def _level(session: Session, store: str, sku: str) -> tuple[int, int]:
    lv = inventory.get_level(session, location=store, sku=sku)
    return lv.on_hand, lv.reserved


def test_group_buy_forms_is_collected_and_pays_commission(session: Session) -> None:
    groupbuy_world(session)
    t0 = utcnow()
    service.create_activity(session, data=activity_in("NUTS1", t0, min_orders=3))
    service.create_activity(session, data=activity_in("NUTS2", t0, min_orders=5))
    assert _level(session, "S1", "A1") == (50, 20)  # 10 held per activity at L1's store

    o1 = service.place_order(session, data=_order("NUTS1", "L1", "WX-1", "C1", a1=2, a2=1), now=t0)
    assert o1.amount_fen == 2 * 3990 + 1990
    assert o1.status == "paid"
    assert service.place_order(session, data=_order("NUTS1", "L1", "wx-1 ", "C1", 2, 1)).id == o1.id
    o2 = service.place_order(session, data=_order("NUTS1", "L1", "WX-2", "C2"), now=t0)
    o3 = service.place_order(session, data=_order("NUTS1", "L2", "WX-3", "C3", a1=3), now=t0)
    service.place_order(session, data=_order("NUTS2", "L2", "WX-4", "C4"), now=t0)
    sales = order_service.get_order(session, order_id=o1.sales_order_id)
    assert (sales.channel_code, sales.origin, sales.store_code, sales.status) == (
        "groupbuy",
        "groupbuy",
        "S1",
        "paid",
    )

    # bad input: each a specific error, nothing written
    with pytest.raises(HoldExhausted) as e:
        service.place_order(session, data=_order("NUTS1", "L1", "WX-9", "C9", a1=8), now=t0)
    assert "只剩 7 件" in e.value.message_zh
    with pytest.raises(UnknownLeader):
        service.place_order(session, data=_order("NUTS1", "L9", "WX-9", "C9"), now=t0)
    with pytest.raises(LeaderNotActive):
        service.place_order(session, data=_order("NUTS1", "L3", "WX-9", "C9"), now=t0)
    with pytest.raises(ActivityClosed) as closed:
        service.place_order(
            session, data=_order("NUTS1", "L1", "WX-9", "C9"), now=t0 + timedelta(hours=3)
        )
    assert "截单" in closed.value.message_zh
    with pytest.raises(InvalidGroupBuy):
        settle.decide(session, activity="NUTS1", now=t0)  # before the cut-off

    cut = t0 + timedelta(hours=2, minutes=1)
    assert settle.decide_due(session, now=cut) == 2
    assert service.get_activity(session, code="NUTS1").status == "formed"
    failed = settle.decide(session, activity="NUTS2", now=cut)
    assert (failed.status, failed.cancelled) == ("failed", 1)  # a replay reports, changes nothing
    assert service.get_activity(session, code="NUTS2").status == "failed"
    gone = service.list_orders(session, activity="NUTS2")[0]
    assert gone.status == "cancelled"
    assert gone.refunded_fen == gone.amount_fen
    assert order_service.get_order(session, order_id=gone.sales_order_id).status == "cancelled"
    # holds released, the formed orders reserved again as pickups: 2 + 1 units of A1 at S1
    assert _level(session, "S1", "A1") == (50, 3)
    assert _level(session, "S2", "A1") == (50, 3)

    picks = settle.pick_list(session, activity="NUTS1", leader="L1")
    assert {(ln.sku, ln.quantity) for ln in picks.lines} == {("A1", 3), ("A2", 1)}
    arrived = settle.arrive(session, activity="NUTS1", leader="L1", now=cut + timedelta(days=1))
    assert (arrived.ready, arrived.notified) == (2, 2)
    assert settle.arrive(session, activity="NUTS1", leader="L1").ready == 0  # idempotent
    notices = session.scalars(select(Message).where(Message.origin_kind == "groupbuy")).all()
    by_template = sorted(m.template for m in notices)
    assert by_template == ["groupbuy_arrived", "groupbuy_arrived", "groupbuy_failed"]

    o1r = service.get_order(session, order_id=o1.id)
    assert o1r.commission_bucket == "pending"
    assert o1r.commission_fen == 499
    code1 = codes.current(session, fulfilment_id=o1r.fulfilment_id)
    assert code1 is not None
    with pytest.raises(InvalidGroupBuy):  # L2 cannot hand over L1's order
        settle.pick_up(session, leader="L2", code=code1.code, now=cut + timedelta(days=1))
    at = cut + timedelta(days=1, hours=1)
    done = settle.pick_up(session, leader="L1", code=code1.code, now=at)
    assert done.status == "picked_up"
    assert done.commission_bucket == "frozen"
    assert order_service.get_order(session, order_id=o1.sales_order_id).status == "fulfilled"
    assert _level(session, "S1", "A1") == (48, 1)

    # a partial refund inside the after-sales window: a negative frozen entry
    ref = RefundIn.model_validate(
        {"lines": [{"line_no": 1, "quantity": 1}], "idempotency_key": "r1"}
    )
    after = settle.refund(session, order_id=o1.id, data=ref, now=at)
    assert after.refunded_fen == 3990
    assert after.commission_fen == 300
    assert settle.refund(session, order_id=o1.id, data=ref).commission_fen == 300  # retried
    bal = settle.balance(session, leader="L1")
    assert (bal.pending, bal.frozen, bal.available) == (200, 300, 0)  # o2: 5% of 39.90, half up
    entries = session.scalars(
        select(CommissionEntry)
        .where(CommissionEntry.order_id == o1.id)
        .order_by(CommissionEntry.id)
    ).all()
    assert [(e.kind, e.bucket, e.amount_fen) for e in entries] == [
        ("accrue", "pending", 499),
        ("freeze", "pending", -499),
        ("freeze", "frozen", 499),
        ("refund", "frozen", -199),
    ]

    assert settle.release_due(session, now=at + timedelta(days=6)) == 0
    assert settle.release_due(session, now=at + timedelta(days=8)) == 1
    assert settle.balance(session, leader="L1").available == 300
    with pytest.raises(InsufficientCommission):
        settle.withdraw(session, leader="L1", amount_fen=301, key="w1")
    settle.withdraw(session, leader="L1", amount_fen=300, key="w1")
    bal = settle.withdraw(session, leader="L1", amount_fen=300, key="w1")  # retried
    assert (bal.available, bal.withdrawn) == (0, 300)
    # refund after withdrawal: an explicit debt, available stays at zero
    settle.refund(
        session,
        order_id=o1.id,
        data=RefundIn.model_validate(
            {"lines": [{"line_no": 2, "quantity": 1}], "idempotency_key": "r2"}
        ),
        now=at + timedelta(days=9),
    )
    bal = settle.balance(session, leader="L1")
    assert (bal.available, bal.debt) == (0, 100)  # 300 → 200 (5% of 3990, half up)

    # o2 is never collected: the fulfilment's hold runs out, the order is a no-show
    fulfilment.expire_uncollected(session, now=t0 + timedelta(days=10))
    assert settle.record_no_shows(session, now=t0 + timedelta(days=10)) == 1
    o2r = service.get_order(session, order_id=o2.id)
    assert (o2r.status, o2r.commission_fen) == ("no_show", 0)
    assert settle.balance(session, leader="L1").pending == 0

    k = kpi.kpis(session)
    first = next(a for a in k.activities if a.activity == "nuts1")
    assert (first.orders, first.picked_up, first.no_show, first.formed) == (3, 1, 1, True)
    assert k.formed_rate == 0.5
    assert k.leaders[0].leader == "l2"  # 3 × 39.90 beats L1's net after refunds
    assert o3.leader == "l2"
