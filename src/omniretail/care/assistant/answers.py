"""Transactional answers: the identified customer's own orders, pickups, points and coupons,
read through the owning domains' services. Only ever the ``customer_id`` the channel verified;
a question naming an order that is not that customer's is refused without saying whose it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from omniretail.platform.errors import DomainError

CHAIN_TZ = ZoneInfo("Asia/Shanghai")  # until platform/timezone.py lands (CONTEXT interface 7)
ORDER_REF = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{0,4}\d{6,20})(?![0-9A-Za-z])")


@dataclass
class DataAnswer:
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    handover: bool = False  # the data is not there: a person should follow up


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(CHAIN_TZ).strftime("%m月%d日 %H:%M")


def _fulfilments(session: Session, customer_id: str) -> list[Any]:
    from omniretail.omnichannel.fulfillment import service as fulfillment_service

    return list(fulfillment_service.for_customer(session, customer_id=customer_id, limit=10))


def _named_order(question: str, rows: list[Any]) -> tuple[str | None, list[Any]]:
    """(the order reference the question names, the customer's rows for it)."""
    m = ORDER_REF.search(question)
    if not m:
        return None, rows
    ref = m.group(1)
    return ref, [r for r in rows if r.order_ref.lower() == ref.lower()]


def order_status(session: Session, customer_id: str, question: str) -> DataAnswer:
    rows = _fulfilments(session, customer_id)
    ref, mine = _named_order(question, rows)
    if ref and not mine:
        return DataAnswer(
            f"没有在您的账户下找到订单 {ref}，我只能查询您本人的订单。", {"order_ref": ref}
        )
    if not mine:
        return DataAnswer("您的账户下暂时没有进行中的订单。", {})
    latest = mine[0]
    text = f"您的订单 {latest.order_ref} 当前状态：{latest.state_zh}"
    if latest.delivery is not None and latest.delivery.promised_at:
        text += f"，预计 {_when(latest.delivery.promised_at)} 送达"
    if latest.store_code:
        text += f"（门店 {latest.store_code}）"
    return DataAnswer(
        text + "。",
        {"order_ref": latest.order_ref, "state": latest.state, "mode": latest.mode},
    )


def _pickups(session: Session, customer_id: str, question: str) -> tuple[str | None, list[Any]]:
    rows = [r for r in _fulfilments(session, customer_id) if r.mode == "pickup"]
    return _named_order(question, rows)


def pickup_time(session: Session, customer_id: str, question: str) -> DataAnswer:
    ref, rows = _pickups(session, customer_id, question)
    if ref and not rows:
        return DataAnswer(f"没有在您的账户下找到自提订单 {ref}，我只能查询您本人的订单。")
    if not rows:
        return DataAnswer("您暂时没有自提订单。")
    r = rows[0]
    if r.state == "ready":
        text = f"订单 {r.order_ref} 已备好，可到门店 {r.store_code} 取货"
        if r.hold_until:
            text += f"，请在 {_when(r.hold_until)} 前取走"
        return DataAnswer(text + "。", {"order_ref": r.order_ref, "state": r.state})
    return DataAnswer(
        f"订单 {r.order_ref} 当前状态：{r.state_zh}，备好后会通知您取货。",
        {"order_ref": r.order_ref, "state": r.state},
    )


def pickup_code(session: Session, customer_id: str, question: str) -> DataAnswer:
    from omniretail.omnichannel.fulfillment import codes

    ref, rows = _pickups(session, customer_id, question)
    if ref and not rows:
        return DataAnswer(f"没有在您的账户下找到自提订单 {ref}，我只能查询您本人的订单。")
    for r in rows:
        code = codes.current(session, fulfilment_id=r.id)
        if code is not None:
            return DataAnswer(
                f"订单 {r.order_ref} 的取货码是 {code.code}"
                f"（门店 {code.store_code}），到店出示即可。",
                {"order_ref": r.order_ref, "code": code.code, "store_code": code.store_code},
            )
    return DataAnswer("您的自提订单还没有备好，备好后取货码会通过短信和订单页发给您。")


def points_balance(session: Session, customer_id: str, question: str) -> DataAnswer:
    from omniretail.marketing.loyalty import service as loyalty_service

    try:
        view = loyalty_service.account_view(session, customer_id=customer_id)
    except DomainError:
        return DataAnswer("您还没有积分账户，消费后即可开始累计积分。", {"balance": 0})
    text = f"您当前的积分余额为 {view.balance} 分"
    if view.tier_code:
        text += f"，会员等级 {view.tier_code}"
    return DataAnswer(text + "。", {"balance": view.balance, "tier": view.tier_code})


def my_coupons(session: Session, customer_id: str, question: str) -> DataAnswer:
    from omniretail.marketing.coupon import service as coupon_service

    usable = coupon_service.customer_coupons(session, customer_id=customer_id, status="issued")
    if not usable:
        return DataAnswer("您的卡包里暂时没有可用的优惠券，可以去领券中心看看。", {"coupons": []})
    items = [
        {"code": c.code, "valid_until": c.valid_until.isoformat() if c.valid_until else None}
        for c in usable[:10]
    ]
    soonest = min((c.valid_until for c in usable if c.valid_until), default=None)
    text = f"您有 {len(usable)} 张可用优惠券"
    if soonest:
        text += f"，最早的一张 {_when(soonest)} 到期"
    return DataAnswer(text + "。", {"coupons": items})


SKU_REF = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{1,6}[-_]?\d{1,10})(?![0-9A-Za-z])")


