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
