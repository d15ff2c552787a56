"""Unified customers (golden records) and the identities that resolve to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omniretail.platform.db import Base, TimestampMixin


class Customer(TimestampMixin, Base):
    """One person, as resolved from every channel. ``customer_id`` is stable across re-runs."""

    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. C000123456
    name: Mapped[str | None] = mapped_column(String(64))
    gender: Mapped[str | None] = mapped_column(String(8))
    birthday: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(128))
    province: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    home_store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), index=True)
    tier: Mapped[str | None] = mapped_column(String(16))
    first_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    golden: Mapped[dict[str, object] | None] = mapped_column(JSON)  # attribute -> {value, source}
    home_store_code: Mapped[str | None] = mapped_column(String(32), index=True)
    address: Mapped[str | None] = mapped_column(String(256))
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sources: Mapped[list[str] | None] = mapped_column(JSON)
    records: Mapped[int | None] = mapped_column(Integer)
    consent_sms: Mapped[bool | None] = mapped_column(Boolean)
    consent_email: Mapped[bool | None] = mapped_column(Boolean)
    consent_wechat: Mapped[bool | None] = mapped_column(Boolean)
    consent_app_push: Mapped[bool | None] = mapped_column(Boolean)
    # active | merged (into ``merged_into``) | gone (its records disappeared)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    merged_into: Mapped[str | None] = mapped_column(String(32))
    identities: Mapped[list[CustomerIdentity]] = relationship(back_populates="customer")


class CustomerIdentity(Base):
    """An identifier seen in a source (phone, member card, openid, unionid, buyer id...)."""

    __tablename__ = "customer_identity"
    __table_args__ = (
        UniqueConstraint("kind", "value", "source"),
        Index("ix_customer_identity_kind_value", "kind", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # phone, member_id, openid, unionid, email, ...
    value: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32))  # channel code of the source
    first_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer: Mapped[Customer] = relationship(back_populates="identities")
