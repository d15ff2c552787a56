"""Replenishment suggestions and their approval (operational store)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin


class ReplenishmentSuggestion(TimestampMixin, Base):
    """One store × SKU order suggestion for one review day; decided once (approve/reject)."""

    __tablename__ = "fc_replenishment_suggestion"
    __table_args__ = (UniqueConstraint("store_code", "sku", "review_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_code: Mapped[str] = mapped_column(String(64), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    review_date: Mapped[date] = mapped_column(Date)
    forecast_cover: Mapped[float] = mapped_column(Float)  # mean demand over lead time + review
    order_up_to: Mapped[int] = mapped_column(Integer)
    safety_stock: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer)
    on_order: Mapped[int] = mapped_column(Integer)
    pack_size: Mapped[int] = mapped_column(Integer)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    review_days: Mapped[int] = mapped_column(Integer)
    service_level: Mapped[float] = mapped_column(Float)
    suggested_qty: Mapped[int] = mapped_column(Integer)
    approved_qty: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # approved, rejected
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
