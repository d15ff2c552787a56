"""Operational-store tables of data quality: per-source quality stats (the quarantine itself
is ingest's: ``cdp.ingest.models.QuarantineRecord``, written by the events API and by
standardize)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


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
