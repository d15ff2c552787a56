"""Run due jobs: ``omniretail jobs run-due`` (from cron), the console's "run now", tests.

Each job runs at most once at a time, across processes and hosts: a runner first *claims* the
job with one conditional UPDATE on its ``job_state`` row (due, and no live lease), committed
before the job starts. On PostgreSQL a second runner's UPDATE waits for the first one's row
lock and then re-reads the row, sees the lease and matches nothing; on SQLite writers are
serialised by the database lock. Only the runner whose UPDATE changed the row runs the job.

The job runs in its own session, committed by the runner when it returns (rolled back if it
raises); the outcome (duration, count, failure text) and the next run time are then written
in a third transaction that also releases the lease. A runner that dies mid-job leaves the
lease behind; it expires after the job's ``lease`` and the job becomes claimable again.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from omniretail.platform.db import session_factory, utcnow
from omniretail.platform.errors import DomainError
from omniretail.platform.jobs.errors import JobBusy
from omniretail.platform.jobs.models import JobRun, JobState
from omniretail.platform.jobs.registry import Job, JobContext, discover, get_job
from omniretail.platform.jobs.schedule import as_utc

HISTORY_DAYS = 30  # job_run rows kept per job
ERROR_CHARS = 4000

Trigger = Literal["schedule", "manual"]


@dataclass
class JobOutcome:
    name: str
    outcome: Literal["ok", "failed"]
    trigger: Trigger
    started_at: datetime
    duration_s: float
    count: int | None = None
    error: str | None = None


@dataclass
class RunDueResult:
    runner: str
    now: datetime
    ran: list[JobOutcome] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # due, but another runner holds the lease

    @property
    def failed(self) -> list[JobOutcome]:
        return [o for o in self.ran if o.outcome == "failed"]


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sync_states(factory: sessionmaker[Session], jobs: Sequence[Job], *, now: datetime) -> None:
    """A state row for every declared job (a new job is due at its first run time); a job
    whose schedule changed in code is rescheduled from its new schedule."""
    with factory() as s:
        have = {st.name: st for st in s.scalars(select(JobState))}
        for j in jobs:
            st = have.get(j.name)
            if st is None:
                try:
                    with s.begin_nested():
                        s.add(
                            JobState(
                                name=j.name,
                                every=j.every,
                                next_run_at=j.schedule.first_run(now),
                                runs=0,
                                failures=0,
                                consecutive_failures=0,
                            )
                        )
                except IntegrityError:
                    pass  # another runner created it a moment ago
            elif st.every != j.every:
                s.execute(
                    update(JobState)
                    .where(JobState.name == j.name, JobState.every == st.every)
                    .values(every=j.every, next_run_at=j.schedule.first_run(now))
                )
        s.commit()


def _claim(
    factory: sessionmaker[Session], job: Job, *, me: str, now: datetime, force: bool
) -> Trigger | None:
    """Take the job's lease if it is due (or ``force``) and free. Returns why it runs."""
    with factory() as s:
        st = s.get(JobState, job.name)
        if st is None:
            return None
        manual = st.requested_at is not None or force
        conditions = [
            JobState.name == job.name,
            or_(JobState.lease_until.is_(None), JobState.lease_until < now),
        ]
        if not force:
            conditions.append(or_(JobState.next_run_at <= now, JobState.requested_at.is_not(None)))
        res = s.execute(
            update(JobState)
            .where(*conditions)
            .values(lease_owner=me, lease_until=now + job.lease, last_started_at=now)
            .execution_options(synchronize_session=False)
        )
        s.commit()
        if not getattr(res, "rowcount", 0):
            return None
        return "manual" if manual else "schedule"


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        text = f"{type(exc).__name__}: {exc.detail}" + (
            f" (field: {exc.field})" if exc.field else ""
        )
    else:
        text = "".join(traceback.format_exception(exc)[-6:])
    return text[-ERROR_CHARS:]


