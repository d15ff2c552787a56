"""The outbox: one row per message to send, and the receipts that come back.

Every message carries its **origin** (who sent it: ``origin_kind`` campaign, journey,
fulfilment, ticket, clerk, groupbuy, community or system, and ``origin_ref``, e.g. the
campaign run ``SPRING:1`` or ``order:42``) and its **purpose** (marketing or transactional),
which decides the rules it is sent under. ``campaign_id`` stays as an optional link for
campaign messages (no foreign key: the platform does not depend on marketing's tables).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow

MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "suppressed")


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_origin", "origin_kind", "origin_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # normalised idempotency key
    origin_kind: Mapped[str] = mapped_column(String(16), default="system")
    origin_ref: Mapped[str] = mapped_column(String(128), default="")
    purpose: Mapped[str] = mapped_column(String(16), default="marketing")
    template: Mapped[str | None] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(256))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=50)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    external_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)  # the failure, or why it was suppressed


class MessageEvent(Base):
    """A receipt: delivered, opened, clicked, bounced — recorded once per kind."""

    __tablename__ = "message_event"
    __table_args__ = (UniqueConstraint("message_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
