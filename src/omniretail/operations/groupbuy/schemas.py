"""Pydantic shapes of leaders, activities, orders, commission and KPIs (money in fen)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from omniretail.platform.bounds import DB_ID_MAX
from omniretail.platform.keys import ClientKey

Tier = Literal["bronze", "silver", "gold"]
TIER_ZH = {"bronze": "铜牌团长", "silver": "银牌团长", "gold": "金牌团长"}
LEADER_STATUS_ZH = {
    "applied": "待审核",
    "active": "合作中",
    "suspended": "已暂停",
    "rejected": "未通过",
}
ACTIVITY_STATUS_ZH = {"open": "进行中", "formed": "已成团", "failed": "未成团"}
ORDER_STATUS_ZH = {
    "paid": "已支付",
    "formed": "待到货",
    "ready": "待自提",
    "picked_up": "已自提",
    "no_show": "未取货",
    "cancelled": "未成团已退款",
    "refunded": "已全额退款",
}


class LeaderApply(BaseModel):
    """A recruitment application: the person, their store and their pickup point."""

    model_config = ConfigDict(str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    customer_id: str | None = Field(default=None, max_length=32)
    store_code: str = Field(min_length=1, max_length=32)
    point_name: str = Field(min_length=1, max_length=128)
    address: str = Field(min_length=1, max_length=256)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    hours: str = Field(default="09:00-21:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    capacity: int = Field(default=100, ge=1, le=100_000)
    tier: Tier = "bronze"


class LeaderDecision(BaseModel):
    approve: bool
    note: str | None = Field(default=None, max_length=256)
    tier: Tier | None = None


class LeaderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    phone: str | None
    customer_id: str | None
    store_code: str
    point_name: str
    address: str
    latitude: float | None
    longitude: float | None
    hours: str
    capacity: int
    tier: str
    status: str
    applied_at: datetime
    decided_at: datetime | None
    note: str | None


class ItemIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    group_price_fen: int = Field(gt=0, le=10_000_000)
    hold_per_leader: int = Field(gt=0, le=100_000)


class ActivityCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=128)
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    leaders: list[str] = Field(min_length=1, max_length=5_000)
    min_orders: int = Field(ge=1, le=1_000_000)
    cutoff_at: AwareDatetime
    pickup_from: AwareDatetime
    pickup_until: AwareDatetime
    coupon_template: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _window(self) -> ActivityCreate:
        if not self.cutoff_at <= self.pickup_from < self.pickup_until:
            raise ValueError("cut-off ≤ pickup from < pickup until (截单 ≤ 自提开始 < 自提结束)")
        return self


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sku: str
    name: str
    category_code: str | None
    list_price_fen: int
    group_price_fen: int
    hold_per_leader: int


class ActivityRead(BaseModel):
    code: str
    title: str
    status: str
    min_orders: int
    cutoff_at: datetime
    pickup_from: datetime
    pickup_until: datetime
    coupon_template: str | None
    items: list[ItemRead]
    leaders: list[str]
    orders: int


class OrderLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=1_000)


class GroupOrderCreate(BaseModel):
    """An order placed through a leader's link (``external_id``: the mini-program's order id,
    the idempotency key)."""

    model_config = ConfigDict(str_strip_whitespace=True)
    activity: str = Field(min_length=1, max_length=32)
    leader: str = Field(min_length=1, max_length=32)
    external_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=32)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)
    coupon_codes: list[str] = Field(default_factory=list, max_length=5)
    tender: Literal["wechat", "alipay", "card", "other"] = "wechat"
    ordered_at: AwareDatetime | None = None


class GroupOrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_no: int
    sku: str
    quantity: int
    amount_fen: int
    refunded_qty: int
    refunded_fen: int


class GroupOrderRead(BaseModel):
    id: int
    activity: str
    leader: str
    customer_id: str
    external_id: str
    sales_order_id: int
    fulfilment_id: int | None
    status: str
    amount_fen: int
    refunded_fen: int
    commission_fen: int
    commission_bucket: str | None
    ordered_at: datetime
    picked_up_at: datetime | None
    lines: list[GroupOrderLineRead]


class RefundLineIn(BaseModel):
    line_no: int = Field(ge=1, le=DB_ID_MAX)
    quantity: int = Field(gt=0, le=1_000)
    # after pickup: units brought back unfit to sell (spoiled fresh goods) — refunded, not
    # restocked; before pickup nothing left the store, so every unit goes back
    damaged: int = Field(default=0, ge=0, le=1_000)

    @model_validator(mode="after")
    def _damaged(self) -> RefundLineIn:
        if self.damaged > self.quantity:
            raise ValueError("more units damaged than refunded")
        return self


class RefundIn(BaseModel):
    lines: list[RefundLineIn] = Field(min_length=1, max_length=50)
    idempotency_key: ClientKey
    reason: str | None = Field(default=None, max_length=256)


class RuleIn(BaseModel):
    scope: Literal["category", "tier", "default"]
    key: str = Field(default="", max_length=32)
    kind: Literal["rate", "fixed"]
    value: int = Field(ge=0, le=10_000_000)

    @model_validator(mode="after")
    def _key(self) -> RuleIn:
        if self.scope == "default" and self.key:
            raise ValueError("the default rule has no key")
        if self.scope != "default" and not self.key:
            raise ValueError("a category or tier rule names its category or tier")
        if self.kind == "rate" and self.value > 10_000:
            raise ValueError("a rate is at most 10000 basis points (100%)")
        return self


class RuleRead(RuleIn):
    model_config = ConfigDict(from_attributes=True)


class WithdrawIn(BaseModel):
    amount_fen: int = Field(gt=0, le=100_000_000)
    idempotency_key: str = Field(min_length=1, max_length=100)


class CommissionEntryRead(BaseModel):
    """One line of a leader's commission ledger (signed fen in one bucket)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    order_id: int | None
    kind: str
    bucket: str
    amount_fen: int
    at: datetime
    note: str | None


class CommissionBalance(BaseModel):
    leader: str
    pending: int
    frozen: int
    available: int
    withdrawn: int
    debt: int
    earned: int


class CutoffResult(BaseModel):
    activity: str
    status: str
    orders: int
    cancelled: int
    fulfilments: int


class ArrivalResult(BaseModel):
    activity: str
    leader: str
    ready: int
    notified: int


class PickupIn(BaseModel):
    code: str = Field(min_length=1, max_length=80)
    terminal: str | None = Field(default=None, max_length=64)


class PickListLine(BaseModel):
    sku: str
    name: str
    quantity: int


class PickList(BaseModel):
    activity: str
    leader: str
    point_name: str
    address: str
    lines: list[PickListLine]
    orders: list[GroupOrderRead]


class ActivityKpi(BaseModel):
    activity: str
    title: str
    status: str
    orders: int
    gmv_fen: int
    leaders: int
    formed: bool | None
    coupon_issued: int | None
    coupon_redeemed: int | None
    coupon_redemption_rate: float | None
    picked_up: int
    no_show: int
    no_show_rate: float | None


class LeaderKpi(BaseModel):
    rank: int
    leader: str
    name: str
    store_code: str
    tier: str
    orders: int
    gmv_fen: int
    activities: int
    formed_rate: float | None
    no_show_rate: float | None
    commission_fen: int


class GroupBuyKpis(BaseModel):
    activities: list[ActivityKpi]
    leaders: list[LeaderKpi]
    formed_rate: float | None  # 成团率 over decided activities
