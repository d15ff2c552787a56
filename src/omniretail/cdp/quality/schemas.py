"""Pydantic models of the quality API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class QuarantineRead(BaseModel):
    id: int
    source: str
    batch_id: str
    file: str
    row: int
    reason: str
    status: str
    note: str | None = None
    raw: dict[str, Any]


class QuarantineFix(BaseModel):
    """Either the whole fixed raw row (``raw``) or some values to change (``set``)."""

    model_config = ConfigDict(populate_by_name=True)
    raw: dict[str, Any] | None = None
    set_values: dict[str, Any] | None = Field(default=None, alias="set")
    note: str | None = None


class SourceQuality(BaseModel):
    """One source's latest standardize run (or, before one ran, only what landed)."""

    source: str
    rows_landed: int
    status: str | None = Field(None, description="'not standardized yet' before the first run")
    rows_read: int | None = None
    accepted: int | None = None
    fixed: int | None = None
    filled: int | None = None
    duplicates: int | None = None
    quarantined: int | None = None
    quarantine_open: int | None = None
    quarantined_by_reason: dict[str, int] | None = None
    fixes_by_rule: dict[str, int] | None = None
    classified: dict[str, Any] | None = None
    computed_at: str | None = None
