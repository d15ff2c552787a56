"""Reading job state for people: the console page, the CLI list and the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.platform.db import utcnow
from omniretail.platform.i18n import gettext
from omniretail.platform.jobs.models import JobRun, JobState
from omniretail.platform.jobs.registry import discover, get_job
from omniretail.platform.jobs.runner import request_run, run_due
from omniretail.platform.jobs.schedule import as_utc
from omniretail.platform.jobs.schemas import JobRunRead, JobStatus

__all__ = ["list_jobs", "recent_runs", "request_run", "run_due"]


def _domain(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[1:-1]) if parts[0] == "omniretail" else module


def _aware(at: datetime | None) -> datetime | None:
    return as_utc(at) if at is not None else None


def list_jobs(session: Session, *, now: datetime | None = None) -> list[JobStatus]:
    """Every declared job with its state (a job never run yet shows its first run time)."""
    now = as_utc(now or utcnow())
    states = {st.name: st for st in session.scalars(select(JobState))}
    out: list[JobStatus] = []
    for j in discover():
        st = states.get(j.name)
        lease = _aware(st.lease_until) if st else None
        running = lease is not None and lease >= now
        out.append(
            JobStatus(
                name=j.name,
                title=gettext(j.title),
                every=j.every,
                domain=_domain(j.module),
                description=gettext(j.description) if j.description else "",
                next_run_at=_aware(st.next_run_at) if st else j.schedule.first_run(now),
                running=running,
                running_on=st.lease_owner if st and running else None,
                requested=bool(st and st.requested_at is not None),
                last_started_at=_aware(st.last_started_at) if st else None,
                last_finished_at=_aware(st.last_finished_at) if st else None,
                last_duration_s=st.last_duration_s if st else None,
                last_outcome=st.last_outcome if st else None,  # type: ignore[arg-type]
                last_count=st.last_count if st else None,
                last_error=st.last_error if st else None,
                runs=st.runs if st else 0,
                failures=st.failures if st else 0,
                consecutive_failures=st.consecutive_failures if st else 0,
            )
        )
    return out


def recent_runs(session: Session, *, name: str, limit: int = 20) -> list[JobRunRead]:
    get_job(name)  # an unknown name is a clear error, not an empty list
    rows = session.scalars(
        select(JobRun).where(JobRun.name == name).order_by(JobRun.id.desc()).limit(limit)
    )
    return [JobRunRead.model_validate(r) for r in rows]
