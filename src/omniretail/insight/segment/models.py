"""Saved segments (人群包) and their membership snapshots (operational store).

The members of each snapshot live in the analytics store (``segment_members``); the
operational store keeps the definition and the history of counts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin, utcnow


class Segment(TimestampMixin, Base):
    __tablename__ = "insight_segment"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    store_codes: Mapped[list[str] | None] = mapped_column(JSON)  # scope of a store manager
    created_by: Mapped[str | None] = mapped_column(String(64))
    refresh: Mapped[str] = mapped_column(String(16), default="daily")  # daily, manual
    last_count: Mapped[int | None] = mapped_column(Integer)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SegmentSnapshot(Base):
    __tablename__ = "insight_segment_snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(
        ForeignKey("insight_segment.id", ondelete="CASCADE"), index=True
    )
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    as_of: Mapped[date | None] = mapped_column(Date)
    member_count: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(16), default="duckdb")
