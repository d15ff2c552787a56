"""Category tree and products/SKUs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omniretail.platform.db import Base, TimestampMixin


class Category(Base):
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    replenish_days: Mapped[int | None] = mapped_column()  # typical repurchase cycle, if any
    parent: Mapped[Category | None] = relationship(remote_side=[id])


class Product(TimestampMixin, Base):
    __tablename__ = "product"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    brand: Mapped[str | None] = mapped_column(String(64))
    flavor: Mapped[str | None] = mapped_column(String(32))
    attributes: Mapped[dict[str, object] | None] = mapped_column(JSON)  # weight, pack, origin...
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    launch_date: Mapped[date | None] = mapped_column(Date)
    barcode: Mapped[str | None] = mapped_column(String(32), index=True)  # EAN-13 / GTIN
    pack_size: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1"
    )  # units per case (ordering and replenishment round to it)
    unit: Mapped[str | None] = mapped_column(String(16))  # 袋, 盒, 件 ...
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[Category | None] = relationship()
