"""The job registry: ``@job(name, every=..., title=...)`` in each domain's ``jobs.py``.

Discovery works like pipeline steps: :func:`discover` imports every ``omniretail.<...>.jobs``
module (``platform.registry``), whose decorators register their jobs here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from omniretail.platform.jobs.schedule import Schedule, parse_every


@dataclass
class JobContext:
    """What a job gets: ``session`` (committed by the runner when the job returns, rolled back
    if it raises) and ``now`` (aware UTC, the runner's clock for this tick). ``factory`` makes
    further sessions for jobs that own their transactions (sending messages after commit)."""

    session: Session
    now: datetime
    factory: sessionmaker[Session]
    name: str = ""
    log: Callable[[str], None] = field(default=lambda _msg: None)


JobFn = Callable[[JobContext], int | None]


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Schedule
    title: str  # a message id (English source text, ``N_(...)``), translated where shown
    fn: JobFn
    module: str
    lease: timedelta
    description: str = ""

    @property
    def every(self) -> str:
        return self.schedule.text


_JOBS: dict[str, Job] = {}


def job(
    name: str,
    *,
    every: str,
    title: str,
    lease: timedelta = timedelta(hours=1),
    description: str = "",
) -> Callable[[JobFn], JobFn]:
    """Declare a timed job. ``every``: "30s", "10m", "1h", "1d" or a cron expression (chain
    time zone). ``lease``: how long a run may take before another host may assume it died and
    run the job again; set it well above the job's longest run."""
    schedule = parse_every(every)

    def deco(fn: JobFn) -> JobFn:
        existing = _JOBS.get(name)
        if existing is not None and (existing.module, existing.fn.__name__) != (
            fn.__module__,
            fn.__name__,
        ):
            raise ValueError(f"job {name!r} is declared twice ({existing.module}, {fn.__module__})")
        _JOBS[name] = Job(
            name=name,
            schedule=schedule,
            title=title,
            fn=fn,
            module=fn.__module__,
            lease=lease,
            description=description or (fn.__doc__ or "").strip().split("\n\n")[0],
        )
        return fn

    return deco


def discover() -> list[Job]:
    """Every job declared in a ``<domain>/jobs.py``, by name."""
    from omniretail.platform.registry import modules_named

    modules_named("jobs")
    return sorted(_JOBS.values(), key=lambda j: j.name)


def get_job(name: str) -> Job:
    from omniretail.platform.jobs.errors import UnknownJob

    jobs = {j.name: j for j in discover()}
    if name not in jobs:
        raise UnknownJob(
            f"没有名为 {name!r} 的任务；可用：{', '.join(sorted(jobs)) or '无'}", field="name"
        )
    return jobs[name]
