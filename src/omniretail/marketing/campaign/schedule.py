"""The campaign scheduler: launch every scheduled campaign whose time has come.

A one-off campaign (``kind = once``) with ``schedule = {"at": …}`` launches once, at or after
``at``. A recurring campaign (``schedule = {"at", "every_days", "until"?, "reentry_days"?}``)
launches run N at ``at + (N-1) × every_days``. A monthly one (``"day_of_month": D`` instead of
``every_days``) launches on day D of every month at ``at``'s local time of day, run 1 on the
first such day on or after ``at``; a month without day D (29, 30, 31) runs on its last day (31
→ 30 April, 28/29 February), and the month after is back on day D. Each run is an ordinary
launch (its own stratified holdout split of that run's audience, coupons of ``CODE:N``,
contact-pressure caps and quiet hours), and members of the last ``reentry_days`` are left out
when it is set. When the scheduler was not called for a while, only the latest due run is
launched (missed runs are not sent late in a burst).

Idempotent: a run is claimed by inserting its ``campaign_run`` row (unique per campaign and
run) in the same transaction as the launch, so calling the scheduler twice — or from two
processes at once — never launches a run twice. Each campaign runs in its own transaction: a
campaign that cannot launch (empty audience, budget exceeded, no snapshot) is reported and
audited and does not stop the others; it is tried again at the next call.

``omniretail campaign run-due`` calls this and then the day's journeys; run it from cron
(e.g. every 15 minutes).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from omniretail.marketing.campaign.errors import CampaignRunsFailed
from omniretail.marketing.campaign.launch import launch_campaign
from omniretail.marketing.campaign.models import Campaign, CampaignRun
from omniretail.marketing.campaign.schemas import SCHEDULE_TZ
from omniretail.platform import audit
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import DomainError

SCHEDULED_KINDS = ("once", "recurring")
WATCHED = ("scheduled", "running")


def _time(value: str) -> datetime:
    t = datetime.fromisoformat(value)
    return t if t.tzinfo else t.replace(tzinfo=SCHEDULE_TZ)


def _in_month(local: datetime, months: int, day: int) -> datetime:
    """``local`` moved ``months`` months on, on ``day`` (the month's last day if it is shorter)."""
    y, m = divmod(local.month - 1 + months, 12)
    year, month = local.year + y, m + 1
    return local.replace(year=year, month=month, day=min(day, calendar.monthrange(year, month)[1]))


def _first_monthly(at: datetime, day: int) -> datetime:
    local = at.astimezone(SCHEDULE_TZ)
    first = _in_month(local, 0, day)
    return first if first >= local else _in_month(local, 1, day)


def repeats(sched: dict[str, Any]) -> bool:
    return bool(sched.get("every_days") or sched.get("day_of_month"))


def run_time(sched: dict[str, Any], n: int) -> datetime:
    """When run ``n`` (1, 2, …) of a schedule is due."""
    at = _time(str(sched["at"]))
    if sched.get("day_of_month"):
        day = int(sched["day_of_month"])
        return _in_month(_first_monthly(at, day), n - 1, day)
    if not sched.get("every_days"):
        return at
    return at + (n - 1) * timedelta(days=int(sched["every_days"]))


def _runs_by(sched: dict[str, Any], last: datetime) -> int:
    """How many runs of a repeating schedule are due by ``last``."""
    first = run_time(sched, 1)
    if last < first:
        return 0
    if sched.get("day_of_month"):
        local = last.astimezone(SCHEDULE_TZ)
        start = first.astimezone(SCHEDULE_TZ)
        n = (local.year - start.year) * 12 + local.month - start.month + 1
        while n > 0 and run_time(sched, n) > last:
            n -= 1
        return n
    return int((last - first) // timedelta(days=int(sched["every_days"]))) + 1


def due_run(c: Campaign, now: datetime) -> tuple[int, datetime] | None:
    """The latest run of ``c`` whose time has come at ``now``: (run number, its time)."""
    sched = c.schedule or {}
    if c.kind not in SCHEDULED_KINDS or not sched.get("at"):
        return None
    at = _time(str(sched["at"]))
    if now < at:
        return None
    if c.kind == "once" or not repeats(sched):
        return 1, at
    last = now
    if sched.get("until"):
        last = min(now, _time(str(sched["until"])))
    n = _runs_by(sched, last)
    return (n, run_time(sched, n)) if n else None


def finished(c: Campaign, now: datetime) -> bool:
    """A recurring campaign whose last run (before ``until``) has come."""
    sched = c.schedule or {}
    if c.kind != "recurring" or not sched.get("until"):
        return False
    due = due_run(c, now)
    until = _time(str(sched["until"]))
    return due is not None and run_time(sched, due[0] + 1) > until


def next_run(c: Campaign, now: datetime, launched: set[int]) -> tuple[int, datetime] | None:
    """The next run the scheduler will launch (run number, time): a due run not launched yet
    (it goes out at the next scheduler call), else the one after the last launched run;
    ``None`` when the campaign is not scheduled, paused, ended, or past ``until``."""
    sched = c.schedule or {}
    if c.kind not in SCHEDULED_KINDS or not sched.get("at") or c.status not in WATCHED:
        return None
    at = _time(str(sched["at"]))
    if c.kind == "once" or not repeats(sched):
        return None if 1 in launched else (1, at)
    due = due_run(c, now)
    if due is not None and due[0] not in launched and due[0] > max(launched, default=0):
        return due
    k = max(due[0] if due else 0, max(launched, default=0)) + 1
    t = run_time(sched, k)
    if sched.get("until") and t > _time(str(sched["until"])):
        return None
    return k, t


def _reentry_runs(c: Campaign, run: int) -> int | None:
    """How many runs before ``run`` fall within the last ``reentry_days`` (their members are
    left out)."""
    sched = c.schedule or {}
    if c.kind != "recurring" or not sched.get("reentry_days"):
        return None
    days = int(sched["reentry_days"])
    if sched.get("every_days"):
        return math.ceil(days / int(sched["every_days"]))
    at = run_time(sched, run)
    k = 0
    while run - k - 1 >= 1 and at - run_time(sched, run - k - 1) < timedelta(days=days):
        k += 1
    return k or None


def _run_one(
    s: Session, engine: AnalyticsEngine, *, code: str, now: datetime, actor: str
) -> dict[str, Any] | None:
    c = s.scalar(select(Campaign).where(Campaign.code == code))
    if c is None or c.status not in WATCHED:  # paused or cancelled since the list was read
        return None
    due = due_run(c, now)
    if due is None:
        return None
    run, at = due
    if s.scalar(
        select(CampaignRun.id).where(CampaignRun.campaign_id == c.id, CampaignRun.run == run)
    ):
        if finished(c, now) and c.status == "running":
            c.status = "completed"
            audit.record(
                s,
                actor=actor,
                action="campaign.complete",
                object_type="campaign",
                object_id=c.code,
                detail={"runs": run},
            )
        return None
    # stored as UTC: SQLite keeps the wall-clock time and drops the offset
    s.add(CampaignRun(campaign_id=c.id, run=run, scheduled_for=at.astimezone(UTC), launched_at=now))
    s.flush()  # the claim: a second scheduler fails here on the unique (campaign, run)
    out = launch_campaign(
        s, engine, code=code, actor=actor, now=now, run=run, reentry_days=_reentry_runs(c, run)
    )
    return out.model_copy(update={"scheduled_for": at}).model_dump(
        mode="json", exclude={"timing"}, exclude_none=True
    )


def run_due_campaigns(
    factory: sessionmaker[Session],
    engine: AnalyticsEngine,
    *,
    now: datetime | None = None,
    actor: str = "scheduler",
) -> list[dict[str, Any]]:
    """Launch every due run of every scheduled or recurring campaign (the scheduler's tick).

    Owns its transactions (a job, like ``messaging.dispatch``): one per campaign. Returns one
    entry per campaign launched or failed; campaigns with nothing due are left out."""
    now = now or utcnow()
    if now.tzinfo is not None:  # stored as UTC: SQLite keeps the wall clock, drops the offset
        now = now.astimezone(UTC)
    with factory() as s:
        codes = list(
            s.scalars(
                select(Campaign.code)
                .where(Campaign.kind.in_(SCHEDULED_KINDS), Campaign.status.in_(WATCHED))
                .order_by(Campaign.priority.desc(), Campaign.id)
            )
        )
    results: list[dict[str, Any]] = []
    for code in codes:
        try:
            with factory() as s, s.begin():
                out = _run_one(s, engine, code=code, now=now, actor=actor)
        except IntegrityError:
            continue  # another scheduler claimed this run first
        except DomainError as exc:
            failure = {"campaign": code, "error": exc.detail, "field": exc.field}
            with factory() as s, s.begin():
                audit.record(
                    s,
                    actor=actor,
                    action="campaign.run_failed",
                    object_type="campaign",
                    object_id=code,
                    detail=failure,
                )
            results.append(failure)
            continue
        if out is not None:
            results.append(out)
    return results


@dataclass
class CampaignTick:
    """One scheduler tick: scheduled/recurring runs launched or failed, journeys run."""

    campaigns: list[dict[str, Any]] = field(default_factory=list)
    journeys: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [c for c in self.campaigns if "error" in c]

    @property
    def launched(self) -> list[dict[str, Any]]:
        return [c for c in self.campaigns if "error" not in c] + self.journeys

    def raise_failures(self) -> None:
        if self.failures:
            raise CampaignRunsFailed(
                "; ".join(f"{f['campaign']}: {f['error']}" for f in self.failures),
                field="campaign",
            )


def run_due(factory: sessionmaker[Session], *, now: datetime | None = None) -> CampaignTick:
    """The scheduler's tick (``omniretail campaign run-due``, the ``campaign.run_due`` job):
    due scheduled and recurring runs, then today's step of each journey (its own
    transaction). The published snapshot is opened only when some campaign is watched."""
    from omniretail.marketing.campaign.journeys import run_due_journeys
    from omniretail.platform.engine.snapshot import run_on_published

    with factory() as s:
        watched = s.scalar(
            select(Campaign.id)
            .where(
                or_(
                    Campaign.kind.in_(SCHEDULED_KINDS) & Campaign.status.in_(WATCHED),
                    (Campaign.kind == "journey") & Campaign.status.in_(("draft", "running")),
                )
            )
            .limit(1)
        )
    if watched is None:
        return CampaignTick()
    tick = CampaignTick()
    tick.campaigns = run_on_published(lambda eng: run_due_campaigns(factory, eng, now=now))
    today = (
        now.astimezone(SCHEDULE_TZ).date() if now and now.tzinfo else (now.date() if now else None)
    )
    with factory() as s, s.begin():
        summaries = run_on_published(lambda eng: run_due_journeys(s, eng, today=today))
    tick.journeys = [j.model_dump(mode="json", exclude_none=True) for j in summaries]
    return tick
