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
