"""Availability per channel and near a customer, and allocation strategies with explanations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory import allocation
from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.schemas import ChannelPolicyIn, ReservationLine
from tests.omnichannel.inventory.factories import world

HOME = (31.2310, 121.4740)  # a customer next to 门店A


def test_availability_per_channel_excludes_franchise(sqlite_session: Session) -> None:
    s = sqlite_session
    world(s)
    inv.reserve(s, key="x", lines=[ReservationLine(location="S1", sku="SKU1", quantity=3)])
    every = allocation.availability(s, sku="SKU1")
    assert {a.location for a in every.locations} == {"S1", "S2", "S3", "W1"}
    assert every.total_available == 37
    online = allocation.availability(s, sku="SKU1", channel="miniprogram")
    assert {a.location for a in online.locations} == {"S1", "S2", "W1"}
    s1 = next(a for a in online.locations if a.location == "S1")
    assert (s1.on_hand, s1.reserved, s1.available) == (10, 3, 7)


def test_stores_with_stock_near_me(sqlite_session: Session) -> None:
    s = sqlite_session
    world(s)
    inv.sell(s, location="S2", sku="SKU1", quantity=9)
    near = allocation.stores_with_stock_near(
        s, sku="SKU1", lat=HOME[0], lng=HOME[1], radius_km=5, quantity=2
    )
    # S2 has 1 left, W1 is a warehouse 25 km away; the franchise store counts for the store view
    assert [n.location for n in near] == ["S1", "S3"]
    assert near[0].distance_km is not None
    assert near[0].distance_km < 0.2


def test_strategies_explain_themselves(sqlite_session: Session) -> None:
    s = sqlite_session
    world(s, stock=0)
    inv.receive(s, location="S1", sku="SKU1", quantity=2)
    inv.receive(s, location="W1", sku="SKU1", quantity=5)
    inv.receive(s, location="S2", sku="SKU1", quantity=3)
    inv.receive(s, location="S2", sku="SKU2", quantity=3)
    inv.receive(s, location="S3", sku="SKU1", quantity=50)  # franchise: never online
    res = allocation.allocate(
        s, lines=[("SKU1", 3)], channel="miniprogram", strategy="nearest", lat=HOME[0], lng=HOME[1]
    )
    assert [(p.location, p.quantity) for p in res.parts] == [("S1", 2), ("S2", 1)]
    assert res.explanation_zh.startswith("2 件 SKU1 来自 门店A，1 件 SKU1 来自 门店B，因为")
    assert "距离最近" in res.explanation_zh
    assert "加盟店不参与线上分配" in res.explanation_zh
    assert "from 门店A" in res.explanation_en
    res = allocation.allocate(s, lines=[("SKU1", 3)], channel="miniprogram", strategy="priority")
    assert [(p.location, p.quantity) for p in res.parts] == [("W1", 3)]  # warehouse priority 10
    res = allocation.allocate(s, lines=[("SKU1", 3)], channel="miniprogram", strategy="most_stock")
    assert [(p.location, p.quantity) for p in res.parts] == [("W1", 3)]
    res = allocation.allocate(
        s, lines=[("SKU1", 3), ("SKU2", 2)], channel="miniprogram", strategy="fewest_splits"
    )
    assert [(p.location, p.sku, p.quantity) for p in res.parts] == [
        ("S2", "SKU1", 3),
        ("S2", "SKU2", 2),
    ]
    assert "无需拆单" in res.explanation_zh
    res = allocation.allocate(s, lines=[("SKU1", 20)], channel="miniprogram")
    assert not res.complete
    assert res.missing == {"SKU1": 10}
    assert "缺货" in res.explanation_zh


def test_channel_policy_decides(sqlite_session: Session) -> None:
    s = sqlite_session
    world(s)
    inv.set_channel_policy(
        s,
        data=ChannelPolicyIn(
            channel_code="franchise_app", strategy="nearest", exclude_franchise=False, radius_km=3
        ),
    )
    res = allocation.allocate(
        s, lines=[("SKU1", 12)], channel="franchise_app", lat=31.2400, lng=121.4600
    )
    assert res.strategy == "nearest"
    assert res.parts[0].location == "S3"
    assert all(p.location != "W1" for p in res.parts)  # 25 km away, outside 3 km
