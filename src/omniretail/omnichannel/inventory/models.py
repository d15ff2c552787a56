"""Stock tables: locations (stores and warehouses), items (SKUs), one level row per
(location, item), the movement ledger, reservations and per-channel allocation policies.

A level's ``on_hand`` and ``reserved`` always equal the sums of its movements' deltas: they are
changed only together with a movement, in one transaction, with the level rows locked in id
order (``inventory.service.verify`` recomputes them from the ledger).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin, utcnow

# a BIGINT primary key on PostgreSQL, an INTEGER (rowid alias) on SQLite
BigId = BigInteger().with_variant(Integer(), "sqlite")


class StockLocation(TimestampMixin, Base):
    """Where stock is kept: a store (``store_code`` names it in the store master) or a warehouse."""

    __tablename__ = "inv_location"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="store")  # LocationKind
    store_code: Mapped[str | None] = mapped_column(String(32), index=True)
    region: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    franchise: Mapped[bool] = mapped_column(Boolean, default=False)
    online: Mapped[bool] = mapped_column(Boolean, default=True)  # may serve online orders
    pickup: Mapped[bool] = mapped_column(Boolean, default=True)  # offers 门店自提
    priority: Mapped[int] = mapped_column(Integer, default=100)  # lower = allocated first
    delivery_radius_km: Mapped[float] = mapped_column(Float, default=10.0)
    promise_minutes: Mapped[int] = mapped_column(Integer, default=30)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class StockItem(Base):
    """A SKU that stock is kept of (its name and price live in the product master)."""

    __tablename__ = "inv_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)  # default for new levels


class StockLevel(Base):
    __tablename__ = "inv_level"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("inv_location.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inv_item.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StockMovement(Base):
    """One entry of the ledger: what changed on hand and reserved, why, and for what."""

    __tablename__ = "inv_movement"
    __table_args__ = (Index("ix_inv_movement_level_at", "level_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("inv_level.id"))
    # receipt sale return transfer_in transfer_out count adjust reserve release expire commit
    # restock
    kind: Mapped[str] = mapped_column(String(16))
    d_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    d_reserved: Mapped[int] = mapped_column(Integer, default=0)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("inv_reservation.id"))
    key: Mapped[str | None] = mapped_column(String(160), unique=True)  # idempotency key
    ref: Mapped[str | None] = mapped_column(String(64), index=True)  # order:42, rma:7, erp:…
    note: Mapped[str | None] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Reservation(Base):
    """Units held for an order, a checkout or a group buy at one level, until committed
    (sold), released, expired or — after commit — cancelled (restocked once)."""

    __tablename__ = "inv_reservation"
    __table_args__ = (
        UniqueConstraint("group_key", "line_no"),
        Index("ix_inv_reservation_due", "status", "expires_at"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(128))
    line_no: Mapped[int] = mapped_column(Integer, default=0)
    level_id: Mapped[int] = mapped_column(ForeignKey("inv_level.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="order")  # checkout pickup groupbuy order
    status: Mapped[str] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChannelPolicy(Base):
    """How a sales channel allocates: strategy, whether franchise stores may serve it, radius."""

    __tablename__ = "inv_channel_policy"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_code: Mapped[str] = mapped_column(String(32), unique=True)
    strategy: Mapped[str] = mapped_column(String(16), default="priority")
    online: Mapped[bool] = mapped_column(Boolean, default=True)
    exclude_franchise: Mapped[bool] = mapped_column(Boolean, default=True)
    radius_km: Mapped[float | None] = mapped_column(Float)
    location_codes: Mapped[list[str] | None] = mapped_column(JSON)  # None = every location
