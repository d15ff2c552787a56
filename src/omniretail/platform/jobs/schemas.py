"""What the jobs page, ``omniretail jobs list`` and ``GET /api/v1/jobs`` show."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class JobStatus(BaseModel):
    name: str
    title: str  # in the reader's language
    every: str
    domain: str  # the package that declares it, e.g. "marketing.coupon"
    description: str
    next_run_at: datetime | None
    running: bool
    running_on: str | None
    requested: bool
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_duration_s: float | None
    last_outcome: Literal["ok", "failed"] | None
    last_count: int | None
    last_error: str | None
    runs: int
    failures: int
    consecutive_failures: int


class JobRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    runner: str
    trigger: str
    started_at: datetime
    finished_at: datetime
    duration_s: float
    outcome: str
    count: int | None
    error: str | None


class JobOutcomeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    outcome: Literal["ok", "failed"]
    trigger: str
    started_at: datetime
    duration_s: float
    count: int | None
    error: str | None


class RunDueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    runner: str
    now: datetime
    ran: list[JobOutcomeRead]
    busy: list[str]
