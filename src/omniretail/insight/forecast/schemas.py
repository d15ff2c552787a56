"""Replenishment suggestion in/out shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class SuggestRequest(BaseModel):
    store_code: str = Field(min_length=1, max_length=64)
    review_date: date | None = None  # default: the first forecast day
    lead_time_days: int = Field(default=2, ge=0, le=90)
    review_days: int = Field(default=7, ge=1, le=90)
    service_level: float = Field(default=0.98, ge=0.5, lt=1.0)


class Decision(BaseModel):
    approve: bool
    quantity: int | None = Field(default=None, ge=0, le=1_000_000)
    note: str | None = Field(default=None, max_length=500)


class SuggestionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    store_code: str
    sku: str
    review_date: date
    forecast_cover: float
    order_up_to: int
    safety_stock: int
    on_hand: int
    on_order: int
    pack_size: int
    lead_time_days: int
    review_days: int
    service_level: float
    suggested_qty: int
    approved_qty: int | None
    status: str
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
