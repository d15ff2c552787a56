"""Pydantic shapes of coupon templates, coupons and redemption results."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from omniretail.marketing.coupon.basket import Basket
from omniretail.platform.bounds import Instant

MAX_COUNT = 1_000_000_000  # coupons of one template

Kind = Literal["percent_off", "amount_off", "spend_save", "free_gift", "free_shipping", "exchange"]


class ScopeList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[str] = []
    skus: list[str] = []
    stores: list[str] = []
    regions: list[str] = []
    channels: list[str] = []


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include: ScopeList = ScopeList()
    exclude: ScopeList = ScopeList()


class TemplateCreate(BaseModel):
    """A coupon template. ``rules`` by kind: percent_off {percent, max_discount?}; amount_off
    {amount}; spend_save {tiers: [{spend, save}], repeat?, max_discount?}; free_gift {gift_sku,
    gift_value}; free_shipping {max_discount?}; exchange {sku}."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=128)
    name_en: str | None = Field(default=None, max_length=128)
    kind: Kind
    rules: dict[str, Any] = {}
    scope: Scope = Scope()
    min_spend: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    valid_days: int | None = Field(default=None, gt=0, le=3650)
    total_limit: int | None = Field(default=None, gt=0, le=MAX_COUNT)
    per_customer_limit: int | None = Field(default=None, gt=0, le=10_000)
    redeem_limit: int | None = Field(default=None, gt=0, le=MAX_COUNT)
    exclusive: bool = False
    stack_group: str | None = None
    stack_with_promotions: bool = True
    restore_on_return: bool = True
    face_value: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    budget: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    claimable: bool = False

    @model_validator(mode="after")
    def _dates(self) -> TemplateCreate:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    name_en: str | None
    kind: str
    rules: dict[str, Any]
    scope: dict[str, Any]
    min_spend: Decimal
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days: int | None
    total_limit: int | None
    per_customer_limit: int | None
    redeem_limit: int | None
    issued_count: int
    redeemed_count: int
    exclusive: bool
    stack_group: str | None
    stack_with_promotions: bool
    face_value: Decimal
    budget: Decimal | None
    claimable: bool
    status: str


class CouponRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    template_id: int
    customer_id: str
    status: str
    source: str
    campaign_id: str | None
    issued_at: datetime
    valid_from: datetime | None
    valid_until: datetime | None
    redeemed_at: datetime | None
    order_id: str | None


class IssueIn(BaseModel):
    template_code: str
    customer_id: str = Field(min_length=1, max_length=32)


class IssueBatchIn(BaseModel):
    campaign_id: str = Field(min_length=1, max_length=64)
    template_code: str
    customer_ids: list[str] = Field(min_length=1, max_length=100_000)


class BatchResult(BaseModel):
    campaign_id: str
    issued: int  # new coupons in this call
    already_issued: int  # customers who had this campaign's coupon (idempotent retry)
    refused: int  # over the total/per-customer limit or the budget
    refused_reason: str | None = None


class ValidateIn(BaseModel):
    code: str
    basket: Basket


class Validation(BaseModel):
    code: str
    valid: bool
    reason: str | None = None
    detail: str | None = None
    detail_zh: str | None = None
    discount: Decimal = Decimal("0")
    shipping_off: Decimal = Decimal("0")
    gift_sku: str | None = None
    explanation_zh: str | None = None
    explanation_en: str | None = None


class RedeemIn(BaseModel):
    code: str
    order_id: str = Field(min_length=1, max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=96)  # defaults to order_id
    basket: Basket


class ReverseIn(BaseModel):
    code: str
    return_id: str = Field(min_length=1, max_length=96)


class RedemptionResult(BaseModel):
    code: str
    order_id: str | None
    kind: str
    discount: Decimal
    shipping_off: Decimal = Decimal("0")
    gift_sku: str | None = None
    coupon_status: str
    line_discounts: dict[int, Decimal] = {}  # basket line index -> part of the discount
    replayed: bool = False  # True when this is the stored answer to a retried request


class Liability(BaseModel):
    """What a template's coupons commit the chain to (money as decimal strings)."""

    template_code: str
    issued: int
    redeemed: int
    outstanding: int
    face_value: str
    outstanding_value: str
    budget: str | None = None
    budget_left: str | None = None