def _finish(
    factory: sessionmaker[Session], job: Job, *, me: str, now: datetime, outcome: JobOutcome
) -> None:
    finished = outcome.started_at + timedelta(seconds=outcome.duration_s)
    failed = outcome.outcome == "failed"
    with factory() as s:
        st = s.get(JobState, job.name)
        values: dict[str, object] = {
            "lease_owner": None,
            "lease_until": None,
            "requested_at": None,
            "requested_by": None,
            "last_finished_at": finished,
            "last_duration_s": outcome.duration_s,
            "last_outcome": outcome.outcome,
            "last_count": outcome.count,
            "last_error": outcome.error,
            "runs": JobState.runs + 1,
            "failures": JobState.failures + (1 if failed else 0),
            "consecutive_failures": (JobState.consecutive_failures + 1) if failed else 0,
        }
        if st is not None and (outcome.trigger == "schedule" or as_utc(st.next_run_at) <= now):
            values["next_run_at"] = job.schedule.next_after(now)
        s.execute(
            update(JobState)
            .where(JobState.name == job.name, JobState.lease_owner == me)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        s.add(
            JobRun(
                name=job.name,
                runner=me,
                trigger=outcome.trigger,
                started_at=outcome.started_at,
                finished_at=finished,
                duration_s=outcome.duration_s,
                outcome=outcome.outcome,
                count=outcome.count,
                error=outcome.error,
            )
        )
        s.execute(
            delete(JobRun).where(
                JobRun.name == job.name, JobRun.started_at < now - timedelta(days=HISTORY_DAYS)
            )
        )
        s.commit()


def run_job(
    factory: sessionmaker[Session], job: Job, *, trigger: Trigger, me: str, now: datetime
) -> JobOutcome:
    """Run a claimed job in its own session and record the outcome (releases the lease)."""
    t0 = time.perf_counter()
    outcome: JobOutcome
    with factory() as s:
        ctx = JobContext(session=s, now=now, factory=factory, name=job.name)
        try:
            count = job.fn(ctx)
            s.commit()
            outcome = JobOutcome(
                name=job.name,
                outcome="ok",
                trigger=trigger,
                started_at=now,
                duration_s=round(time.perf_counter() - t0, 3),
                count=int(count) if count is not None else None,
            )
        except Exception as exc:  # a job's failure is recorded, the next job still runs
            s.rollback()
            outcome = JobOutcome(
                name=job.name,
                outcome="failed",
                trigger=trigger,
                started_at=now,
                duration_s=round(time.perf_counter() - t0, 3),
                error=_error_text(exc),
            )
    _finish(factory, job, me=me, now=now, outcome=outcome)
    return outcome


def run_due(
    factory: sessionmaker[Session] | None = None,
    *,
    now: datetime | None = None,
    only: Sequence[str] | None = None,
    force: bool = False,
    runner: str | None = None,
) -> RunDueResult:
    """Run every due job once (``only``: just these; ``force``: even if not due yet).

    Safe to call from cron on several hosts at once: each due job runs in exactly one of them.
    A failing job is recorded (and counted in ``RunDueResult.failed``); the others still run."""
    factory = factory or session_factory()
    now = as_utc(now or utcnow())
    me = runner or runner_id()
    jobs = [get_job(n) for n in only] if only else discover()
    sync_states(factory, jobs, now=now)
    result = RunDueResult(runner=me, now=now)
    for j in jobs:
        trigger = _claim(factory, j, me=me, now=now, force=force)
        if trigger is None:
            if _is_busy(factory, j.name, now=now) and (force or _is_due(factory, j.name, now)):
                result.busy.append(j.name)
            continue
        result.ran.append(
            run_job(factory, j, trigger="manual" if force else trigger, me=me, now=now)
        )
    return result


def _is_busy(factory: sessionmaker[Session], name: str, *, now: datetime) -> bool:
    with factory() as s:
        until = s.scalar(select(JobState.lease_until).where(JobState.name == name))
    return until is not None and as_utc(until) >= now


def _is_due(factory: sessionmaker[Session], name: str, now: datetime) -> bool:
    with factory() as s:
        st = s.get(JobState, name)
    return st is not None and (as_utc(st.next_run_at) <= now or st.requested_at is not None)


def request_run(session: Session, *, name: str, actor: str, now: datetime | None = None) -> None:
    """Ask for a job to run at the next tick (the console's "run now" when no runner is
    started in-process). Raises :class:`JobBusy` while the job is running."""
    job = get_job(name)
    now = as_utc(now or utcnow())
    st = session.get(JobState, job.name)
    if st is None:
        st = JobState(
            name=job.name,
            every=job.every,
            next_run_at=job.schedule.first_run(now),
            runs=0,
            failures=0,
            consecutive_failures=0,
        )
        session.add(st)
    elif st.lease_until is not None and as_utc(st.lease_until) >= now:
        raise JobBusy(f"任务 {name} 正在运行（{st.lease_owner}）", field="name")
    st.requested_at = now
    st.requested_by = actor
    session.flush()
