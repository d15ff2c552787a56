"""Operational orders in and out. Money in integer fen (分)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from omniretail.platform.bounds import DB_ID_MAX

OrderStatus = Literal["placed", "paid", "fulfilled", "cancelled", "returned", "partially_returned"]
ORDER_STATUS_LABELS: dict[str, str] = {
    "placed": "待支付",
    "paid": "已支付",
    "fulfilled": "已完成",
    "cancelled": "已取消",
    "returned": "已退货",
    "partially_returned": "部分退货",
}
Origin = Literal["miniprogram", "app", "pos", "clerk", "groupbuy", "api"]
Fulfillment = Literal["in_store", "pickup", "delivery", "express", "group_pickup"]
TenderMethod = Literal["wechat", "alipay", "card", "cash", "gift_card", "points", "other"]


class BuyerRef(BaseModel):
    """Who bought, as the channel knows them: the CDP resolves these into a customer."""

    model_config = ConfigDict(str_strip_whitespace=True)

    member_id: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    unionid: str | None = Field(default=None, max_length=64)
    openid: str | None = Field(default=None, max_length=64)


class OrderLineIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=10_000)
    unit_price_fen: int | None = Field(default=None, ge=0)  # default: the product's price
    team_buy_group_id: int | None = Field(default=None, ge=1, le=DB_ID_MAX)


class TenderIn(BaseModel):
    method: TenderMethod
    amount_fen: int = Field(gt=0)
    reference: str | None = Field(default=None, max_length=64)


class OrderCreate(BaseModel):
    """An order as a channel sends it. ``(channel_code, external_id)`` identify it: a replay is
    answered with the stored order, a replay with a different body is a 409 naming the field."""

    model_config = ConfigDict(str_strip_whitespace=True)

    channel_code: str = Field(min_length=1, max_length=32)
    external_id: str = Field(min_length=1, max_length=64)
    origin: Origin = "api"
    store_code: str | None = Field(default=None, max_length=32)
    staff_id: str | None = Field(default=None, max_length=32)
    customer_id: str | None = Field(default=None, max_length=32)
    buyer: BuyerRef | None = None
    fulfillment: Fulfillment = "in_store"
    ordered_at: AwareDatetime | None = None  # default: now
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    coupon_codes: list[str] = Field(default_factory=list, max_length=10)
    shipping_fen: int = Field(default=0, ge=0)
    pricing: str | None = Field(default=None, max_length=32)  # provider; None = the default
    tenders: list[TenderIn] = Field(default_factory=list, max_length=10)
    # the live-session evidence the order came with (marketing.live credits the session): the
    # code (口令 / 直播间专属码) typed or scanned, and the tracked link it landed from (a URL or
    # its query, e.g. ``live_id=dy1207``)
    live_code: str | None = Field(default=None, max_length=64)
    live_link: str | None = Field(default=None, max_length=512)

    @field_validator("coupon_codes")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        return [c.strip() for c in v if c.strip()]

    @field_validator("live_code", "live_link")
    @classmethod
    def _blank(cls, v: str | None) -> str | None:
        return v or None


class OrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    sku: str
    name: str | None
    quantity: int
    unit_price_fen: int
    discount_fen: int
    amount_fen: int
    returned_qty: int


class TenderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: Literal["payment", "refund"]
    method: str
    amount_fen: int
    reference: str | None
    recorded_at: datetime


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    at: datetime
    reason: str | None


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel_code: str
    external_id: str
    origin: str
    store_code: str | None
    staff_id: str | None
    customer_id: str | None
    fulfillment: str
    status: OrderStatus
    currency: str
    gross_fen: int
    discount_fen: int
    shipping_fen: int
    total_fen: int
    paid_fen: int
    refunded_fen: int
    pricing: str | None
    discounts: list[dict[str, Any]]
    coupon_codes: list[str]
    live_code: str | None = None
    live_link: str | None = None
    ordered_at: datetime
    paid_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    version: int
    lines: list[OrderLineRead]
    tenders: list[TenderRead]

    @property
    def status_label(self) -> str:
        return ORDER_STATUS_LABELS[self.status]


class OrderLanding(OrderRead):
    """An order as the analytics drain lands it: with the buyer's identifiers and the version
    analytics already has (0: never landed, so its lines land too)."""

    buyer: dict[str, Any] | None
    landed_version: int


class PayIn(BaseModel):
    tenders: list[TenderIn] = Field(min_length=1, max_length=10)


class CancelIn(BaseModel):
    reason: str | None = Field(default=None, max_length=256)
    idempotency_key: str | None = Field(default=None, max_length=100)


class ReturnLineIn(BaseModel):
    line_no: int = Field(ge=1)
    quantity: int = Field(gt=0)


class ReturnIn(BaseModel):
    lines: list[ReturnLineIn] = Field(min_length=1)
    reason: str | None = Field(default=None, max_length=256)
    refund_method: TenderMethod | None = None  # default: the order's first payment method
    idempotency_key: str = Field(min_length=1, max_length=100)  # a retried return is one return
