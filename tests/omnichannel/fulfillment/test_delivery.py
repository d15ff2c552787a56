"""同城配送 through the simulated rider service, a real HTTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import delivery, rider
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import IllegalTransition, OutOfRange
from omniretail.omnichannel.fulfillment.schemas import Address, FulfilmentCreate, OrderLineIn
from omniretail.omnichannel.inventory import service as inv
from tests.omnichannel.inventory.factories import world


@pytest.fixture
def rider_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with rider.running(time_scale=1.0) as url:
        monkeypatch.setenv("OMNIRETAIL_RIDER_URL", url)
        delivery._providers.clear()
        yield url
    delivery._providers.clear()


def advance(url: str, minutes: float) -> None:
    httpx.post(f"{url}/sim/clock", json={"minutes": minutes}).raise_for_status()


def delivery_order(ref: str, lat: float, lng: float) -> FulfilmentCreate:
    return FulfilmentCreate(
        order_ref=ref,
        channel="miniprogram",
        customer_id="C7",
        mode="same_city",
        address=Address(latitude=lat, longitude=lng, text="人民广场"),
        tender="alipay",
        lines=[OrderLineIn(line_ref=f"{ref}-1", sku="SKU1", quantity=1, unit_price_fen=2500)],
    )


def test_same_city_through_the_rider_states(session: Session, rider_url: str) -> None:
    world(session)
    now = datetime.now(UTC)
    [f] = ful.place(session, data=delivery_order("D1", 31.2310, 121.4740), now=now)
    assert f.store_code == "S1"
    ful.start_picking(session, fulfilment_id=f.id, now=now)
    ful.pack(session, fulfilment_id=f.id, now=now)
    d = delivery.dispatch(session, fulfilment_id=f.id, now=now)
    assert d.state == "awaiting_rider"
    assert d.delivery is not None
    assert d.delivery.status == 101
    session.commit()
    with pytest.raises(IllegalTransition):  # a second rider for the same order: refused
        delivery.dispatch(session, fulfilment_id=f.id, now=now)
    session.rollback()
    advance(rider_url, 3)
    delivery.track(session)
    assert ful.get(session, fulfilment_id=f.id).state == "rider_assigned"
    advance(rider_url, 12)  # rider at the store, picked up, on the way
    delivery.track(session)
    mid = ful.get(session, fulfilment_id=f.id)
    assert mid.state == "in_delivery"
    assert mid.delivery is not None
    assert mid.delivery.rider_name
    lv = inv.get_level(session, location="S1", sku="SKU1")
    assert (lv.on_hand, lv.reserved) == (9, 0)  # left with the rider
    advance(rider_url, 10)
    delivery.track(session)
    done = ful.get(session, fulfilment_id=f.id)
    assert done.state == "delivered"
    assert done.delivery is not None
    assert done.delivery.on_time is True
    assert delivery.track(session) == 0
    events = [h.event for h in ful.history(session, fulfilment_id=f.id)]
    assert events[-4:] == ["dispatch", "rider_accepts", "rider_picks_up", "deliver"]
    assert inv.verify(session) == []


def test_out_of_range_is_refused(session: Session, rider_url: str) -> None:
    world(session)
    with pytest.raises(OutOfRange) as e:
        ful.place(session, data=delivery_order("D2", 31.9, 121.9), now=datetime.now(UTC))
    assert "公里" in e.value.message_zh


def test_refused_delivery_returns_and_restocks_once(session: Session, rider_url: str) -> None:
    world(session)
    now = datetime.now(UTC)
    [f] = ful.place(session, data=delivery_order("D3", 31.2310, 121.4740), now=now)
    ful.start_picking(session, fulfilment_id=f.id, now=now)
    ful.pack(session, fulfilment_id=f.id, now=now)
    delivery.dispatch(session, fulfilment_id=f.id, now=now)
    advance(rider_url, 16)
    delivery.track(session)
    assert ful.get(session, fulfilment_id=f.id).state == "in_delivery"
    waybill = ful.get(session, fulfilment_id=f.id).delivery.waybill_id  # type: ignore[union-attr]
    httpx.post(f"{rider_url}/orders/{waybill}/cancel").raise_for_status()  # 303: coming back
    delivery.track(session)
    assert ful.get(session, fulfilment_id=f.id).state == "returning"
    advance(rider_url, 16)
    delivery.track(session)
    delivery.track(session)
    back = ful.get(session, fulfilment_id=f.id)
    assert (back.state, back.cancel_reason) == ("cancelled", "delivery_returned")
    lv = inv.get_level(session, location="S1", sku="SKU1")
    assert (lv.on_hand, lv.reserved) == (10, 0)  # restocked exactly once
    assert inv.verify(session) == []


def test_late_delivery_counts_against_on_time(session: Session, rider_url: str) -> None:
    world(session)
    now = datetime.now(UTC) - timedelta(minutes=40)  # dispatched 40 minutes ago (our clock)
    [f] = ful.place(session, data=delivery_order("D4", 31.2310, 121.4740), now=now)
    ful.start_picking(session, fulfilment_id=f.id, now=now)
    ful.pack(session, fulfilment_id=f.id, now=now)
    delivery.dispatch(session, fulfilment_id=f.id, now=now)
    advance(rider_url, 25)
    delivery.track(session)
    d = ful.get(session, fulfilment_id=f.id).delivery
    assert d is not None
    assert d.status == 302
