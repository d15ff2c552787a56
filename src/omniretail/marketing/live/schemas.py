"""Live sessions in and out, and the answer of a viewer-export import."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from omniretail.platform.bounds import UtcDatetime, as_utc

Platform = Literal["douyin", "kuaishou", "channels", "xiaohongshu", "taobao", "jd", "bilibili"]


class LiveSessionCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    kind: Literal["live", "video", "note"] = "live"
    platform: Platform
    account: str = Field(min_length=1, max_length=64)
    host: str | None = Field(default=None, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    # stored in UTC (SQLite keeps no offset: a +08:00 time stored as is read back 8 h off)
    started_at: Annotated[datetime, AfterValidator(as_utc)]
    ended_at: Annotated[datetime | None, AfterValidator(as_utc)] = None  # none: flagged no_end
    codes: list[str] = Field(default_factory=list, max_length=50)
    link_params: list[str] = Field(default_factory=list, max_length=50)
    coupon_batches: list[str] = Field(default_factory=list, max_length=50)
    products: list[str] = Field(default_factory=list, max_length=500)
    cost_fen: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _times(self) -> LiveSessionCreate:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class LiveSessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    platform: str
    account: str
    host: str | None
    title: str
    started_at: UtcDatetime  # stored in UTC; answered with the offset
    ended_at: UtcDatetime | None
    codes: list[str]
    link_params: list[str]
    coupon_batches: list[str]
    products: list[str]
    cost_fen: int
    flag: str | None = None  # no_end: its window is unknown, it claims nothing
    viewers: int | None = None


class RejectedRow(BaseModel):
    row: int  # 1-based, the header not counted
    reason: str  # unknown_session | missing_session | invalid:<column> | negative:<column>


class ViewerImport(BaseModel):
    imported: int
    rejected: list[RejectedRow]


class EffectRead(BaseModel):
    """The incremental effect against a matched-hours baseline (an estimate against history,
    not a randomised holdout): observed − the mean of the matched windows, with a prediction
    interval at ``level``."""

    basis: str  # matched_hours_platform | matched_hours_online
    observed_fen: int
    baseline_fen: float
    effect_fen: float
    low_fen: float
    high_fen: float
    windows: int
    level: float


class SessionFiguresRead(BaseModel):
    """What a session brought under the attribution rule (docs/live.md)."""

    session_id: str
    platform: str
    account: str
    host: str | None
    title: str
    started_at: UtcDatetime  # stored in UTC; answered with the offset
    ended_at: UtcDatetime | None
    flag: str | None
    viewers: int
    orders: int
    gmv_fen: int
    online_orders: int
    store_orders: int
    new_members: int
    coupons_claimed: int
    coupons_redeemed_in_store: int
    store_visits: int
    cost_fen: int
    likes: int = 0  # engagement, from the platform's export
    comments: int = 0
    shares: int = 0
    new_followers: int = 0
    effect: EffectRead | None = None  # None: no engine, or under two matched windows


class PlatformRow(BaseModel):
    period: str | None = None  # YYYY-MM of the sessions' start (by=month), else None
    platform: str
    account: str
    sessions: int
    viewers: int
    engagements: int  # likes + comments + shares
    engagement_rate: float | None  # engagements / viewers
    new_followers: int
    orders: int
    gmv_fen: int
    cost_fen: int
    coupons_redeemed_in_store: int
    conversion: float | None  # orders / viewers
    cost_per_order_fen: float | None
