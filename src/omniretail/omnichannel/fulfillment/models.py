"""Fulfilments (one per order and location), their lines and state changes, pickup codes and
their verification attempts, deliveries through a provider, and cross-channel returns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.omnichannel.inventory.models import BigId
from omniretail.platform.db import Base, utcnow


class Fulfilment(Base):
    __tablename__ = "ful_fulfilment"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_ful_fulfilment_store_state", "store_code", "state"),
        Index("ix_ful_fulfilment_state_hold", "state", "hold_until"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160))  # idempotency key (channel:order[:split])
    order_ref: Mapped[str] = mapped_column(String(64), index=True)  # channel:external id
    order_id: Mapped[int | None] = mapped_column(Integer)  # operational order id, if any
    channel: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # pickup | ship_from_store | same_city
    # pickup only: store (at the counter) | locker (smart locker) | curbside | appointment |
    # parcel_point (a third-party 快递代收点 holds it under its own collection code)
    pickup_kind: Mapped[str | None] = mapped_column(String(16))
    parcel_point: Mapped[str | None] = mapped_column(String(32))  # the point's store code
    point_code: Mapped[str | None] = mapped_column(String(32))  # the point's 取件码
    slot_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # appointment
    slot_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locker_box: Mapped[str | None] = mapped_column(String(16))  # the locker compartment
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # curbside
    parking_spot: Mapped[str | None] = mapped_column(String(32))
    store_code: Mapped[str | None] = mapped_column(String(32))  # the location fulfilling it
    region: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(24), default="placed")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ful_fulfilment.id"))  # reallocated
    address: Mapped[dict[str, object] | None] = mapped_column(JSON)  # delivery: lat, lng, text
    tender: Mapped[str | None] = mapped_column(String(16))  # wechat, alipay, card …
    allocation_zh: Mapped[str | None] = mapped_column(Text)
    allocation_en: Mapped[str | None] = mapped_column(Text)
    hold_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    allocated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    handover_by: Mapped[str | None] = mapped_column(String(64))
    handover_terminal: Mapped[str | None] = mapped_column(String(64))
    refund_fen: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)


class FulfilmentLine(Base):
    __tablename__ = "ful_line"
    __table_args__ = (UniqueConstraint("fulfilment_id", "line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("ful_fulfilment.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    line_ref: Mapped[str] = mapped_column(String(64))  # the order line it fulfils
    sku: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)  # units this location fulfils
    unit_price_fen: Mapped[int] = mapped_column(Integer, default=0)
    short_qty: Mapped[int] = mapped_column(Integer, default=0)  # found missing when picking
    refunded_qty: Mapped[int] = mapped_column(Integer, default=0)
    reservation_key: Mapped[str | None] = mapped_column(String(160))


class FulfilmentEvent(Base):
    """Every state change, in order: the fulfilment's own history and the customer's timeline."""

    __tablename__ = "ful_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("ful_fulfilment.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(512))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PickupCode(Base):
    """An 8-digit code, unique among a store's active pickups; used once; re-issue voids it."""

    __tablename__ = "ful_pickup_code"
    __table_args__ = (
        Index(
            "uq_ful_pickup_code_active",
            "store_code",
            "code",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("ful_fulfilment.id"), index=True)
    store_code: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VerifyAttempt(Base):
    __tablename__ = "ful_verify_attempt"
    __table_args__ = (Index("ix_ful_verify_attempt_terminal_at", "terminal", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    terminal: Mapped[str] = mapped_column(String(64))
    store_code: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VerifyTerminal(Base):
    """One row per terminal, locked while a code is verified (the rate limit's serialisation)."""

    __tablename__ = "ful_verify_terminal"
    terminal: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Delivery(Base):
    """A delivery order at a provider; ``status`` follows WeChat 即时配送's order_status codes."""

    __tablename__ = "ful_delivery"
    id: Mapped[int] = mapped_column(primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("ful_fulfilment.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    waybill_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[int] = mapped_column(Integer, default=101)
    rider_name: Mapped[str | None] = mapped_column(String(64))
    rider_phone: Mapped[str | None] = mapped_column(String(32))
    distance_km: Mapped[float | None] = mapped_column(Float)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    promised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReturnAuthorization(Base):
    """A return (RMA) in any store or channel, for an order bought in any channel."""

    __tablename__ = "ful_return"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    order_ref: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(32))  # where it is returned
    receiving_store: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    tender: Mapped[str | None] = mapped_column(String(16))  # refund goes to the original tender
    refund_fen: Mapped[int] = mapped_column(Integer, default=0)
    reversals: Mapped[dict[str, object] | None] = mapped_column(JSON)  # what the hooks reversed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReturnLine(Base):
    __tablename__ = "ful_return_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("ful_return.id"), index=True)
    line_ref: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    damaged: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(32))
    refund_fen: Mapped[int] = mapped_column(Integer, default=0)


class ReturnableLine(Base):
    """How much of an order line was sold and returned so far: ``returned <= sold`` is checked
    by the database and raised by one conditional update, so concurrent returns cannot exceed
    what was sold."""

    __tablename__ = "ful_returnable"
    __table_args__ = (
        UniqueConstraint("order_ref", "line_ref"),
        CheckConstraint("returned <= sold", name="not_more_than_sold"),
        CheckConstraint("returned >= 0", name="returned_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    line_ref: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))  # where it was bought
    customer_id: Mapped[str | None] = mapped_column(String(32))
    tender: Mapped[str | None] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(String(32))
    sold: Mapped[int] = mapped_column(Integer)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    unit_price_fen: Mapped[int] = mapped_column(Integer, default=0)


class ReturnablePart(Base):
    """One fulfilment's share of a returnable order line: an order line split over two
    locations is sold by two fulfilments, and ``ful_returnable.sold`` is their sum — each
    share counted once (``source`` = ``ful:<fulfilment id>``), however often it is recorded."""

    __tablename__ = "ful_returnable_part"
    __table_args__ = (UniqueConstraint("order_ref", "line_ref", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    line_ref: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
