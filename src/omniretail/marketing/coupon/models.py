"""Coupon templates (券模板), coupon instances (券) and the redemption ledger (核销流水)."""

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

MONEY = Numeric(12, 2)


class CouponTemplate(TimestampMixin, Base):
    """What a coupon is worth, where it applies, how long it lives and how many may exist.

    ``kind``: percent_off, amount_off, spend_save (满减, tiered), free_gift, free_shipping,
    exchange (兑换券). ``rules`` holds the kind's parameters (see ``schemas.CouponRules``),
    ``scope`` the include/exclude lists of categories, SKUs, stores, regions and channels.
    Counters (``issued_count``, ``redeemed_count``) are only moved by conditional updates and
    are verified against the coupon rows and the redemption ledger in tests.
    """

    __tablename__ = "coupon_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    min_spend: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_days: Mapped[int | None] = mapped_column(Integer)  # N days after issue
    total_limit: Mapped[int | None] = mapped_column(Integer)  # coupons that may be issued
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)  # per customer, issued
    redeem_limit: Mapped[int | None] = mapped_column(Integer)  # redemptions in total
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    redeemed_count: Mapped[int] = mapped_column(Integer, default=0)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)  # no other coupon with it
    stack_group: Mapped[str | None] = mapped_column(String(32))  # one coupon per group
    stack_with_promotions: Mapped[bool] = mapped_column(Boolean, default=True)
    restore_on_return: Mapped[bool] = mapped_column(Boolean, default=True)
    face_value: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))  # liability/coupon
    budget: Mapped[Decimal | None] = mapped_column(MONEY)  # cap on issued liability
    claimable: Mapped[bool] = mapped_column(Boolean, default=False)  # shown in coupon center
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, paused, ended


class Coupon(Base):
    """One coupon held by one customer, with an unguessable code."""

    __tablename__ = "coupon"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        Index("ix_coupon_customer_status", "customer_id", "status"),
        Index("ix_coupon_status_valid_until", "status", "valid_until"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_template.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="issued")
    # issued, redeemed, expired, void
    source: Mapped[str] = mapped_column(String(16), default="push")  # push, claim, campaign
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)


class CouponRedemption(Base):
    """Ledger of redemptions (+) and reversals (-); never updated, only appended.

    ``idempotency_key`` is the order id (redeem) or the return id (reverse): a retried request
    finds its row and gets the stored ``result`` back instead of being applied again.
    """

    __tablename__ = "coupon_redemption"
    __table_args__ = (UniqueConstraint("coupon_id", "kind", "idempotency_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupon.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_template.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # redeem, reverse
    idempotency_key: Mapped[str] = mapped_column(String(96))
    order_id: Mapped[str | None] = mapped_column(String(64))
    store_code: Mapped[str | None] = mapped_column(String(32))
    channel_code: Mapped[str | None] = mapped_column(String(32))
    discount: Mapped[Decimal] = mapped_column(MONEY)  # negative on a reversal
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CouponClaimCount(Base):
    """How many coupons of a template a customer holds (issued or claimed), for per-customer limits.

    Moved only by ``UPDATE ... SET n = n + 1 WHERE n < limit`` so concurrent claims cannot pass
    the limit.
    """

    __tablename__ = "coupon_claim_count"
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_template.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
