"""Typed answers of the model API. Scores and reports carry many model-specific columns
(see docs/models-clv.md), so they are open models over the fixed keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Replenishment(BaseModel):
    model_config = ConfigDict(extra="allow")

    category_code: str | None = None
    category_name: str | None = None
    due_date: Any = None
    due_in_days: int | None = None


class CustomerScores(BaseModel):
    """One customer's row of the scores table (P(alive), expected purchases and value over
    90/180/365 days, churn risk and its top factors, next purchase date...)."""

    model_config = ConfigDict(extra="allow")

    customer_id: str
    churn_risk: float | None = None
    churn_top_factors: list[str] | None = None
    next_purchase_date: str | None = None
    replenishment: list[Replenishment] = Field(default_factory=list)


class ModelReport(BaseModel):
    """A fitted model's report: parameters, metrics, calibration, backtest."""

    model_config = ConfigDict(extra="allow")

    fitted_at: Any = None
