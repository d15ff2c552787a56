"""Typed answers of the ingest API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class EventAck(BaseModel):
    """The answer to a Segment-compatible call (``/v1/*``): what was kept of the events."""

    success: bool
    received: int
    accepted: int
    duplicates: int = Field(description="already received (same messageId): not stored again")
    quarantined: int = Field(description="refused, with their reason, in the quarantine")


class SourceStats(BaseModel):
    source: str
    received: int
    accepted: int
    duplicates: int
    quarantined: int
    pending: int = Field(description="accepted events not yet drained into a landing batch")
    updated_at: str | None = None


class BatchRead(BaseModel):
    batch_id: str
    source: str
    file: str
    rows: int
    sha256: str | None = None
    status: str
    loaded_at: datetime | None = None
