"""Buy anywhere, return anywhere: restock at the receiving store, refund to the original
tender, reversals through the registered hooks, never more returned than sold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes, hooks, returns
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import ReturnExceedsSold, ReturnRejected
from omniretail.omnichannel.fulfillment.schemas import (
    FulfilmentCreate,
    OrderLineIn,
    ReturnCreate,
    ReturnLineIn,
)
from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.errors import UnknownLocation
from tests.omnichannel.inventory.factories import world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class PointsHook:
    """A stand-in for marketing's registration: records what it was asked to reverse."""

    name = "test_points"

    def __init__(self) -> None:
        self.calls: list[hooks.ReturnContext] = []

    def __call__(self, session: Session, ctx: hooks.ReturnContext) -> dict[str, Any]:
        self.calls.append(ctx)
        return {"points_reversed": ctx.refund_fen // 100}


@pytest.fixture
def points() -> Iterator[PointsHook]:
    hook = PointsHook()
    hooks.register_return_hook(hook)
    yield hook
    hooks._return_hooks.pop(hook.name)


def sell_online(session: Session) -> None:
    world(session)
    returns.record_sale(
        session,
        order_ref="TM100",
        channel="tmall",
        customer_id="C9",
        tender="alipay",
        lines=[("TM100-1", "SKU1", 3, 1200), ("TM100-2", "SKU2", 1, 500)],
    )


def test_return_in_another_store(session: Session, points: PointsHook) -> None:
    sell_online(session)
    rma = returns.create_return(
        session,
        data=ReturnCreate(
            key="RMA-1",
            order_ref="TM100",
            channel="pos",
            receiving_store="S2",
            lines=[ReturnLineIn(line_ref="TM100-1", quantity=2, damaged=1, reason="quality")],
        ),
        now=T0,
    )
    assert (rma.receiving_store, rma.tender, rma.refund_fen) == ("S2", "alipay", 2400)
    assert rma.reversals is not None
    assert rma.reversals["test_points"] == {"points_reversed": 24}
    assert points.calls[0].order_total_fen == 4100
    assert inv.get_level(session, location="S2", sku="SKU1").on_hand == 11  # 1 good unit back
    again = returns.create_return(
        session,
        data=ReturnCreate(
            key="rma-1 ",
            order_ref="TM100",
            channel="pos",
            receiving_store="S2",
            lines=[ReturnLineIn(line_ref="TM100-1", quantity=2)],
        ),
        now=T0,
    )
    assert again.id == rma.id  # a retry
    assert len(points.calls) == 1
    session.commit()
    with pytest.raises(ReturnExceedsSold) as e:
        returns.create_return(
            session,
            data=ReturnCreate(
                key="RMA-2",
                order_ref="TM100",
                channel="pos",
                receiving_store="S1",
                lines=[
                    ReturnLineIn(line_ref="TM100-2", quantity=1),
                    ReturnLineIn(line_ref="TM100-1", quantity=2),
                ],
            ),
            now=T0,
        )
    assert "已退 2 件" in e.value.message_zh
    session.rollback()
    assert [r["returned"] for r in returns.returnable(session, order_ref="TM100")] == [2, 0]


def test_a_line_split_over_two_stores_is_returnable_in_full(session: Session) -> None:
    """Picking finds 3 of 4 units missing at S1: they come from S2, a second fulfilment of the
    same order line. Both handovers count: all 4 units may come back, in any store, not 5."""
    world(session)
    order = FulfilmentCreate(
        order_ref="WX9",
        channel="miniprogram",
        customer_id="C9",
        mode="pickup",
        pickup_store="S1",
        tender="wechat",
        lines=[OrderLineIn(line_ref="1", sku="SKU1", quantity=4, unit_price_fen=1500)],
    )
    [f] = ful.place(session, data=order, now=T0)
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    first, moved = ful.report_shortage(session, fulfilment_id=f.id, line_no=0, missing=3, now=T0)
    assert (first.store_code, moved.store_code) == ("S1", "S2")
    assert first.lines[0].line_ref == moved.lines[0].line_ref == "1"
    for part in (first, moved):
        if part.state == "allocated":
            ful.start_picking(session, fulfilment_id=part.id, now=T0)
        ful.mark_ready(session, fulfilment_id=part.id, now=T0)
        pickup = codes.current(session, fulfilment_id=part.id)
        assert pickup is not None
        session.commit()
        done = codes.verify(
            session, store_code=part.store_code, code=pickup.code, terminal="T1", now=T0
        )
        assert done.ok
        # a replayed record of the same handover adds nothing
        returns.record_sale(
            session,
            order_ref="WX9",
            channel="miniprogram",
            customer_id="C9",
            tender="wechat",
            lines=ful.sold_lines(session, ful.lock(session, part.id)),
            source=f"ful:{part.id}",
        )
    assert [(r["line_ref"], r["sold"]) for r in returns.returnable(session, order_ref="WX9")] == [
        ("1", 4)
    ]
    rma = returns.create_return(
        session,
        data=ReturnCreate(
            key="R-WX9",
            order_ref="WX9",
            channel="pos",
            receiving_store="S3",
            lines=[ReturnLineIn(line_ref="1", quantity=4)],
        ),
        now=T0 + timedelta(days=1),
    )
    assert rma.refund_fen == 6000
    assert inv.get_level(session, location="S3", sku="SKU1").on_hand == 14
    with pytest.raises(ReturnExceedsSold):
        returns.create_return(
            session,
            data=ReturnCreate(
                key="R-WX9-b",
                order_ref="WX9",
                channel="pos",
                receiving_store="S3",
                lines=[ReturnLineIn(line_ref="1", quantity=1)],
            ),
        )
    assert inv.verify(session) == []


def test_bad_returns(session: Session) -> None:
    sell_online(session)
    with pytest.raises(ReturnRejected):
        returns.create_return(
            session,
            data=ReturnCreate(
                key="R3",
                order_ref="TM100",
                channel="pos",
                receiving_store="S1",
                lines=[ReturnLineIn(line_ref="nope", quantity=1)],
            ),
        )
    with pytest.raises(ReturnRejected):
        returns.create_return(
            session,
            data=ReturnCreate(
                key="R4",
                order_ref="TM100",
                channel="pos",
                receiving_store="S1",
                lines=[ReturnLineIn(line_ref="TM100-1", quantity=1, damaged=2)],
            ),
        )
    with pytest.raises(UnknownLocation):
        returns.create_return(
            session,
            data=ReturnCreate(
                key="R5",
                order_ref="TM100",
                channel="pos",
                receiving_store="S404",
                lines=[ReturnLineIn(line_ref="TM100-1", quantity=1)],
            ),
        )


def test_marketing_reverses_points_and_restores_coupons(session: Session) -> None:
    """The return hook marketing registers: points taken back in proportion, the coupon used
    on the order restored once the whole order is back."""
    from decimal import Decimal

    from omniretail.marketing.coupon import redemption
    from omniretail.marketing.coupon import service as coupons
    from omniretail.marketing.loyalty import service as loyalty
    from tests.marketing.coupon.factories import basket, template

    world(session)
    now = datetime.now(UTC)
    earned = loyalty.earn(
        session,
        customer_id="C9",
        source="tmall",
        order_id="TM300",
        amount=Decimal("110.00"),
        occurred_at=now,
    )
    assert earned.points > 0
    template(
        session,
        code="T10",
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    coupon = coupons.issue(session, template_code="T10", customer_id="C9")
    redemption.redeem(
        session,
        code=coupon.code,
        order_id="TM300",
        basket=basket("C9", lines=[("SKU1", 2, "60.00", "BEV")], channel="tmall"),
    )
    returns.record_sale(
        session,
        order_ref="TM300",
        channel="tmall",
        customer_id="C9",
        tender="alipay",
        lines=[("TM300-1", "SKU1", 2, 5500)],
    )
    first = returns.create_return(
        session,
        data=ReturnCreate(
            key="R-TM300-a",
            order_ref="TM300",
            channel="pos",
            receiving_store="S1",
            lines=[ReturnLineIn(line_ref="TM300-1", quantity=1)],
        ),
        now=now,
    )
    assert first.reversals is not None
    m = first.reversals["marketing"]
    assert m["points_reversed"] == earned.points // 2
    assert m["coupons_reversed"] == []  # half the order is still kept
    second = returns.create_return(
        session,
        data=ReturnCreate(
            key="R-TM300-b",
            order_ref="TM300",
            channel="pos",
            receiving_store="S2",
            lines=[ReturnLineIn(line_ref="TM300-1", quantity=1)],
        ),
        now=now,
    )
    assert second.reversals is not None
    assert second.reversals["marketing"]["coupons_reversed"] == [coupon.code]
    assert (
        first.reversals["marketing"]["points_reversed"]
        + second.reversals["marketing"]["points_reversed"]
        == earned.points
    )
