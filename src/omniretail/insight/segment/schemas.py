"""Segment API schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SegmentPreview(BaseModel):
    rule: dict[str, Any]
    breakdown: bool = True


class SegmentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    rule: dict[str, Any]
    refresh: str = "daily"


class SegmentUpdate(BaseModel):
    """A change to a saved segment: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = None
    rule: dict[str, Any] | None = None
    refresh: str | None = None


class SegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str | None
    rule: dict[str, Any]
    store_codes: list[str] | None
    refresh: str
    last_count: int | None
    last_refreshed_at: datetime | None


class SnapshotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    taken_at: datetime
    as_of: date | None
    member_count: int
    engine: str


class BreakdownGroup(BaseModel):
    key: Any = Field(description="the store, region, channel or tier ('unknown' when missing)")
    count: int


class SegmentCount(BaseModel):
    """How many customers a rule matches on the published snapshot (and, asked for, by store,
    region, channel and tier)."""

    count: int
    conditions: Any = Field(description="the rule's conditions as compiled")
    as_of: str | None = None
    breakdown: dict[str, list[BreakdownGroup]] | None = None


class DormantMember(BaseModel):
    customer_id: str
    rfm_group: str | None = None
    sales_total: float | None = None
    orders_total: int | None = None
    days_since_last_order: int | None = None
    overdue_ratio: float | None = None
    top_category: str | None = None
    preferred_store: str | None = None
    home_store: str | None = None
    most_active_channel: str | None = None
    consent_sms: bool | None = None
    consent_wechat: bool | None = None
