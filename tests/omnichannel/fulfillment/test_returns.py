"""Buy anywhere, return anywhere: restock at the receiving store, refund to the original
tender, reversals through the registered hooks, never more returned than sold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import hooks, returns
from omniretail.omnichannel.fulfillment.errors import ReturnExceedsSold, ReturnRejected
from omniretail.omnichannel.fulfillment.schemas import ReturnCreate, ReturnLineIn
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
    assert rma.reversals == {"test_points": {"points_reversed": 24}}
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
