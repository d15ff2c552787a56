"""Transactional messages to the customer at the moments they should know (order ready with
its pickup code, pickup reminder, rider on the way, delivered, delivery problem, cancelled and
refunded), through platform messaging: purpose ``transactional`` (no marketing caps), origin
``fulfilment``, one message per fulfilment and moment (the idempotency key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment.models import Fulfilment
from omniretail.platform.jobs.schedule import CRON_TZ
from omniretail.platform.keys import idempotency_key
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.schemas import MessageRequest, Origin
from omniretail.platform.messaging.templates import register_template

TEMPLATES = {
    "pickup_ready": (
        "订单已备好，请到店自提",
        "您的订单 {order} 已在{store}备好。提货码 {code}，"
        "请于 {until} 前到店出示提货码或二维码取货。",
    ),
    "pickup_reminder": (
        "自提提醒",
        "您在{store}的订单 {order} 还未取货，保留至 {until}，逾期将自动取消并退款。",
    ),
    "parcel_at_point": (
        "包裹已到代收点，请凭取件码取件",
        "您的订单 {order} 已由{store}发出，现存放在 {point}。取件码 {code}，"
        "请于 {until} 前凭取件码到代收点取件，逾期将退回门店并退款。",
    ),
    "rider_assigned": (
        "骑手已接单",
        "您的订单 {order} 已由骑手 {rider} 接单，正在前往{store}取货。",
    ),
    "rider_on_the_way": (
        "骑手已取货，配送中",
        "骑手 {rider} 已取到您的订单 {order}，预计 {eta} 前送达。",
    ),
    "delivered": ("订单已送达", "您的订单 {order} 已送达，感谢惠顾。"),
    "delivery_problem": (
        "配送异常",
        "您的订单 {order} 配送遇到问题（{reason}），门店正在处理，我们会尽快再联系您。",
    ),
    "order_cancelled": (
        "订单已取消",
        "您的订单 {order} 已取消（{reason}），{refund} 元将原路退回。",
    ),
    "partly_refunded": (
        "部分商品缺货已退款",
        "抱歉，您的订单 {order} 中有商品缺货，{refund} 元将原路退回，其余商品照常备货。",
    ),
}
for _name, (_title, _body) in TEMPLATES.items():
    register_template(_name, title=_title, body=_body)

REASON_ZH = {
    "no_show": "超过保留期未取货",
    "customer": "您已取消",
    "store": "门店取消",
    "unavailable": "商品缺货",
    "delivery_returned": "配送未完成，商品已退回门店",
    "point_returned": "代收点超期未取，包裹已退回门店",
}


def when(value: Any) -> str:
    return value.astimezone(CRON_TZ).strftime("%m月%d日 %H:%M") if value else ""


def notify(
    session: Session, row: Fulfilment, template: str, *, moment: str | None = None, **params: Any
) -> None:
    """Queue ``template`` for the fulfilment's customer (nothing without a customer id)."""
    if not row.customer_id:
        return
    messaging.enqueue(
        session,
        MessageRequest(
            customer_id=row.customer_id,
            template=template,
            params={"order": row.order_ref, "store": row.store_code or "", **params},
            origin=Origin(kind="fulfilment", ref=f"order:{row.order_ref}"),
            purpose="transactional",
            idempotency_key=idempotency_key("fulfilment", row.id, moment or template),
        ),
    )
