"""Service desk: conversations (one per customer and channel session), their messages, and
tickets with SLA clocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class Conversation(Base):
    """A channel session. WeCom 微信客服 states: unhandled → bot → queued → agent → closed; a
    customer may only be answered within 48 hours of their last message (``window_until``)."""

    __tablename__ = "desk_conversation"
    __table_args__ = (Index("ix_desk_conversation_state", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(
        String(16)
    )  # wecom | miniprogram | app | email | phone | review
    external_id: Mapped[str] = mapped_column(String(128))  # open_kfid+external_userid, address, …
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), default="unhandled")
    agent: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_customer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    window_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeskMessage(Base):
    __tablename__ = "desk_message"
    __table_args__ = (UniqueConstraint("channel_msg_id", name="uq_desk_message_channel_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("desk_conversation.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | bot | out | note
    author: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    channel_msg_id: Mapped[str | None] = mapped_column(String(128))  # replays are ignored
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ticket(Base):
    __tablename__ = "desk_ticket"
    __table_args__ = (Index("ix_desk_ticket_status", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_conversation.id"), index=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    tier: Mapped[str] = mapped_column(String(16), default="regular")
    subject: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), default="general")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(
        String(16), default="open"
    )  # open | pending | solved | closed
    pause_reason: Mapped[str | None] = mapped_column(String(16))  # customer | third_party
    team: Mapped[str] = mapped_column(String(32), default="service")
    owner: Mapped[str | None] = mapped_column(String(64))
    store_code: Mapped[str | None] = mapped_column(String(32))
    order_ref: Mapped[str | None] = mapped_column(String(64))
    return_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_response_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_response_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_business_s: Mapped[float] = mapped_column(Float, default=0.0)
    warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replies_sent: Mapped[int] = mapped_column(Integer, default=0)
    csat: Mapped[int | None] = mapped_column(Integer)  # 1–5
    csat_comment: Mapped[str | None] = mapped_column(Text)
