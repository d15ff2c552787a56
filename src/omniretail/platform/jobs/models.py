"""Job state: one row per declared job (schedule, lease, last outcome) and a run history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class JobState(Base):
    """A job's schedule and lease. A runner claims a due job with one conditional UPDATE
    (``lease_until`` empty or past): the database lets exactly one runner win, on SQLite and
    on PostgreSQL, across hosts."""

    __tablename__ = "job_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    every: Mapped[str] = mapped_column(String(64))
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str | None] = mapped_column(String(64))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_duration_s: Mapped[float | None] = mapped_column(Float)
    last_outcome: Mapped[str | None] = mapped_column(String(16))  # ok | failed
    last_count: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobRun(Base):
    """One finished run of a job (the console's history and the failure text)."""

    __tablename__ = "job_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    runner: Mapped[str] = mapped_column(String(128))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual | forced
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))
    count: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
