"""Clerk–customer relationships (导购绑定), their history, transfers, the chain's binding policy,
clerk tasks and visits.

``guide_customer`` holds one row per bound customer (its current relationship): the row every
claim locks, so two concurrent claims for one customer are serialised and a customer is never
bound to two clerks. ``guide_binding`` keeps every relationship period (bound_at → ended_at) —
attribution reads it to credit an order to the clerk bound at order time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
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

BINDING_MODES = ("first_touch", "registration_only", "latest_touch")
SOURCES = ("contact_me", "store_qr", "share_link", "purchase", "transfer", "import")
TASK_KINDS = (
    "birthday",
    "repurchase_due",
    "coupon_expiring",
    "new_product_fans",
    "dormant_high_value",
)
TASK_STATUSES = ("open", "sent", "done", "refused")


class GuidePolicy(Base):
    """The chain's binding rules (one row, id 1; defaults apply until it is saved)."""

    __tablename__ = "guide_policy"
    id: Mapped[int] = mapped_column(primary_key=True)
    binding_mode: Mapped[str] = mapped_column(String(24), default="first_touch")
    protection_days: Mapped[int] = mapped_column(Integer, default=30)
    validity_days: Mapped[int] = mapped_column(Integer, default=365)
    click_extend_days: Mapped[int] = mapped_column(Integer, default=7)
    order_extend_days: Mapped[int] = mapped_column(Integer, default=30)
    max_transfers: Mapped[int] = mapped_column(Integer, default=2)
    transfer_window_days: Mapped[int] = mapped_column(Integer, default=90)
    takeover_hours: Mapped[int] = mapped_column(Integer, default=24)
    holdout_pct: Mapped[int] = mapped_column(Integer, default=10)
    daily_task_cap: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GuideBinding(Base):
    """One period of a customer's relationship with one clerk."""

    __tablename__ = "guide_binding"
    __table_args__ = (Index("ix_guide_binding_staff_active", "staff_code", "ended_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    staff_code: Mapped[str] = mapped_column(String(32))
    store_code: Mapped[str | None] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(16))  # SOURCES
    source_ref: Mapped[str | None] = mapped_column(String(128))  # WeCom state, QR, link, order
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    protected_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(16))  # transfer | override | expired
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)


class GuideCustomer(Base):
    """A bound customer's current relationship: the row a claim or transfer locks."""

    __tablename__ = "guide_customer"
    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("guide_binding.id"))
    staff_code: Mapped[str | None] = mapped_column(String(32), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GuideTransfer(Base):
    """A reassignment (分配) or a leaving clerk's handover (离职继承): WeCom completes it after
    ``takeover_at`` (24 h) unless the customer refuses."""

    __tablename__ = "guide_transfer"
    __table_args__ = (Index("ix_guide_transfer_due", "status", "takeover_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    from_staff: Mapped[str] = mapped_column(String(32))
    to_staff: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))  # reassign | clerk_left
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|refused
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    takeover_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str | None] = mapped_column(String(64))


class GuideTask(Base):
    """One line of a clerk's worklist: whom to contact, why, with which message and coupon."""

    __tablename__ = "guide_task"
    __table_args__ = (
        UniqueConstraint("day", "customer_id", "kind", name="uq_guide_task_day_customer_kind"),
        Index("ix_guide_task_staff_day", "staff_code", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    staff_code: Mapped[str] = mapped_column(String(32))
    store_code: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))  # TASK_KINDS
    priority: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text)
    coupon_template: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # TASK_STATUSES
    channel: Mapped[str | None] = mapped_column(String(16))  # wecom | copy
    message_id: Mapped[int | None] = mapped_column(Integer)
    coupon_code: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GuideVisit(Base):
    """A visit or conversation a clerk records (到店/回访)."""

    __tablename__ = "guide_visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_code: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # store_visit | call | wecom_chat
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GuideMessage(Base):
    """One message of a clerk's 1:1 conversation with an external contact, from the WeCom
    conversation archive (会话存档): ``out`` from the clerk, ``in`` from the contact. The
    archive's ``msgid`` makes a re-import add nothing."""

    __tablename__ = "guide_message"
    __table_args__ = (
        UniqueConstraint("msgid", name="uq_guide_message_msgid"),
        Index("ix_guide_message_staff_at", "staff_code", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    msgid: Mapped[str] = mapped_column(String(128))
    staff_code: Mapped[str] = mapped_column(String(32))
    contact: Mapped[str] = mapped_column(String(64))  # the external contact's WeCom id
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    msgtype: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuideMessageReject(Base):
    """A conversation-archive row that could not be read (quarantined with its reason)."""

    __tablename__ = "guide_message_reject"
    __table_args__ = (UniqueConstraint("source", "line_no", name="uq_guide_message_reject_line"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(128))  # the file (or batch) name
    line_no: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32), index=True)
    raw: Mapped[str] = mapped_column(Text)  # the line as read (first 2,000 characters)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
