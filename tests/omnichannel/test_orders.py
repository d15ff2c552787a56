"""Operational orders on SQLite and PostgreSQL: idempotent creation per (channel, external id)
in any spelling, a replay with another body is a 409 naming the field, the status lifecycle
and its illegal transitions, tenders, returns never over what was sold."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.omnichannel.channel.errors import UnknownChannel
from omniretail.omnichannel.order import service
from omniretail.omnichannel.order.errors import (
    IllegalTransition,
    InvalidOrder,
    OrderReplayConflict,
    UnknownPricing,
)
from omniretail.omnichannel.order.models import SalesOrder
from omniretail.omnichannel.order.schemas import ReturnIn, TenderIn
from omniretail.omnichannel.product.errors import UnknownProduct
from omniretail.omnichannel.staff.errors import UnknownStaff
from omniretail.omnichannel.store.errors import UnknownStore
from tests.omnichannel.factories import order_in, retail_world

TOTAL = 2 * 5990 + 3 * 3330  # 21970 fen


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SalesOrder)) or 0)


def test_create_is_idempotent_in_any_spelling(session: Session) -> None:
    retail_world(session)
    first = service.create_order(session, data=order_in())
    assert (first.status, first.gross_fen, first.total_fen, first.paid_fen) == (
        "placed",
        TOTAL,
        TOTAL,
        0,
    )
    assert [(ln.line_no, ln.sku, ln.unit_price_fen, ln.amount_fen) for ln in first.lines] == [
        (1, "A1", 5990, 11980),
        (2, "A2", 3330, 9990),
    ]
    for channel, ext in (("POS", "T-0001"), (" pos ", " t-0001 "), ("ＰＯＳ", "T-0001\t")):
        again = service.create_order(session, data=order_in(channel_code=channel, external_id=ext))
        assert again.id == first.id
    assert _count(session) == 1
    assert service.find_order(session, channel_code="Pos", external_id="t-0001 ") is not None


def test_a_replay_with_another_body_is_a_conflict_naming_the_field(session: Session) -> None:
    retail_world(session)
    service.create_order(session, data=order_in())
    with pytest.raises(OrderReplayConflict) as exc:
        service.create_order(
            session,
            data=order_in(lines=[{"sku": "A1", "quantity": 3}, {"sku": "A2", "quantity": 3}]),
        )
    assert exc.value.status == 409
    assert exc.value.field == "lines[0].quantity"
    with pytest.raises(OrderReplayConflict) as exc:
        service.create_order(session, data=order_in(external_id="t-0001", store_code="S2"))
    assert exc.value.field == "store_code"
    assert _count(session) == 1
    other = service.create_order(session, data=order_in(channel_code="miniprogram"))
    assert other.id != service.find_order(session, channel_code="pos", external_id="T-0001").id  # type: ignore[union-attr]


def test_bad_orders_name_the_field_and_leave_nothing(session: Session) -> None:
    retail_world(session)
    cases = [
        (order_in(channel_code="wechat_live"), UnknownChannel, "channel_code"),
        (order_in(store_code="S9"), UnknownStore, "store_code"),
        (order_in(staff_id="E404"), UnknownStaff, "staff_id"),
        (
            order_in(lines=[{"sku": "A1", "quantity": 1}, {"sku": "ZZ", "quantity": 1}]),
            UnknownProduct,
            "lines[1].sku",
        ),
        (
            order_in(tenders=[{"method": "wechat", "amount_fen": TOTAL - 1}]),
            InvalidOrder,
            "tenders",
        ),
        (order_in(pricing="nobody"), UnknownPricing, "pricing"),
    ]
    for data, error, field in cases:
        with pytest.raises(error) as exc:
            service.create_order(session, data=data)
        assert exc.value.field == field, data
    assert _count(session) == 0


def test_lifecycle_pay_fulfil_return_and_refunds(session: Session) -> None:
    retail_world(session)
    o = service.create_order(session, data=order_in(staff_id="E1"))
    with pytest.raises(IllegalTransition) as exc:
        service.fulfil_order(session, order_id=o.id)
    assert exc.value.field == "status"
    with pytest.raises(InvalidOrder, match="tenders"):
        service.pay_order(
            session, order_id=o.id, tenders=[TenderIn(method="wechat", amount_fen=100)]
        )
    pay = [TenderIn(method="wechat", amount_fen=TOTAL, reference="wx-1")]
    paid = service.pay_order(session, order_id=o.id, tenders=pay)
    assert (paid.status, paid.paid_fen) == ("paid", TOTAL)
    assert service.pay_order(session, order_id=o.id, tenders=pay).version == paid.version  # retry
    done = service.fulfil_order(session, order_id=o.id)
    assert done.status == "fulfilled"
    assert service.fulfil_order(session, order_id=o.id).version == done.version
    with pytest.raises(IllegalTransition):
        service.cancel_order(session, order_id=o.id)

    # returns: never over what was sold, pro rata to the fen, idempotent by key
    over = ReturnIn(lines=[{"line_no": 2, "quantity": 4}], idempotency_key="r0")  # type: ignore[list-item]
    with pytest.raises(InvalidOrder) as exc2:
        service.return_order(session, order_id=o.id, data=over)
    assert exc2.value.field == "lines[0].quantity"
    with pytest.raises(InvalidOrder) as exc2:
        service.return_order(
            session,
            order_id=o.id,
            data=ReturnIn(lines=[{"line_no": 9, "quantity": 1}], idempotency_key="r0"),  # type: ignore[list-item]
        )
    assert exc2.value.field == "lines[0].line_no"
    r1 = ReturnIn(lines=[{"line_no": 2, "quantity": 1}], idempotency_key="R-1", reason="破损")  # type: ignore[list-item]
    part = service.return_order(session, order_id=o.id, data=r1)
    assert (part.status, part.refunded_fen) == ("partially_returned", 3330)
    assert service.return_order(session, order_id=o.id, data=r1).refunded_fen == 3330  # retry
    rest = ReturnIn(
        lines=[{"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 2}],  # type: ignore[list-item]
        idempotency_key="R-2",
    )
    full = service.return_order(session, order_id=o.id, data=rest)
    assert (full.status, full.refunded_fen) == ("returned", TOTAL)
    assert sum(t.amount_fen for t in full.tenders if t.kind == "refund") == TOTAL
    with pytest.raises(InvalidOrder):
        service.return_order(
            session,
            order_id=o.id,
            data=ReturnIn(lines=[{"line_no": 1, "quantity": 1}], idempotency_key="R-3"),  # type: ignore[list-item]
        )
    history = [h.to_status for h in service.order_history(session, order_id=o.id)]
    assert history == ["placed", "paid", "fulfilled", "partially_returned", "returned"]


def test_uneven_refunds_add_up_to_the_line(session: Session) -> None:
    retail_world(session)
    o = service.create_order(
        session,
        data=order_in(
            lines=[{"sku": "A3", "quantity": 3, "unit_price_fen": 1000}],
            tenders=[{"method": "cash", "amount_fen": 3000}],
        ),
    )
    assert o.status == "paid"
    refunds = []
    for i in range(3):
        r = service.return_order(
            session,
            order_id=o.id,
            data=ReturnIn(lines=[{"line_no": 1, "quantity": 1}], idempotency_key=f"k{i}"),  # type: ignore[list-item]
        )
        refunds.append(r.refunded_fen)
    assert refunds == [1000, 2000, 3000]


def test_cancel_refunds_what_was_paid(session: Session) -> None:
    retail_world(session)
    o = service.create_order(
        session, data=order_in(tenders=[{"method": "alipay", "amount_fen": TOTAL}])
    )
    c = service.cancel_order(session, order_id=o.id, reason="顾客取消")
    assert (c.status, c.refunded_fen) == ("cancelled", TOTAL)
    assert [t.kind for t in c.tenders] == ["payment", "refund"]
    assert service.cancel_order(session, order_id=o.id).version == c.version
    with pytest.raises(IllegalTransition):
        service.pay_order(session, order_id=o.id, tenders=[TenderIn(method="cash", amount_fen=1)])


def test_cancel_after_a_partial_refund_refunds_only_the_rest(session: Session) -> None:
    """A paid order partly refunded before anything was handed over (a group-buy refund before
    the cut-off) and then called off: the refunds add up to what was paid, never more."""
    retail_world(session)
    o = service.create_order(
        session,
        data=order_in(
            tenders=[
                {"method": "wechat", "amount_fen": 20000, "reference": "wx-9"},
                {"method": "cash", "amount_fen": TOTAL - 20000},
            ]
        ),
    )
    part = service.return_order(
        session,
        order_id=o.id,
        data=ReturnIn(lines=[{"line_no": 2, "quantity": 1}], idempotency_key="pre-cut"),  # type: ignore[list-item]
    )
    assert (part.status, part.refunded_fen) == ("partially_returned", 3330)
    c = service.cancel_order(session, order_id=o.id, reason="未成团")
    assert (c.status, c.refunded_fen) == ("cancelled", TOTAL)
    refunds = [t for t in c.tenders if t.kind == "refund"]
    assert sum(t.amount_fen for t in refunds) == TOTAL
    by_method: dict[str, int] = {}
    for t in refunds:
        by_method[t.method] = by_method.get(t.method, 0) + t.amount_fen
    assert by_method == {"wechat": 20000, "cash": TOTAL - 20000}
    assert service.cancel_order(session, order_id=o.id).version == c.version  # retry


def test_a_handed_over_order_partly_returned_cannot_be_cancelled(session: Session) -> None:
    retail_world(session)
    o = service.create_order(
        session, data=order_in(tenders=[{"method": "alipay", "amount_fen": TOTAL}])
    )
    service.fulfil_order(session, order_id=o.id)
    service.return_order(
        session,
        order_id=o.id,
        data=ReturnIn(lines=[{"line_no": 2, "quantity": 1}], idempotency_key="after"),  # type: ignore[list-item]
    )
    with pytest.raises(IllegalTransition):
        service.cancel_order(session, order_id=o.id)
