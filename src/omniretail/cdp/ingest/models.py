"""Operational-store tables of ingest: landing batches, the durable event inbox and the
quarantine of rejected records (events refused at intake, rows refused by standardize)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class LandingBatch(Base):
    """One file (or one drained slice of the event inbox) landed as raw Parquet.

    ``(source, sha256)`` is unique: the same file imported twice is recognised and not
    landed again. ``mapping`` keeps the YAML text the batch was imported with, so the
    standardize step can always reinterpret the raw rows.
    """

    __tablename__ = "landing_batches"
    __table_args__ = (UniqueConstraint("source", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    file: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="landed")  # landed, failed
    path: Mapped[str] = mapped_column(String(1024))
    mapping: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventInbox(Base):
    """Every acknowledged tracking event, committed before the HTTP 200.

    ``(source, message_id)`` is unique, which makes the events API idempotent on Segment's
    ``messageId``. ``drained_batch`` is set once the event is in a landing batch.
    """

    __tablename__ = "event_inbox"
    __table_args__ = (UniqueConstraint("source", "message_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    payload: Mapped[str] = mapped_column(Text)  # the event exactly as sent (JSON text)
    drained_batch: Mapped[str | None] = mapped_column(String(64), index=True)


class EventSourceStats(Base):
    """Running counters per event source (the write key's name)."""

    __tablename__ = "event_source_stats"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    quarantined: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


QUARANTINE_STATUSES = ("open", "fixed", "reprocessed", "discarded")


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
