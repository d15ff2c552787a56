"""Member tiers (会员等级), loyalty accounts and the points ledger (积分流水).

The balance is the sum of the entries. Every positive entry is a *bucket* that expires on its
own date; every negative entry (redeem, expire, negative adjust, reversal of an earn) is
allocated to buckets first-in-first-out, recorded in ``points_allocation``. So at any time:
``sum(entries) == sum(bucket remaining) == account.balance >= 0``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin, utcnow


class LoyaltyTier(Base):
    """A tier with its entry threshold over a rolling window and its benefits."""

    __tablename__ = "loyalty_tier"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. silver, gold
    name: Mapped[str] = mapped_column(String(64))  # 银卡会员
    name_en: Mapped[str | None] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer, unique=True)  # 0 = entry tier
    min_points: Mapped[int] = mapped_column(Integer, default=0)  # earned in the window
    min_spend: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # or spent in the window
    window_days: Mapped[int] = mapped_column(Integer, default=365)
    earn_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    birthday_multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("2"))
    birthday_coupon_template: Mapped[str | None] = mapped_column(String(64))
    benefits: Mapped[list[Any]] = mapped_column(JSON, default=list)  # texts shown to members


class LoyaltyAccount(TimestampMixin, Base):
    """One member's account. ``balance`` is a cache, verified against the entries."""

    __tablename__ = "loyalty_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), unique=True)
    tier_code: Mapped[str | None] = mapped_column(String(16))
    tier_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    balance: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every write (the lock)


class PointsEntry(Base):
    """One movement of points. ``idempotency_key`` makes each business event count once:
    ``earn:<source>:<order_id>``, ``redeem:<ref>``, ``reverse:<source>:<order_id>:<return_id>``,
    ``adjust:<ref>``, ``expire:<bucket id>``, each part normalised by ``platform.keys``."""

    __tablename__ = "points_entry"
    __table_args__ = (
        Index("ix_points_entry_account_kind", "account_id", "kind"),
        Index("ix_points_entry_bucket_expiry", "expires_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # earn, redeem, expire, adjust, reverse
    points: Mapped[int] = mapped_column(Integer)  # signed
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str | None] = mapped_column(String(32))  # channel code, "manual", ...
    ref: Mapped[str | None] = mapped_column(String(96))  # order id, redemption id, return id
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # order amount behind it
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the business time
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # buckets only
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    related_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entry.id"))
    note: Mapped[str | None] = mapped_column(String(256))


class PointsAllocation(Base):
    """Which buckets a negative entry consumed, and how much of each (FIFO by expiry)."""

    __tablename__ = "points_allocation"
    debit_entry_id: Mapped[int] = mapped_column(ForeignKey("points_entry.id"), primary_key=True)
    bucket_entry_id: Mapped[int] = mapped_column(
        ForeignKey("points_entry.id"), primary_key=True, index=True
    )
    points: Mapped[int] = mapped_column(Integer)  # > 0


class PointsRules(Base):
    """The chain's points rules (积分规则), one row: points per yuan (per channel, else the
    base rate; the tier and birthday multipliers apply on top), how long points live, and the
    most points one order may earn. No row = the defaults (1 point per yuan, 365 days, no cap)."""

    __tablename__ = "loyalty_points_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    base_rate: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("1"))
    channel_rates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # source → rate
    expiry_days: Mapped[int] = mapped_column(Integer, default=365)
    max_points_per_order: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
