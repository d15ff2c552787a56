"""Promotions, flash-sale stock allocations and team-buying groups (拼团)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin, utcnow


class Promotion(TimestampMixin, Base):
    """An automatic promotion. ``kind`` and its ``rules``:

    - flash_sale (限时抢购): {sku, price, per_customer_qty?}; ``stock_cap`` units at that price;
    - bundle (捆绑): {items: [{sku, qty}], price};
    - team_buy (拼团): {sku, price, group_size, time_limit_minutes};
    - holiday (节日主题): {theme, percent? | tiers: [{spend, save}]} over ``scope`` products.
    """

    __tablename__ = "promotion"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    stock_cap: Mapped[int | None] = mapped_column(Integer)
    stock_sold: Mapped[int] = mapped_column(Integer, default=0)
    stack_with_coupons: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="active")


class FlashSaleAllocation(Base):
    """Units of a flash sale held by an order; ``released`` when the order is cancelled."""

    __tablename__ = "flash_sale_allocation"
    __table_args__ = (
        UniqueConstraint("promotion_id", "order_id"),
        Index("ix_flash_sale_allocation_customer", "promotion_id", "customer_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotion.id"))
    order_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="allocated")  # allocated, released
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamBuyGroup(Base):
    """A team (团) opened by a leader; succeeds when ``group_size`` members joined in time,
    otherwise fails and every member is refunded."""

    __tablename__ = "team_buy_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotion.id"), index=True)
    leader_customer_id: Mapped[str] = mapped_column(String(32))
    group_size: Mapped[int] = mapped_column(Integer)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="forming")
    # forming, succeeded, failed
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TeamBuyMember(Base):
    __tablename__ = "team_buy_member"
    __table_args__ = (
        UniqueConstraint("group_id", "customer_id"),
        UniqueConstraint("group_id", "order_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("team_buy_group.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(8))  # leader, member
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(16), default="joined")
    # joined, confirmed (group succeeded), refund_due (group failed), refunded
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
