"""Regions, cities, stores and the staff (clerks) who work in them."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omniretail.platform.db import Base, TimestampMixin


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
    store_type: Mapped[str] = mapped_column(
        String(32)
    )  # street, mall, transport_hub, community, flagship
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    opening_hours: Mapped[dict[str, str] | None] = mapped_column(
        JSON
    )  # {"mon": "09:00-22:00", ...}
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    opened_on: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[City] = relationship()


class Staff(TimestampMixin, Base):
    """A clerk or manager; clerks do 1:1 guidance through WeCom."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32), default="clerk")  # clerk, manager
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), index=True)
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    store: Mapped[Store | None] = relationship()
