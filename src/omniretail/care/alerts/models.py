"""Negative mentions (the count cube's facts) and crisis tickets opened by spike alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class Mention(Base):
    """One negative mention: a review sentence, ticket, community message or social post about
    a topic (an aspect code or an emergent keyword), in a channel, at a store/city, at an hour."""

    __tablename__ = "care_mention"
    __table_args__ = (
        UniqueConstraint("source", "source_ref", "topic", name="uq_care_mention_source"),
        Index("ix_care_mention_hour", "hour"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # review | ticket | community | social
    source_ref: Mapped[str] = mapped_column(String(96))
    topic: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    store_code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32))
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # truncated to the hour, UTC
    text_excerpt: Mapped[str | None] = mapped_column(Text)  # personal data: shown by role
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CrisisTicket(Base):
    """A crisis (舆情) ticket opened by an alert: the key that spiked, the evidence, the playbook
    (预案) with its owner team, and the SLA to first response."""

    __tablename__ = "care_crisis_ticket"
    __table_args__ = (UniqueConstraint("key", "opened_hour", name="uq_care_crisis_key_hour"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160))  # scope|unit|topic|channel
    scope: Mapped[str] = mapped_column(String(16))  # store | city | national
    unit: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    opened_hour: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    count: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    window_h: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    playbook: Mapped[str] = mapped_column(String(32))
    owner_team: Mapped[str] = mapped_column(String(32))
    sla_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | closed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
