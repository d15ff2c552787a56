"""What the privacy API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SubjectIdentifiers(BaseModel):
    record_keys: list[str]
    phones: list[str]  # national significant numbers
    other: list[str]


class PrivacyExport(BaseModel):
    """Everything held about a person (PIPL art. 45, GDPR art. 15), by place."""

    format: str = "omniretail.privacy.export/1"
    customer_id: str
    customer_ids: list[str]  # the customer and those merged into them
    generated_at: datetime
    identifiers: SubjectIdentifiers
    operational_store: dict[str, list[dict[str, Any]]]  # table -> rows
    files: dict[str, dict[str, list[dict[str, Any]]]]  # place -> file -> rows
    analytics: dict[str, Any]  # file -> rows (or table -> rows for a database)


class ErasureRequest(BaseModel):
    confirm: str = Field(
        min_length=1, max_length=32, description="The customer id again, to confirm the erasure."
    )
    reason: str | None = Field(default=None, max_length=200)


class ErasureReport(BaseModel):
    request_id: str
    customer_id: str
    customer_ids: list[str]
    records: int
    operational: dict[str, int]
    analytics: dict[str, int]
    suppressed_identifiers: int


class PrivacyRequestRead(BaseModel):
    at: datetime
    actor: str
    action: str  # privacy.export | privacy.erase
    customer_id: str
    reason: str | None
