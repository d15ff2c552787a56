"""Community group-buying in the demo world, built in the operational store after the pipeline
through the group-buy services (at fixed seeds): leaders with pickup points near their stores
(two applications waiting), commission rules, and four activities — one collected a week ago
(no-shows, refunds, commission released and partly withdrawn, one refund after withdrawal
booked as debt), one whose goods are arriving now (codes issued, some collected), one that
failed to form (every order refunded) and one still taking orders."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from omniretail.cdp.profile import service as profile_service
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.channel.schemas import ChannelCreate
from omniretail.omnichannel.fulfillment import codes
from omniretail.omnichannel.fulfillment import service as fulfilment
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.product import service as product_service
from omniretail.operations.groupbuy import service, settle
from omniretail.operations.groupbuy.schemas import (
    ActivityCreate,
    GroupOrderCreate,
    LeaderApply,
    LeaderDecision,
    RefundIn,
    RuleIn,
)
from omniretail.platform.db import utcnow

NAMES = ["王阿姨", "张姐", "李嫂", "刘哥", "陈姐", "杨阿姨", "赵姐", "黄哥", "周阿姨", "吴姐",
         "徐哥", "孙姐"]  # fmt: skip
POINTS = ["便利店", "水果店", "快递驿站", "社区服务站", "洗衣店", "小卖部"]
HOLD = 40


def build(session: Session, *, seed: int = 42, now: datetime | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    at = now or utcnow()
    if service.list_leaders(session):
        return {}  # built already (the demo re-runs)
    inventory.sync_locations(session)
    stores = [
        loc
        for loc in inventory.list_locations(session, kind="store")
        if loc.latitude is not None and not loc.franchise
    ][:6]
    products = product_service.list_products(session, limit=40)
    customers = profile_service.sample_customer_ids(session, limit=400)
    if not stores or len(products) < 2 or not customers:
        return {}
    if channel_service.find_channel(session, code="groupbuy") is None:
        channel_service.upsert_channels(
            session, channels=[ChannelCreate(code="groupbuy", name="社区团购", kind="online")]
        )
    skus = rng.sample([p.sku for p in products], min(4, len(products)))
    price = {p.sku: p.price_fen for p in products}
    category = products[0].category_code
    for s in stores:
        for sku in skus:
            inventory.receive(
                session, location=s.code, sku=sku, quantity=HOLD * 4, key=f"demo-gb:{s.code}:{sku}",
                now=at - timedelta(days=11),
            )  # fmt: skip
    leaders: list[str] = []
    for i, name in enumerate(NAMES):
        s = stores[i % len(stores)]
        code = f"GL{i + 1:03d}"
        service.apply_leader(
            session,
            data=LeaderApply(
                code=code,
                name=name,
                phone=f"1390000{i:04d}",
                customer_id=customers[i],
                store_code=s.code,
                point_name=f"{name}{POINTS[i % len(POINTS)]}",
                address=f"{s.city or ''}{s.name}附近{rng.randint(1, 30)}号楼底商",
                latitude=round((s.latitude or 0) + rng.uniform(-0.01, 0.01), 6),
                longitude=round((s.longitude or 0) + rng.uniform(-0.01, 0.01), 6),
                hours="08:00-21:00",
                capacity=rng.choice([50, 80, 120]),
                tier=rng.choice(["bronze", "bronze", "silver", "gold"]),
            ),
            now=at - timedelta(days=30),
        )
        if i < len(NAMES) - 2:  # the last two wait for approval
            service.decide_leader(
                session, code=code, data=LeaderDecision(approve=True), by="demo",
                now=at - timedelta(days=29),
            )  # fmt: skip
            leaders.append(code)
    service.set_rule(session, data=RuleIn(scope="default", kind="rate", value=800))
    service.set_rule(session, data=RuleIn(scope="tier", key="gold", kind="rate", value=1200))
    if category:
        service.set_rule(
            session, data=RuleIn(scope="category", key=category, kind="fixed", value=150)
        )

    def activity(
        code: str, title: str, start: datetime, min_orders: int, coupon: str | None = None
    ) -> None:
        items = [
            {"sku": sku, "group_price_fen": max(100, price[sku] * 8 // 100 * 10),
             "hold_per_leader": HOLD // 4}
            for sku in skus
        ]  # fmt: skip
        service.create_activity(
            session,
            data=ActivityCreate.model_validate({
                "code": code, "title": title, "items": items, "leaders": leaders,
                "min_orders": min_orders, "cutoff_at": start + timedelta(days=2),
                "pickup_from": start + timedelta(days=3), "pickup_until": start + timedelta(days=5),
                "coupon_template": coupon,
            }),
            now=start,
        )  # fmt: skip

    n = 0

    def orders(
        code: str, start: datetime, per_leader: tuple[int, int], coupon: str | None = None
    ) -> list[int]:
        nonlocal n
        made = []
        for ld in leaders:
            for _ in range(rng.randint(*per_leader)):
                n += 1
                lines = [{"sku": sku, "quantity": 1} for sku in rng.sample(skus, rng.randint(1, 2))]
                buyer = rng.choice(customers)
                used: list[str] = []
                if coupon is not None:  # the group's coupon, pushed to the buyer; most use it
                    c = coupon_service.issue(
                        session, template_code=coupon, customer_id=buyer, source="groupbuy",
                        now=start,
                    )  # fmt: skip
                    if rng.random() < 0.96:
                        used = [c.code]
                o = service.place_order(
                    session,
                    data=GroupOrderCreate.model_validate({
                        "activity": code, "leader": ld, "external_id": f"GB{seed}-{n:06d}",
                        "customer_id": buyer, "lines": lines, "coupon_codes": used,
                    }),
                    now=start + timedelta(hours=rng.randint(1, 40)),
                )  # fmt: skip
                made.append(o.id)
        return made

    # 1. a week ago: formed, collected, some no-shows and refunds, commission released
    t1 = at - timedelta(days=12)
    coupon_service.create_template(
        session,
        data=TemplateCreate(
            code="GB-FRUIT-5", name="鲜果团立减 5 元", kind="amount_off", rules={"amount": 5},
            face_value=Decimal("5"), valid_from=t1 - timedelta(days=1),
            valid_until=at + timedelta(days=30),
        ),
    )  # fmt: skip
    activity("FRUIT-W1", "周末鲜果团", t1, min_orders=20, coupon="GB-FRUIT-5")
    ids = orders("FRUIT-W1", t1, (3, 6), coupon="GB-FRUIT-5")
    settle.decide(session, activity="FRUIT-W1", now=t1 + timedelta(days=2, minutes=5))
    for ld in leaders:
        settle.arrive(
            session, activity="FRUIT-W1", leader=ld, actor="demo", now=t1 + timedelta(days=3)
        )
    for oid in ids:
        o = service.get_order(session, order_id=oid)
        pc = codes.current(session, fulfilment_id=o.fulfilment_id or 0)
        if pc is not None and rng.random() < 0.88:
            settle.pick_up(session, leader=o.leader, code=pc.code,
                           now=t1 + timedelta(days=3, hours=rng.randint(1, 40)))  # fmt: skip
    fulfilment.expire_uncollected(session, now=t1 + timedelta(days=5, hours=1))
    settle.record_no_shows(session, now=t1 + timedelta(days=5, hours=1))
    picked = [service.get_order(session, order_id=i) for i in ids]
    picked = [o for o in picked if o.status == "picked_up"]
    refunded = rng.sample(picked, min(3, len(picked)))
    for o in refunded:
        settle.refund(
            session, order_id=o.id, now=t1 + timedelta(days=6),
            data=RefundIn.model_validate({"lines": [{"line_no": 1, "quantity": 1}],
                                          "idempotency_key": "quality", "reason": "商品质量问题"}),
        )  # fmt: skip
    settle.release_due(session, now=at)
    first = leaders[0]
    avail = settle.balance(session, leader=first).available
    if avail > 0:
        settle.withdraw(session, leader=first, amount_fen=avail, key="demo-1", now=at)
        late = next(
            # not one just refunded above (``picked`` was read before those refunds)
            (o for o in picked if o.leader == first.casefold() and o not in refunded), None
        )
        if late is not None:  # a refund after the money was withdrawn: an explicit debt
            settle.refund(
                session, order_id=late.id, now=at,
                data=RefundIn.model_validate({"lines": [{"line_no": 1, "quantity": 1}],
                                              "idempotency_key": "late"}),
            )  # fmt: skip
    # 2. formed yesterday, the goods are arriving today at half of the points
    t2 = at - timedelta(days=3, hours=2)
    activity("NUTS-W2", "坚果礼盒团", t2, min_orders=20)
    ids2 = orders("NUTS-W2", t2, (2, 5))
    settle.decide(session, activity="NUTS-W2", now=t2 + timedelta(days=2, minutes=5))
    for ld in leaders[::2]:
        settle.arrive(
            session, activity="NUTS-W2", leader=ld, actor="demo", now=at - timedelta(hours=1)
        )
    for oid in ids2:
        o = service.get_order(session, order_id=oid)
        pc = codes.current(session, fulfilment_id=o.fulfilment_id or 0)
        if o.status == "ready" and pc is not None and rng.random() < 0.4:
            settle.pick_up(session, leader=o.leader, code=pc.code, now=at - timedelta(minutes=20))
    # 3. failed to form: every order cancelled and refunded
    t3 = at - timedelta(days=4)
    activity("STEAK-W2", "进口牛排团", t3, min_orders=500)
    orders("STEAK-W2", t3, (0, 2))
    settle.decide(session, activity="STEAK-W2", now=t3 + timedelta(days=2, minutes=5))
    # 4. still taking orders
    t4 = at - timedelta(hours=20)
    activity("MILK-W3", "鲜奶早餐团", t4, min_orders=30)
    orders("MILK-W3", t4, (0, 3))
    session.flush()
    return {"leaders": len(NAMES), "activities": 4, "orders": n}
