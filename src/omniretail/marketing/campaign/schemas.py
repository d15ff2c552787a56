from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator

from omniretail.marketing.campaign.models import GOALS, TRIGGERS
from omniretail.marketing.campaign.planning import MESSAGE_CHANNELS


class Variant(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    weight: float = Field(default=1.0, gt=0)
    offer_template: str | None = None
    content: dict[str, Any] | None = None


class CampaignCreate(BaseModel):
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
    schedule: dict[str, Any] | None = None
    window_days: int = Field(default=14, ge=1, le=180)

    @field_validator("goal")
    @classmethod
    def _goal(cls, v: str) -> str:
        if v not in GOALS:
            raise ValueError(f"unknown goal {v!r}; choose one of {', '.join(GOALS)}")
        return v

    @field_validator("trigger")
    @classmethod
    def _trigger(cls, v: str | None) -> str | None:
        if v is not None and v not in TRIGGERS:
            raise ValueError(f"unknown trigger {v!r}; choose one of {', '.join(TRIGGERS)}")
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in MESSAGE_CHANNELS]
        if bad:
            raise ValueError(
                f"unknown channel {bad[0]!r}; choose from {', '.join(MESSAGE_CHANNELS)}"
            )
        return list(dict.fromkeys(v))

    @field_validator("stratify_by")
    @classmethod
    def _stratify(cls, v: str | None) -> str | None:
        allowed = ("lifecycle_stage", "rfm_group", "most_active_channel", "preferred_store", None)
        if v not in allowed:
            raise ValueError(
                "stratify_by must be one of lifecycle_stage, rfm_group, most_active_channel, "
                "preferred_store"
            )
        return v


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
