"""Pydantic shapes of promotions, team buying and priced baskets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omniretail.marketing.coupon.basket import Basket
from omniretail.marketing.coupon.schemas import Scope
from omniretail.platform.bounds import Instant


class PromotionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=128)
    name_en: str | None = None
    kind: Literal["flash_sale", "bundle", "team_buy", "holiday"]
    rules: dict[str, Any]
    scope: Scope = Scope()
    starts_at: Instant
    ends_at: Instant
    priority: int = Field(default=0, ge=-1000, le=1000)
    stock_cap: int | None = Field(default=None, gt=0, le=100_000_000)
    stack_with_coupons: bool = True

    @model_validator(mode="after")
    def _dates(self) -> PromotionCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class PromotionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    name_en: str | None
    kind: str
    rules: dict[str, Any]
    scope: dict[str, Any]
    starts_at: datetime
    ends_at: datetime
    priority: int
    stock_cap: int | None
    stock_sold: int
    stack_with_coupons: bool
    status: str


class AllocateIn(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    customer_id: str | None = None
    quantity: int = Field(gt=0, le=1000)


class AllocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    promotion_id: int
    order_id: str
    customer_id: str | None
    quantity: int
    status: str


class TeamOpenIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=32)
    order_id: str = Field(min_length=1, max_length=64)
    paid_amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    promotion_id: int
    leader_customer_id: str
    group_size: int
    member_count: int
    status: str
    opened_at: datetime
    expires_at: datetime


class PriceIn(BaseModel):
    basket: Basket
    coupon_codes: list[str] = []


class CheckoutIn(PriceIn):
    order_id: str = Field(min_length=1, max_length=64)


class DiscountLine(BaseModel):
    source: Literal["promotion", "coupon"]
    code: str
    kind: str
    amount: Decimal  # money off (0 for a gift)
    shipping_off: Decimal = Decimal("0")
    gift_sku: str | None = None
    units: int | None = None  # flash-sale units at the promotional price
    text_zh: str
    text_en: str


class RejectedCoupon(BaseModel):
    code: str
    reason: str
    detail: str
    detail_zh: str


class LineQuote(BaseModel):
    sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal  # list price x quantity
    discount: Decimal
    payable: Decimal


class Quote(BaseModel):
    lines: list[LineQuote]
    discounts: list[DiscountLine]
    rejected_coupons: list[RejectedCoupon]
    subtotal: Decimal
    discount_total: Decimal
    shipping_fee: Decimal
    shipping_off: Decimal
    payable: Decimal
    gifts: list[str]
