"""Operational-store tables of data quality: the quarantine and per-source quality stats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow

QUARANTINE_STATUSES = ("open", "fixed", "reprocessed")


class QuarantineRecord(Base):
    """A rejected record: where it came from, why, and the raw row (editable, then reprocessed).

    ``(source, batch_id, row)`` is unique, so re-running the standardize step never
    double counts a rejected row.
    """

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("source", "batch_id", "row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    batch_id: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(String(512))
    row: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(128), index=True)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class QualityStats(Base):
    """The latest standardize run's counts for one source (``omniretail quality report``)."""

    __tablename__ = "quality_stats"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    fixed: Mapped[int] = mapped_column(Integer, default=0)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    quarantined_by_reason: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    fixes_by_rule: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    classified: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
