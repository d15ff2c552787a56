"""A pickup point's capacity is enforced (SQLite and PostgreSQL): an order for a point that
already holds ``capacity`` parcels not yet collected — over all its leader's activities — is
refused in Chinese naming the point and its capacity, nothing written; a collected, cancelled
or refunded order frees its place; a full point joins no new activity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import codes
from omniretail.omnichannel.order.models import SalesOrder
from omniretail.operations.groupbuy import service, settle
from omniretail.operations.groupbuy.errors import PointFull
from omniretail.operations.groupbuy.models import Leader
from omniretail.operations.groupbuy.schemas import GroupOrderCreate, RefundIn
from omniretail.platform.db import utcnow
from tests.operations.groupbuy.factories import activity_in, groupbuy_world


def _order(act: str, ext: str) -> GroupOrderCreate:
    return GroupOrderCreate.model_validate(
        {
            "activity": act,
            "leader": "L1",
            "external_id": ext,
            "customer_id": f"C-{ext}",
            "lines": [{"sku": "A1", "quantity": 1}],
        }
    )


def test_a_full_point_refuses_orders_and_new_groups(session: Session) -> None:
    groupbuy_world(session)
    session.scalars(select(Leader).where(Leader.code == "l1")).one().capacity = 3
    t0 = utcnow()
    service.create_activity(session, data=activity_in("CAP1", t0, min_orders=1))
    service.create_activity(session, data=activity_in("CAP2", t0, min_orders=1))
    first = service.place_order(session, data=_order("CAP1", "K1"), now=t0)
    service.place_order(session, data=_order("CAP1", "K2"), now=t0)
    service.place_order(session, data=_order("CAP2", "K3"), now=t0)
    orders_before = session.scalar(select(func.count()).select_from(SalesOrder))
    with pytest.raises(PointFull) as full:  # the third parcel came through another activity
        service.place_order(session, data=_order("CAP2", "K4"), now=t0)
    assert full.value.message_zh == (
        "自提点「王阿姨便利店」（团长 王阿姨）已满：最多存放 3 件包裹，现有 3 件未取"
    )
    assert session.scalar(select(func.count()).select_from(SalesOrder)) == orders_before
    assert service.place_order(session, data=_order("CAP1", "K1"), now=t0).id == first.id  # retry
    with pytest.raises(PointFull) as no_group:
        service.create_activity(
            session, data=activity_in("CAP3", t0, min_orders=1, leaders=["L2", "L1"])
        )
    assert no_group.value.field == "leaders[1]"
    assert service.list_activities(session, status="open")[0].code != "cap3"

    # a refund of every unit frees the place
    settle.refund(
        session,
        order_id=first.id,
        data=RefundIn.model_validate(
            {"lines": [{"line_no": 1, "quantity": 1}], "idempotency_key": "k1"}
        ),
        now=t0,
    )
    service.place_order(session, data=_order("CAP2", "K4"), now=t0)
    with pytest.raises(PointFull):
        service.place_order(session, data=_order("CAP2", "K5"), now=t0)

    # collected parcels leave the point
    cut = t0 + timedelta(hours=3)
    settle.decide_due(session, now=cut)
    for act in ("CAP1", "CAP2"):
        settle.arrive(session, activity=act, leader="L1", now=cut)
    k2 = next(o for o in service.list_orders(session, leader="L1") if o.external_id == "k2")
    assert k2.fulfilment_id is not None
    code = codes.current(session, fulfilment_id=k2.fulfilment_id)
    assert code is not None
    settle.pick_up(session, leader="L1", code=code.code, now=cut)
    assert service.parcels_at_point(session, service._leader(session, "L1").id) == 2
