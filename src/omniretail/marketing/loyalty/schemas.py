"""Pydantic shapes of the points ledger and tiers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from omniretail.platform.bounds import PastInstant, UtcDatetime

MAX_POINTS = 100_000_000  # one movement of points; a balance of 10^8 points is ¥1M of spend


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    points: int
    source: str | None
    ref: str | None
    amount: Decimal | None
    occurred_at: UtcDatetime
    expires_at: UtcDatetime | None
    recorded_at: UtcDatetime
    note: str | None


class PointsResult(BaseModel):
    customer_id: str
    entry_id: int
    kind: str
    points: int
    balance: int
    replayed: bool = False  # the stored answer to a retried request
    shortfall: int = 0  # points a reversal could not take back (already spent)
    tier_code: str | None = None


class EarnIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=32)
    source: str = Field(min_length=1, max_length=32, description="channel code, e.g. pos")
    order_id: str = Field(min_length=1, max_length=64)
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    occurred_at: PastInstant


class RedeemIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=32)
    points: int = Field(gt=0, le=MAX_POINTS)
    ref: str = Field(min_length=1, max_length=96, description="redemption id (idempotency key)")


class AdjustIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=32)
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="not 0")
    ref: str = Field(min_length=1, max_length=96)
    note: str = Field(min_length=1, max_length=256)


class ReverseIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=32)
    source: str = Field(min_length=1, max_length=32)
    order_id: str = Field(min_length=1, max_length=64)
    return_id: str = Field(min_length=1, max_length=64)
    returned_amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)


class TierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=64)
    name_en: str | None = Field(default=None, max_length=64)
    rank: int = Field(ge=0, le=100)
    min_points: int = Field(default=0, ge=0, le=MAX_POINTS)
    min_spend: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    window_days: int = Field(default=365, gt=0, le=3660, description="at most ten years")
    earn_multiplier: Decimal = Field(
        default=Decimal("1"), gt=0, le=100, max_digits=6, decimal_places=2
    )
    birthday_multiplier: Decimal = Field(
        default=Decimal("2"), ge=1, le=100, max_digits=6, decimal_places=2
    )
    birthday_coupon_template: str | None = Field(default=None, max_length=64)
    benefits: list[Any] = []


class TierRead(TierCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    id: int


class AccountRead(BaseModel):
    customer_id: str
    tier_code: str | None
    tier_since: UtcDatetime | None
    balance: int
    verified: bool
    buckets: list[dict[str, Any]]
