"""Regions, cities and stores (门店, warehouses, pickup points): the chain's locations."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omniretail.platform.db import Base, TimestampMixin

# What a location is to the chain (the "type"): a store the chain runs itself, a
# franchisee's store, a warehouse (stock, no customers) or a pickup point (collection only).
STORE_KINDS = ("direct", "franchise", "warehouse", "pickup_point")


class Region(Base):
    """A sales region (e.g. 华中, 华东) grouping provinces."""

    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class City(Base):
    __tablename__ = "city"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # GB/T 2260 code where known
    name: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(64), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    tier: Mapped[int | None] = mapped_column(Integer)  # 1 = first-tier city ...
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    region: Mapped[Region | None] = relationship()


class Store(TimestampMixin, Base):
    __tablename__ = "store"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(
        String(16), default="direct", server_default="direct", index=True
    )  # STORE_KINDS
    store_type: Mapped[str] = mapped_column(
        String(32)
    )  # the format: street, mall, transport_hub, community, flagship
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id"), index=True)
    district: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    opening_hours: Mapped[dict[str, str] | None] = mapped_column(
        JSON
    )  # {"mon": "09:00-22:00", ...}
    area_m2: Mapped[float | None] = mapped_column(Float)  # sales floor area
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    opened_on: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[City | None] = relationship()