def _product_named(session: Session, question: str) -> Any | None:
    """The product the question names: a SKU code, or the longest product name in it."""
    from omniretail.omnichannel.product import service as product_service

    for m in SKU_REF.finditer(question):
        found = product_service.get_products(session, skus=[m.group(1).upper(), m.group(1)])
        if found:
            return next(iter(found.values()))
    best = None
    for p in product_service.list_products(session, limit=5000):
        longer = best is None or len(p.name or "") > len(best.name)
        if p.name and len(p.name) >= 2 and p.name in question and longer:
            best = p
    return best


def _customer_position(session: Session, customer_id: str) -> tuple[float, float] | None:
    """Where the customer shops: their home store's position, else the store of their latest
    order."""
    from omniretail.cdp.profile import service as profile_service
    from omniretail.omnichannel.inventory import service as inventory
    from omniretail.omnichannel.store import service as store_service

    code = None
    try:
        found = profile_service.find_customer(session, customer_id)  # type: ignore[attr-defined]
        code = found.home_store_code
    except DomainError:
        code = None
    if code:
        try:
            store = store_service.get_store(session, code=code)
            if store.latitude is not None and store.longitude is not None:
                return store.latitude, store.longitude
        except DomainError:
            pass
    for f in _fulfilments(session, customer_id):
        if f.store_code:
            try:
                loc = inventory.get_location(session, code=f.store_code)
            except DomainError:
                continue
            if loc.latitude is not None and loc.longitude is not None:
                return loc.latitude, loc.longitude
    return None


NEAREST_RADIUS_KM = 10.0


def nearest_stock(session: Session, customer_id: str, question: str) -> DataAnswer:
    """The nearest stores (within 10 km of where the customer shops) with the named product
    available now, from the inventory's live availability."""
    from omniretail.omnichannel.inventory import allocation

    product = _product_named(session, question)
    if product is None:
        return DataAnswer(
            "请告诉我您想买的商品名称或编号，我帮您查附近门店的库存。", {"reason": "no_product"}
        )
    where = _customer_position(session, customer_id)
    if where is None:
        return DataAnswer(
            "还不知道您常去的门店，已为您转接人工客服协助查询库存。",
            {"sku": product.sku},
            handover=True,
        )
    stores = allocation.stores_with_stock_near(
        session, sku=product.sku, lat=where[0], lng=where[1], radius_km=NEAREST_RADIUS_KM
    )
    if not stores:
        return DataAnswer(
            f"您附近 {NEAREST_RADIUS_KM:g} 公里内的门店暂时没有「{product.name}」的现货，"
            "可以线上下单快递到家。",
            {"sku": product.sku, "stores": []},
        )
    top = stores[:3]
    text = "、".join(f"{s.name}（约 {s.distance_km} 公里，可售 {s.available} 件）" for s in top)
    return DataAnswer(
        f"「{product.name}」离您最近有货的门店：{text}。",
        {
            "sku": product.sku,
            "stores": [
                {"store_code": s.location, "distance_km": s.distance_km, "available": s.available}
                for s in top
            ],
        },
    )


HANDLERS = {
    "order_status": order_status,
    "pickup_time": pickup_time,
    "pickup_code": pickup_code,
    "points_balance": points_balance,
    "my_coupons": my_coupons,
    "nearest_stock": nearest_stock,
}
