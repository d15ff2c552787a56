"""Typed answers of the tag API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class TagRead(BaseModel):
    id: str
    zh: str
    en: str
    family: str
    type: str
    definition: str
    refresh: str
    values: list[str] = Field(default_factory=list)
    coverage: float | None = Field(None, description="share of customers with a value")


class TagValue(BaseModel):
    id: str
    zh: str
    en: str
    value: Any = None


class CustomerTags(BaseModel):
    customer_id: str
    families: dict[str, list[TagValue]]
