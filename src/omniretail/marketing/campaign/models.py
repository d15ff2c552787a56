"""Campaigns, their members (treatment or holdout) and the variants they were assigned."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin

GOALS = (
    "acquisition",
    "activation",
    "repurchase",
    "reactivation",
    "new_product",
    "loyalty",
    "care",
)
TRIGGERS = (
    "welcome",
    "birthday",
    "post_purchase",
    "repurchase_due",
    "coupon_expiring",
    "dormant_reactivation",
    "new_product_launch",
)
STATUSES = ("draft", "scheduled", "running", "paused", "completed", "cancelled")
LAUNCHABLE = ("draft", "scheduled", "running")  # a launch (or a scheduled run) may start
EDITABLE = ("draft", "scheduled", "paused")  # and never launched: see service.update_campaign


class Campaign(TimestampMixin, Base):
    """A marketing campaign or a triggered journey (旅程)."""

    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    goal: Mapped[str] = mapped_column(String(32))
    theme: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="once")  # once, recurring, journey
    trigger: Mapped[str | None] = mapped_column(String(32))
    audience: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # {"segment_id"} | {"rule"} | {"likely_fans_of"}
    offer_template: Mapped[str | None] = mapped_column(String(64))  # coupon template code
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"title", "body", "link"}
    channels: Mapped[list[str]] = mapped_column(JSON)  # fallback order
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    holdout_share: Mapped[float] = mapped_column(Float, default=0.10)
    stratify_by: Mapped[str | None] = mapped_column(String(32), default="lifecycle_stage")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    priority: Mapped[int] = mapped_column(Integer, default=50)  # higher wins a collision
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"at": iso, "every_days": n}
    window_days: Mapped[int] = mapped_column(Integer, default=14)  # attribution window
    status: Mapped[str] = mapped_column(String(16), default="draft")
    launched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    risks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(64))


class CampaignMember(Base):
    """One customer of a campaign's audience snapshot: treatment or holdout, variant, channel."""

    __tablename__ = "campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id", "run"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    arm: Mapped[str] = mapped_column(String(16))  # treatment, holdout
    variant: Mapped[str | None] = mapped_column(String(32))
    stratum: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))  # chosen message channel
    store_code: Mapped[str | None] = mapped_column(String(32))
    suppressed: Mapped[str | None] = mapped_column(String(64))  # why no message was sent
    run: Mapped[int] = mapped_column(Integer, default=1)  # recurring/journey run number


class CampaignRun(Base):
    """One launched run of a campaign: run 1 of a one-off, run N of a recurring campaign.

    The unique (campaign, run) pair makes the scheduler idempotent: a run is launched once,
    however often (or however concurrently) the scheduler is called."""

    __tablename__ = "campaign_run"
    __table_args__ = (UniqueConstraint("campaign_id", "run"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    run: Mapped[int] = mapped_column(Integer)
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    launched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GlobalControl(Base):
    """The chain-wide control group (全局对照组): one row. A customer is in it when a stable
    hash of ``salt`` and their id falls below ``share``; every campaign leaves them out unless it
    overrides (``audience.include_global_control``), so their purchases measure what the whole
    marketing programme adds. The salt never changes, so a larger share keeps every member."""

    __tablename__ = "campaign_global_control"
    id: Mapped[int] = mapped_column(primary_key=True)
    share: Mapped[float] = mapped_column(Float, default=0.0)
    salt: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
