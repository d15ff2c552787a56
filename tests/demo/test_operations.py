"""The demo's stock and fulfilment go through operational orders: every online fulfilment
belongs to a sales order, counter sales took their stock through POS orders, and the ledger
equals its levels afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.demo import operations
from omniretail.omnichannel.fulfillment.models import Fulfilment
from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.order import service as orders
from omniretail.omnichannel.order.models import SalesOrder
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
