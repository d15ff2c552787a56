"""The demo's stock and fulfilment go through operational orders: every online fulfilment
belongs to a sales order, counter sales took their stock through POS orders, and the ledger
equals its levels afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.demo import operations
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.models import Fulfilment
from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.order import service as orders
from omniretail.omnichannel.order.models import SalesOrder
from omniretail.omnichannel.store import service as store_service
from tests.omnichannel.factories import retail_world


def test_demo_operations_are_built_from_orders(sqlite_session: Session) -> None:
    s = sqlite_session
    retail_world(s)
    s.commit()
    stats = operations.build(s, seed=3, now=datetime(2026, 10, 31, 20, 0, tzinfo=UTC))
    s.commit()
    assert stats["pickups"] > 0
    unlinked = s.scalar(
        select(func.count()).select_from(Fulfilment).where(Fulfilment.order_id.is_(None))
    )
    assert unlinked == 0
    pos = orders.list_orders(s, channel_code="pos", limit=500)
    assert pos
    assert all(o.status == "paid" for o in pos)
    online = s.scalars(select(SalesOrder).where(SalesOrder.channel_code == "miniprogram")).all()
    assert {o.status for o in online} >= {"paid", "fulfilled", "cancelled"}
    assert inv.verify(s) == []


def test_demo_has_parcel_point_pickups_in_every_state(sqlite_session: Session) -> None:
    """快递代收点 near stores, orders picked up there, one not collected: sent back, refunded
    and restocked; the points hold no stock and are never allocated from."""
    s = sqlite_session
    retail_world(s)
    s.commit()
    stats = operations.build(s, seed=3, now=datetime(2026, 10, 31, 20, 0, tzinfo=UTC))
    s.commit()
    points = {p.code: p for p in store_service.list_stores(s, kind="pickup_point")}
    assert stats["parcel_points"] == len(points) >= 2  # one per direct store, at most three
    assert stats["parcel_returned"] == 1
    assert all("驿站" in p.name or "兔喜" in p.name for p in points.values())
    parcels = s.scalars(select(Fulfilment).where(Fulfilment.pickup_kind == "parcel_point")).all()
    assert len(parcels) == stats["parcel_orders"] >= 5
    assert {f.parcel_point for f in parcels} <= set(points)
    assert {f.state for f in parcels} >= {"picked_up", "at_point", "to_point", "cancelled"}
    assert all(f.store_code not in points for f in parcels)  # a store ships to the point
    assert all(f.point_code for f in parcels if f.state in ("picked_up", "at_point"))
    [back] = [f for f in parcels if f.state == "cancelled"]
    assert (back.cancel_reason, back.refund_fen > 0) == ("point_returned", True)
    events = [e.event for e in ful.history(s, fulfilment_id=back.id)]
    assert events[-3:] == ["arrive_at_point", "point_returns", "returned_to_store"]
    locs = inv.list_locations(s, kind="pickup_point")
    assert {loc.code for loc in locs} == set(points)
    assert not any(loc.online for loc in locs)
    assert all(inv.list_levels(s, location=code) == [] for code in points)
    assert inv.verify(s) == []
