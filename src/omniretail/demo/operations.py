"""Stock and fulfilment of the demo world, built in the operational store after the pipeline:
stock levels and movements per store and warehouse, online orders in every fulfilment mode and
state (some not collected, some partly unavailable, some returned in another channel), and
deliveries through the simulated rider service, so the console pages show real states.

Everything goes through the services (the ledger stays equal to its levels), at fixed seeds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from omniretail.cdp.profile import service as profile_service
from omniretail.omnichannel.fulfillment import codes, delivery, returns
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import FulfilmentError
from omniretail.omnichannel.fulfillment.schemas import Address, ReturnCreate, ReturnLineIn
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.inventory.errors import InventoryError
from omniretail.omnichannel.order import service as orders
from omniretail.omnichannel.order.schemas import OrderCreate, TenderIn
from omniretail.omnichannel.order.schemas import OrderLineIn as OrderLine
from omniretail.omnichannel.product import service as product_service
from omniretail.platform.db import utcnow
from omniretail.platform.errors import DomainError

N_SKUS = 30
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def build(
    session: Session,
    *,
    seed: int = 42,
    rider_url: str | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    rng = random.Random(seed)
    at = now or utcnow()
    if ful.list_fulfilments(session, limit=1):
        return {}  # built already (the demo re-runs)
    inventory.sync_locations(session)
    locs = [loc for loc in inventory.list_locations(session) if loc.latitude is not None]
    stores = [loc for loc in locs if loc.kind == "store" and loc.pickup]
    houses = [loc for loc in locs if loc.kind == "warehouse"]
    products = product_service.list_products(session, limit=N_SKUS)
    if not stores or not products:
        return {}
    skus = [p.sku for p in products]
    price = {p.sku: p.price_fen for p in products}
    # stock: warehouses deep, stores a few of each (some out of stock)
    rows = [(w.code, sku, rng.randint(150, 400)) for w in houses for sku in skus]
    for s in stores:
        for sku in skus:
            q = rng.choice([0, 0, 2, 3, 5, 8, 12, 20])
            if q:
                rows.append((s.code, sku, q))
    inventory.receive_many(session, rows=rows, ref="demo:opening", now=at - timedelta(days=7))
    stats: dict[str, int] = {"stock_rows": len(rows)}
    customers = profile_service.sample_customer_ids(session, limit=200) or [
        f"DEMO{i:04d}" for i in range(200)
    ]
    for i in range(min(150, len(stores) * 2)):  # counter sales (through POS orders), transfers
        s, sku = rng.choice(stores), rng.choice(skus)
        qty = rng.randint(1, 2)
        try:
            orders.create_order(
                session,
                data=OrderCreate(
                    channel_code="pos",
                    external_id=f"DEMO-POS-{s.code}-{i:04d}",
                    origin="pos",
                    store_code=s.code,
                    customer_id=rng.choice(customers) if i % 2 else None,
                    fulfillment="in_store",
                    pricing="list_price",
                    lines=[OrderLine(sku=sku, quantity=qty)],
                    tenders=[TenderIn(method="cash", amount_fen=price[sku] * qty)],
                    ordered_at=at - timedelta(hours=rng.randint(1, 140)),
                ),
            )
        except DomainError:
            continue
    for i in range(min(20, len(houses) * 20)):
        w, s, sku = rng.choice(houses), rng.choice(stores), rng.choice(skus)
        inventory.transfer(
            session,
            from_location=w.code,
            to_location=s.code,
            sku=sku,
            quantity=rng.randint(5, 15),
            key=f"demo:transfer:{i}",
            now=at - timedelta(days=rng.randint(1, 6)),
        )
    n = 0

    def place(mode: str, store: Any, minutes_ago: int, lines: int = 2, **kw: Any) -> Any:
        nonlocal n
        n += 1
        level = inventory.levels_at(session, location=store.code, skus=skus)
        stocked = [sku for sku in skus if level[sku].available > 2]
        chosen = rng.sample(stocked or skus, k=min(lines, len(stocked or skus)))
        qty = {sku: rng.randint(1, 2) for sku in chosen}
        when = at - timedelta(minutes=minutes_ago)
        try:
            order = orders.create_order(
                session,
                data=OrderCreate(
                    channel_code="miniprogram",
                    external_id=f"WX{at:%y%m%d}{n:04d}",
                    origin="miniprogram",
                    store_code=store.code,
                    customer_id=rng.choice(customers),
                    fulfillment="pickup" if mode == "pickup" else "delivery",
                    pricing="list_price",
                    lines=[OrderLine(sku=sku, quantity=q) for sku, q in qty.items()],
                    tenders=[
                        TenderIn(
                            method="wechat",
                            amount_fen=sum(price[sku] * q for sku, q in qty.items()),
                        )
                    ],
                    ordered_at=when,
                ),
            )
            return ful.place_for_order(
                session,
                order_id=order.id,
                mode=mode,
                address=Address(
                    latitude=store.latitude + rng.uniform(-0.02, 0.02),
                    longitude=store.longitude + rng.uniform(-0.02, 0.02),
                    text="演示地址",
                ),
                now=when,
                **kw,
            )[0]
        except DomainError:
            return None

    def advance(f: Any, steps: list[str], minutes_ago: int) -> None:
        t = at - timedelta(minutes=minutes_ago)
        for step in steps:
            if step == "start_picking":
                ful.start_picking(session, fulfilment_id=f.id, actor="demo", now=t)
            elif step == "mark_ready":
                ful.mark_ready(session, fulfilment_id=f.id, actor="demo", now=t)
            elif step == "pack":
                ful.pack(session, fulfilment_id=f.id, actor="demo", now=t)
            t += timedelta(minutes=rng.randint(8, 35))

    pickups = [
        place("pickup", rng.choice(stores), rng.randint(30, 600), pickup_store=None)
        for _ in range(48)
    ]
    pickups = [f for f in pickups if f is not None]
    picked: list[Any] = []
    for i, f in enumerate(pickups):
        kind = i % 8
        if kind in (0, 1):
            continue  # allocated, waiting for the store
        if kind == 2:
            advance(f, ["start_picking"], 40)
        elif kind in (3, 4):
            advance(f, ["start_picking", "mark_ready"], 120)
        elif kind in (5, 6):
            advance(f, ["start_picking", "mark_ready"], 300)
            code = codes.current(session, fulfilment_id=f.id)
            if (
                code is not None
                and codes.verify(
                    session,
                    store_code=f.store_code,
                    code=code.code,
                    terminal="demo-pad",
                    staff="demo",
                    now=at - timedelta(minutes=rng.randint(10, 100)),
                ).ok
            ):
                picked.append(f)
        else:  # made ready four days ago, never collected
            ful.start_picking(session, fulfilment_id=f.id, now=at - timedelta(days=4, hours=1))
            ful.mark_ready(session, fulfilment_id=f.id, now=at - timedelta(days=4))
    stats["no_shows"] = ful.expire_uncollected(session, now=at)
    short = 0
    for f in pickups[1::8][:4]:  # partly unavailable: reallocated or refunded
        ful.start_picking(session, fulfilment_id=f.id, now=at - timedelta(minutes=20))
        try:
            ful.report_shortage(
                session,
                fulfilment_id=f.id,
                line_no=0,
                missing=1,
                actor="demo",
                now=at - timedelta(minutes=15),
            )
            short += 1
        except (FulfilmentError, InventoryError):
            continue
    stats.update(pickups=len(pickups), picked_up=len(picked), shortages=short)
    # returns in another channel: bought on Tmall, returned in a store; a pickup returned
    # at a different store than it was collected in
    for i in range(6):
        s = rng.choice(stores)
        sku = rng.choice(skus)
        ref = f"TM{at:%y%m%d}{i:04d}"
        returns.record_sale(
            session,
            order_ref=ref,
            channel="tmall",
            customer_id=rng.choice(customers),
            tender="alipay",
            lines=[(f"{ref}-1", sku, 2, price[sku])],
        )
        if i % 2 == 0:
            returns.create_return(
                session,
                data=ReturnCreate(
                    key=f"demo-rma-tm-{i}",
                    order_ref=ref,
                    channel="pos",
                    receiving_store=s.code,
                    lines=[
                        ReturnLineIn(
                            line_ref=f"{ref}-1", quantity=1, damaged=i % 4 // 2, reason="quality"
                        )
                    ],
                ),
                now=at - timedelta(hours=i),
            )
    for i, f in enumerate(picked[:3]):
        other = rng.choice([s for s in stores if s.code != f.store_code] or stores)
        ln = f.lines[0]
        returns.create_return(
            session,
            data=ReturnCreate(
                key=f"demo-rma-{f.id}",
                order_ref=f.order_ref,
                channel="pos",
                receiving_store=other.code,
                lines=[ReturnLineIn(line_ref=ln.line_ref, quantity=1, reason="changed_mind")],
            ),
            now=at - timedelta(minutes=30 + i),
        )
    stats["returns"] = len(returns.list_returns(session))
    if rider_url:
        stats.update(_deliveries(session, rng, stores, place, advance, rider_url, at))
    stats.update(_parcel_points(session, rng, stores, place, advance, at))
    return stats


POINT_BRANDS = ("菜鸟驿站", "妈妈驿站", "兔喜生活")


def _parcel_points(  # noqa: PLR0913
    session: Session,
    rng: random.Random,
    stores: list[Any],
    place: Any,
    advance: Any,
    at: datetime,
) -> dict[str, int]:
    """快递代收点: three third-party parcel points a few hundred metres from stores (store-master
    locations of kind pickup_point), and online orders picked up there in every state — sent
    and collected, waiting at the point under its own collection code, on the way, still being
    packed — and one not collected within the point's hold: sent back, and cancelled, refunded
    and restocked when it is back at the store."""
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.errors import UnknownStore
    from omniretail.omnichannel.store.schemas import StoreCreate

    points: list[tuple[str, Any]] = []  # (point code, the store it is near)
    for i, s in enumerate([s for s in stores if not s.franchise][:3]):
        code = f"PP{i + 1:02d}"
        try:
            store_service.get_store(session, code=code)
        except UnknownStore:
            near = store_service.get_store(session, code=s.store_code or s.code)
            store_service.create_store(
                session,
                data=StoreCreate(
                    code=code,
                    name=f"{POINT_BRANDS[i]}·{near.district or near.city or ''}{i + 1}号点",
                    kind="pickup_point",
                    store_type="community",
                    region=near.region,
                    province=near.province,
                    city=near.city,
                    district=near.district,
                    address=f"{near.district or ''}演示路 {rng.randint(1, 300)} 号",
                    latitude=s.latitude + rng.uniform(-0.006, 0.006),
                    longitude=s.longitude + rng.uniform(-0.006, 0.006),
                    opening_hours=dict.fromkeys(DAYS, "08:00-21:00"),
                ),
            )
        points.append((code, s))
    inventory.sync_locations(session)  # the points as locations that hold no stock

    def point_code() -> str:  # a station's 取件码: shelf-layer-number
        return f"{rng.randint(1, 9)}-{rng.randint(1, 6)}-{rng.randint(1000, 9999)}"

    def sent(f: Any, minutes_ago: int) -> None:
        advance(f, ["start_picking", "pack"], minutes_ago)
        t = at - timedelta(minutes=minutes_ago - 60)
        ful.send_to_point(session, fulfilment_id=f.id, actor="demo", now=t)

    out = {"parcel_points": len(points), "parcel_orders": 0, "parcel_returned": 0}
    day = 24 * 60
    # (minutes ago placed, what happened since)
    plan = [(2 * day, "collected"), (6 * 60, "at_point"), (150, "to_point"), (40, "placed"),
            (5 * day, "not_collected"), (3 * day, "collected")]  # fmt: skip
    for n, (ago, what) in enumerate(plan):
        code, near = points[n % len(points)]
        f = place("pickup", near, ago, pickup_store=None, pickup_kind="parcel_point",
                  parcel_point=code)  # fmt: skip
        if f is None:
            continue
        out["parcel_orders"] += 1
        if what == "placed":
            continue
        sent(f, ago - 30)
        if what == "to_point":
            continue
        taken = point_code()
        arrived = at - timedelta(minutes=ago - 240)
        ful.arrive_at_point(session, fulfilment_id=f.id, point_code=taken, now=arrived)
        if what == "collected":
            ful.collect_at_point(session, fulfilment_id=f.id, point_code=taken,
                                 now=arrived + timedelta(hours=rng.randint(2, 20)))  # fmt: skip
        elif what == "not_collected":  # the point's hold (3 days) passed: sent back
            back = arrived + timedelta(days=3, hours=2)
            ful.point_returns(session, fulfilment_id=f.id, reason="no_show", now=back)
            ful.returned_to_store(session, fulfilment_id=f.id, actor="demo",
                                  now=back + timedelta(hours=20))  # fmt: skip
            out["parcel_returned"] += 1
    return out


def _deliveries(
    session: Session,
    rng: random.Random,
    stores: list[Any],
    place: Any,
    advance: Any,
    rider_url: str,
    at: datetime,
) -> dict[str, int]:
    """Same-city orders dispatched in three waves on the rider service's clock: delivered,
    on the way, waiting for a rider; one refused by the customer and brought back."""
    out = {"deliveries": 0}
    waves = [(55, 40), (15, 13), (2, 2)]  # (dispatched minutes ago, then advance the sim)
    for w, (ago, step) in enumerate(waves):
        for i in range(5):
            f = place("same_city", rng.choice(stores), ago + 30)
            if f is None:
                continue
            advance(f, ["start_picking", "pack"], ago + 20)
            try:
                delivery.dispatch(
                    session, fulfilment_id=f.id, actor="demo", now=at - timedelta(minutes=ago)
                )
            except FulfilmentError:
                continue
            out["deliveries"] += 1
            if w == 1 and i == 0:
                out["refused_waybill_fulfilment"] = f.id
        httpx.post(f"{rider_url}/sim/clock", json={"minutes": step}).raise_for_status()
    fid = out.pop("refused_waybill_fulfilment", None)
    delivery.track(session)
    if fid is not None:
        d = ful.get(session, fulfilment_id=fid).delivery
        if d is not None and d.waybill_id and 202 <= d.status < 302:
            httpx.post(f"{rider_url}/orders/{d.waybill_id}/cancel")  # 303: coming back
            delivery.track(session)
    return out
