from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from omniretail.marketing.campaign.models import GOALS, TRIGGERS
from omniretail.marketing.campaign.planning import MESSAGE_CHANNELS, PressurePolicy

SCHEDULE_TZ = ZoneInfo(PressurePolicy().timezone)  # a time without offset is local time


class Variant(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    weight: float = Field(default=1.0, gt=0, le=1000)
    offer_template: str | None = None
    content: dict[str, Any] | None = None


class Schedule(BaseModel):
    """When a one-off campaign launches, or when a recurring one starts and how often it runs.

    Times without an offset are local time (Asia/Shanghai, the contact-pressure time zone)."""

    model_config = ConfigDict(extra="forbid")
    at: datetime
    every_days: int | None = Field(default=None, ge=1, le=366)
    day_of_month: int | None = Field(
        default=None,
        ge=1,
        le=31,
        description="Monthly: run on this day of every month at at's time of day, from the "
        "first such day on or after at; in a month without that day (29-31), on its last day.",
    )
    until: datetime | None = None
    reentry_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("day_of_month")
    @classmethod
    def _one_repeat(cls, v: int | None, info: ValidationInfo) -> int | None:
        if v is not None and info.data.get("every_days") is not None:
            raise ValueError(
                "choose one repetition: every_days (every N days) or day_of_month (monthly)"
            )
        return v

    @field_validator("at", "until")
    @classmethod
    def _aware(cls, v: datetime | None, info: ValidationInfo) -> datetime | None:
        if v is not None and v.tzinfo is None:
            v = v.replace(tzinfo=SCHEDULE_TZ)
        at = info.data.get("at")
        if info.field_name == "until" and v is not None and at is not None and v < at:
            raise ValueError(
                f"schedule.until ({v:%Y-%m-%d %H:%M}) must not be before schedule.at "
                f"({at:%Y-%m-%d %H:%M}), the first run"
            )
        return v


class _CampaignChecks(BaseModel):
    """Field checks shared by create and update."""

    @field_validator("goal", check_fields=False)
    @classmethod
    def _goal(cls, v: str | None) -> str | None:
        if v is not None and v not in GOALS:
            raise ValueError(f"unknown goal {v!r}; choose one of {', '.join(GOALS)}")
        return v

    @field_validator("trigger", check_fields=False)
    @classmethod
    def _trigger(cls, v: str | None) -> str | None:
        if v is not None and v not in TRIGGERS:
            raise ValueError(f"unknown trigger {v!r}; choose one of {', '.join(TRIGGERS)}")
        return v

    @field_validator("channels", check_fields=False)
    @classmethod
    def _channels(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        bad = [c for c in v if c not in MESSAGE_CHANNELS]
        if bad:
            raise ValueError(
                f"unknown channel {bad[0]!r}; choose from {', '.join(MESSAGE_CHANNELS)}"
            )
        return list(dict.fromkeys(v))

    @field_validator("stratify_by", check_fields=False)
    @classmethod
    def _stratify(cls, v: str | None) -> str | None:
        allowed = ("lifecycle_stage", "rfm_group", "most_active_channel", "preferred_store", None)
        if v not in allowed:
            raise ValueError(
                "stratify_by must be one of lifecycle_stage, rfm_group, most_active_channel, "
                "preferred_store"
            )
        return v


class CampaignCreate(_CampaignChecks):
    code: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=128)
    goal: str
    theme: str | None = None
    kind: str = Field(default="once", pattern="^(once|recurring|journey)$")
    trigger: str | None = None
    audience: dict[str, Any]
    offer_template: str | None = None
    content: dict[str, Any] = Field(default_factory=dict)
    channels: list[str] = Field(min_length=1)
    variants: list[Variant] = Field(default_factory=list)
    holdout_share: float = Field(default=0.10, ge=0, lt=0.9)
    stratify_by: str | None = "lifecycle_stage"
    budget: Decimal | None = Field(default=None, ge=0)
    priority: int = Field(default=50, ge=0, le=100)
    schedule: Schedule | None = None
    window_days: int = Field(default=14, ge=1, le=180)


class CampaignUpdate(_CampaignChecks):
    """A partial change (PATCH): only the fields sent are changed; ``null`` clears the
    optional ones (theme, trigger, offer, budget, schedule, stratify_by)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=128)
    goal: str | None = None
    theme: str | None = None
    kind: str | None = Field(default=None, pattern="^(once|recurring|journey)$")
    trigger: str | None = None
    audience: dict[str, Any] | None = None
    offer_template: str | None = None
    content: dict[str, Any] | None = None
    channels: list[str] | None = Field(default=None, min_length=1)
    variants: list[Variant] | None = None
    holdout_share: float | None = Field(default=None, ge=0, lt=0.9)
    stratify_by: str | None = None
    budget: Decimal | None = Field(default=None, ge=0)
    priority: int | None = Field(default=None, ge=0, le=100)
    schedule: Schedule | None = None
    window_days: int | None = Field(default=None, ge=1, le=180)


class CampaignRead(BaseModel):
    model_config = {"from_attributes": True}
    code: str
    name: str
    goal: str
    theme: str | None
    kind: str
    trigger: str | None
    audience: dict[str, Any]
    offer_template: str | None
    channels: list[str]
    holdout_share: float
    budget: Decimal | None
    priority: int
    status: str
    launched_at: datetime | None
    risks: dict[str, Any] | None
    schedule: dict[str, Any] | None = None
    content: dict[str, Any] = Field(default_factory=dict)
    variants: list[dict[str, Any]] = Field(default_factory=list)
    stratify_by: str | None = None
    window_days: int = 14


class CampaignFigures(BaseModel):
    """A campaign's reach in the list, seen from the caller's stores (the report's rule): member
    rows per arm (one per run), messages sent and failed, coupons issued and redeemed."""

    treatment: int = 0
    holdout: int = 0
    sent: int = 0
    failed: int = 0
    coupons: int = 0
    redeemed: int = 0


class CampaignListItem(CampaignRead):
    """A campaign in the list with its figures. ``risks`` (the pre-launch check, which counts
    the chain's audience) is null for a store-limited caller."""

    figures: CampaignFigures


class CouponCounts(BaseModel):
    issued: int = 0  # new coupons in this launch
    already_issued: int = 0  # members who had the coupon (a retried launch)
    refused: int = 0  # over a limit or the budget


class LaunchTiming(BaseModel):
    plan_seconds: float
    plan_cpu_seconds: float
    queue_seconds: float
    queue_cpu_seconds: float


class UnconfiguredChannel(BaseModel):
    members: int  # members the plan would send a message on this channel
    missing: list[str]  # the settings the channel lacks


class RiskNote(BaseModel):
    """One problem or warning of the pre-launch check as a catalog message id with its
    parameters, so the console can show it in the reader's language."""

    level: Literal["problem", "warning"]
    message: str
    params: dict[str, str | int | float | None] = {}


class OverlapRead(BaseModel):
    """Another live campaign sharing members with this audience."""

    campaign: str
    name: str
    members: int  # still shared after the exclusions
    holdout_protected: int  # its holdout members left out of this campaign
    excluded: bool  # this campaign leaves out all its members
    same_coupon: bool  # the same coupon template, with a per-person limit
    coupon_limit: int | None = None


class CampaignRisks(BaseModel):
    """The pre-launch check: audience, consent coverage, coupon liability against budget,
    channels that are not set up. ``problems`` block the launch; ``warnings`` do not."""

    audience: int
    treatment: int
    holdout: int
    reachable: int
    consent_coverage: float = Field(ge=0, le=1)
    coupon_liability: str  # a decimal amount, as text (no float rounding)
    budget: str | None
    unconfigured_channels: dict[str, UnconfiguredChannel]
    problems: list[str]
    warnings: list[str]
    notes: list[RiskNote] = []
    overlaps: list[OverlapRead] = []
    left_out: dict[str, int] = {}
    ok: bool


class LaunchSummary(BaseModel):
    """What a launch (or a journey's day) did: the split, the messages queued, the members
    suppressed by reason, the coupons; ``run`` is the run number (a journey: its day)."""

    campaign: str
    run: int | str
    audience: int
    treatment: int
    holdout: int
    messages_queued: int
    suppressed: dict[str, int]
    coupons: CouponCounts
    send_at: datetime
    # members left out for other live campaigns: protected_holdout, excluded (see overlap)
    left_out: dict[str, int] = {}
    scheduled_for: datetime | None = None  # a scheduled run: when it was due
    trigger: str | None = None  # a journey: its trigger
    timing: LaunchTiming | None = None

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class EffectEstimate(BaseModel):
    """Treatment against holdout: the difference with its 95% interval (stats.Effect)."""

    model_config = ConfigDict(extra="forbid")  # a new key must be declared here

    treatment: float
    control: float
    lift: float
    ci_low: float
    ci_high: float
    relative_lift: float | None
    p_value: float
    significant: bool
    mde: float | None = None  # minimum detectable absolute effect (80% power)
    verdict: Literal["lift", "drop", "no_effect", "insufficient"] = "no_effect"
    verdict_text: str = ""
    method: str = ""


class EffectBlock(BaseModel):
    """A group's outcome; the effect fields only when both arms are large enough (absent, not
    null, in the JSON)."""

    model_config = ConfigDict(extra="forbid")  # a new key must be declared here

    members: int
    holdout: int
    converted: int
    revenue: float
    conversion: float | None
    conversion_effect: EffectEstimate | None = None
    revenue_per_member_effect: EffectEstimate | None = None
    incremental_conversions: float | None = None
    incremental_revenue: float | None = None
    incremental_revenue_ci: list[float] | None = None


class RunReport(EffectBlock):
    run: int
    scheduled_for: str | None
    launched_at: str | None
    window_end: str | None
    audience: int
    sent: int
    delivered: int
    coupons_redeemed: int


class ChannelDelivery(BaseModel):
    """One channel's messages: sent (including delivered), delivered, failed, suppressed and
    still queued, with failed and suppressed ones counted by reason (``failure_kind`` codes:
    not_configured, no_address, refused, unreachable, other) and one example error each."""

    model_config = ConfigDict(extra="forbid")

    sent: int
    delivered: int
    failed: int
    suppressed: int
    queued: int
    failures: dict[str, int]
    suppressions: dict[str, int]
    examples: dict[str, str]
    # failed here and passed on along the campaign's channel order: next channel → messages
    fell_back_to: dict[str, int] = {}
    fallback_in: int = 0  # messages this channel carried after another channel failed


class CampaignReport(BaseModel):
    """Reach, engagement, coupons and the incremental effect against the holdout: overall,
    by variant, channel and store, and per run. Serialise with ``exclude_unset`` (JSON keeps
    the shape: effect fields are absent where they could not be estimated)."""

    model_config = ConfigDict(extra="forbid")  # a new key must be declared here

    campaign: str
    name: str
    status: str
    launched_at: str | None
    window_days: int
    audience: int
    treatment: int
    holdout: int
    suppressed: int
    messages: dict[str, int]
    sent: int
    failed: int
    reached: bool
    delivery: dict[str, ChannelDelivery]
    delivered: int
    opened: int
    clicked: int
    coupons_issued: int
    coupons_redeemed: int
    coupon_cost: float
    overall: EffectBlock
    roi: float | None
    roi_ci: list[float] | None = None  # 95% interval of the ROI (from incremental revenue's)
    by_variant: dict[str, EffectBlock]
    by_channel: dict[str, EffectBlock]
    by_store_code: dict[str, EffectBlock]
    runs: list[RunReport]

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)
