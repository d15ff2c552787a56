"""Live sessions and content pieces (直播, 短视频), and the viewer figures the platforms export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class LiveSession(Base):
    """A live stream or a content piece on a platform's account, with the evidence that names
    it in orders, coupons and visits (codes, link parameters, coupon batches)."""

    __tablename__ = "live_session"
    __table_args__ = (
        UniqueConstraint("code", name="uq_live_session_code"),
        Index("ix_live_session_started_at", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))  # the chain's id of the session (natural key)
    kind: Mapped[str] = mapped_column(String(16))  # live | video | note
    platform: Mapped[str] = mapped_column(String(32))  # douyin | kuaishou | channels | …
    account: Mapped[str] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(64))  # 主播
    title: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # 口令 / 专属码
    link_params: Mapped[list[str]] = mapped_column(JSON, default=list)
    coupon_batches: Mapped[list[str]] = mapped_column(JSON, default=list)
    products: Mapped[list[str]] = mapped_column(JSON, default=list)  # SKUs pushed
    cost_fen: Mapped[int] = mapped_column(Integer, default=0)  # fee, ads, samples
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LiveViewerStat(Base):
    """A platform's viewer figures of one session (its export; the latest import wins)."""

    __tablename__ = "live_viewer_stat"
    __table_args__ = (UniqueConstraint("session_code", name="uq_live_viewer_stat_session"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_code: Mapped[str] = mapped_column(String(64))
    viewers: Mapped[int] = mapped_column(Integer)  # 观看人数 (unique viewers)
    peak_viewers: Mapped[int | None] = mapped_column(Integer)
    watch_minutes: Mapped[int | None] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    shares: Mapped[int | None] = mapped_column(Integer)
    new_followers: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
