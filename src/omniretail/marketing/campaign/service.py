"""Campaign verbs: create, check risks, launch (snapshot → holdout → offer → outbox), report.

Services flush; the caller commits. Launch is idempotent: members, coupons (by campaign and
customer) and messages (by key) are never created twice, so a retried launch is harmless.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign import audience as audience_mod
from omniretail.marketing.campaign import planning
from omniretail.marketing.campaign.errors import (
    CampaignInvalid,
    CampaignNotFound,
    CampaignStateError,
)
from omniretail.marketing.campaign.models import (
    EDITABLE,
    LAUNCHABLE,
    Campaign,
    CampaignMember,
    CampaignRun,
)
from omniretail.marketing.campaign.schemas import CampaignCreate, CampaignUpdate, Schedule
from omniretail.marketing.coupon import service as coupon_service
from omniretail.platform import audit, bulk
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import NotFound
from omniretail.platform.keys import idempotency_key
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.schemas import MessageRequest, Origin


def _check_templates(session: Session, codes: list[str | None]) -> None:
    for code in codes:
        if code:
            try:
                coupon_service.get_template(session, code=code)
            except NotFound as exc:
                raise CampaignInvalid(
                    f"no coupon template {code!r}", field="offer_template"
                ) from exc


def _check_kind(
    kind: str, trigger: str | None, schedule: dict[str, Any] | None, now: datetime | None = None
) -> None:
    """What each kind needs: a journey a trigger (and no schedule), a recurring campaign a
    schedule with every_days or day_of_month (and an end, if any, still ahead of ``now``), a
    one-off campaign no repetition."""
    if kind == "journey":
        if not trigger:
            raise CampaignInvalid("a journey needs a trigger", field="trigger")
        if schedule:
            raise CampaignInvalid(
                "a journey runs every day on its trigger and takes no schedule", field="schedule"
            )
    elif kind == "recurring":
        if not schedule:
            raise CampaignInvalid(
                "a recurring campaign needs a schedule with at and every_days", field="schedule"
            )
        if not schedule.get("every_days") and not schedule.get("day_of_month"):
            raise CampaignInvalid(
                "a recurring campaign needs schedule.every_days (every N days) or "
                "schedule.day_of_month (monthly)",
                field="schedule.every_days",
            )
        until = schedule.get("until")
        if until and datetime.fromisoformat(str(until)) < (now or utcnow()):
            raise CampaignInvalid(
                f"schedule.until ({until}) has already passed: the campaign would never run",
                field="schedule.until",
            )
    elif schedule and (
        schedule.get("every_days") or schedule.get("day_of_month") or schedule.get("until")
    ):
        repeat = next(k for k in ("every_days", "day_of_month", "until") if schedule.get(k))
        raise CampaignInvalid(
            "a one-off campaign runs once: every_days, day_of_month and until need kind recurring",
            field=f"schedule.{repeat}",
        )


def _schedule_json(schedule: Schedule | None) -> dict[str, Any] | None:
    return schedule.model_dump(mode="json", exclude_none=True) if schedule else None


def _resting_status(c: Campaign) -> str:
    """The status of a campaign that is not running: scheduled when it has a schedule."""
    return "scheduled" if c.kind != "journey" and c.schedule else "draft"


def create_campaign(
    session: Session, *, data: CampaignCreate, actor: str = "system", now: datetime | None = None
) -> Campaign:
    if session.scalar(select(Campaign.id).where(Campaign.code == data.code)):
        raise CampaignInvalid(f"a campaign with code {data.code!r} already exists", field="code")
    audience_mod.audience_rule(session, data.audience)  # validates the audience's form
    _check_templates(session, [data.offer_template, *(v.offer_template for v in data.variants)])
    schedule = _schedule_json(data.schedule)
    _check_kind(data.kind, data.trigger, schedule, now)
    c = Campaign(
        **data.model_dump(exclude={"variants", "schedule"}),
        variants=[v.model_dump() for v in data.variants],
        schedule=schedule,
        created_by=actor,
    )
    c.status = _resting_status(c)
    session.add(c)
    session.flush()
    audit.record(
        session, actor=actor, action="campaign.create", object_type="campaign", object_id=c.code
    )
    return c


REQUIRED = frozenset(
    {"name", "goal", "kind", "audience", "content", "channels", "variants"}
    | {"holdout_share", "priority", "window_days"}
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def update_campaign(
    session: Session,
    *,
    code: str,
    data: CampaignUpdate,
    actor: str = "system",
    now: datetime | None = None,
) -> Campaign:
    """Change a campaign that has not been launched yet (draft, scheduled or paused).

    Only the fields sent change; the result is checked as a whole (kind, trigger and
    schedule together; audience and coupon templates exist). A launched campaign's members,
    coupons and messages already follow its settings, so it can no longer be changed."""
    c = get_campaign(session, code=code)
    if c.status not in EDITABLE or c.launched_at is not None:
        launched = f", launched {c.launched_at:%Y-%m-%d %H:%M}" if c.launched_at else ""
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}{launched}: only a draft, scheduled or paused "
            "campaign that has not been launched can be changed",
            field="status",
            state=c.status,
        )
    changes: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name in REQUIRED:
            raise CampaignInvalid(f"{name} cannot be null", field=name)
        if name == "schedule":
            value = _schedule_json(value)
        elif name == "variants":
            value = [v.model_dump() for v in value]
        changes[name] = value
    if not changes:
        return c
    if "audience" in changes:
        audience_mod.audience_rule(session, changes["audience"])
    variants = changes.get("variants", c.variants or [])
    offer = changes.get("offer_template", c.offer_template)
    if "offer_template" in changes or "variants" in changes:
        _check_templates(session, [offer, *(v.get("offer_template") for v in variants)])
    kind = changes.get("kind", c.kind)
    _check_kind(kind, changes.get("trigger", c.trigger), changes.get("schedule", c.schedule), now)
    before = {k: _jsonable(getattr(c, k)) for k in changes}
    for name, value in changes.items():
        setattr(c, name, value)
    c.risks = None  # the last risk check no longer describes this campaign
    if c.status != "paused":
        c.status = _resting_status(c)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.update",
        object_type="campaign",
        object_id=c.code,
        detail={"before": before, "after": {k: _jsonable(v) for k, v in changes.items()}},
    )
    return c


def pause_campaign(session: Session, *, code: str, actor: str = "system") -> Campaign:
    """Stop a scheduled, recurring or journey campaign from starting new runs (resumable).
    Messages already queued still go out; cancel withdraws them."""
    c = get_campaign(session, code=code)
    live = c.status in ("scheduled", "running") or (c.status == "draft" and c.kind == "journey")
    if not live or (c.kind == "once" and c.launched_at is not None):
        why = (
            "its only run has already been launched"
            if c.kind == "once" and c.launched_at is not None
            else "only a scheduled or running campaign, or a journey, can be paused"
        )
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}: {why}", field="status", state=c.status
        )
    c.status = "paused"
    session.flush()
    audit.record(
        session, actor=actor, action="campaign.pause", object_type="campaign", object_id=c.code
    )
    return c


def resume_campaign(session: Session, *, code: str, actor: str = "system") -> Campaign:
    """Undo a pause: the next due run starts at the scheduler's next call."""
    c = get_campaign(session, code=code)
    if c.status != "paused":
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}: only a paused campaign can be resumed",
            field="status",
            state=c.status,
        )
    c.status = "running" if c.launched_at is not None else _resting_status(c)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.resume",
        object_type="campaign",
        object_id=c.code,
        detail={"status": c.status},
    )
    return c


def cancel_campaign(session: Session, *, code: str, actor: str = "system") -> Campaign:
    """End a campaign for good: no further runs, and its queued, unsent messages are
    withdrawn (marked suppressed). Coupons already issued stay valid."""
    c = get_campaign(session, code=code)
    if c.status in ("completed", "cancelled"):
        raise CampaignStateError(
            f"campaign {code!r} is already {c.status}", field="status", state=c.status
        )
    withdrawn = messaging.withdraw(session, campaign_id=c.id, reason=f"campaign {c.code} cancelled")
    before = c.status
    c.status = "cancelled"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.cancel",
        object_type="campaign",
        object_id=c.code,
        detail={"was": before, "messages_withdrawn": withdrawn},
    )
    return c


def get_campaign(session: Session, *, code: str) -> Campaign:
    c = session.scalar(select(Campaign).where(Campaign.code == code))
    if c is None:
        raise CampaignNotFound(f"no campaign {code!r}", field="code")
    return c


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.id.desc())))


def _offer_value(session: Session, c: Campaign) -> Decimal:
    if not c.offer_template:
        return Decimal("0")
    return Decimal(coupon_service.get_template(session, code=c.offer_template).face_value or 0)


Choice = tuple[str | None, str]  # (channel or None, why)


def _record_risks(
    session: Session, c: Campaign, profiles: list[dict[str, Any]], choices: list[Choice]
) -> dict[str, Any]:
    n = len(profiles)
    reachable = sum(1 for ch, _ in choices if ch is not None)
    treated = n - round(n * c.holdout_share)
    liability = _offer_value(session, c) * treated
    problems: list[str] = []
    warnings: list[str] = []
    if n == 0:
        problems.append("the audience is empty")
    elif n < 200:
        warnings.append(f"audience of {n} is small: the holdout comparison will be imprecise")
    coverage = reachable / n if n else 0.0
    if n and coverage < 0.5:
        warnings.append(f"only {coverage:.0%} of the audience consented to the chosen channels")
    if c.budget is not None and liability > c.budget:
        problems.append(f"coupon liability {liability} exceeds the budget {c.budget}")
    risks = {
        "audience": n,
        "treatment": treated,
        "holdout": n - treated,
        "reachable": reachable,
        "consent_coverage": round(coverage, 4),
        "coupon_liability": str(liability),
        "budget": str(c.budget) if c.budget is not None else None,
        "problems": problems,
        "warnings": warnings,
        "ok": not problems,
    }
    c.risks = risks
    session.flush()
    return risks


def assess_risks(session: Session, engine: AnalyticsEngine, *, code: str) -> dict[str, Any]:
    """Checks before launch: audience size, consent coverage, coupon liability against budget."""
    c = get_campaign(session, code=code)
    profiles = audience_mod.member_profiles(engine, session, c.audience, c.stratify_by)
    channels = list(c.channels)
    return _record_risks(
        session, c, profiles, [planning.choose_channel(p, channels) for p in profiles]
    )


def _content(c: Campaign, variant: str | None) -> dict[str, Any]:
    content = dict(c.content or {})
    for v in c.variants or []:
        if v.get("name") == variant and v.get("content"):
            content.update(v["content"])
    return content


def launch_campaign(
    session: Session,
    engine: AnalyticsEngine,
    *,
    code: str,
    actor: str = "system",
    now: datetime | None = None,
    policy: planning.PressurePolicy | None = None,
    run: int = 1,
    extra_rule: dict[str, Any] | None = None,
    audience: dict[str, Any] | None = None,
    reentry_days: int | None = None,
) -> dict[str, Any]:
    """Snapshot the audience, split off the holdout, issue offers and queue the messages.

    A journey calls this once per run (``run`` = day number) with its trigger condition as
    ``extra_rule``; members who entered within ``reentry_days`` runs are left out. A recurring
    campaign's scheduler calls it with the run number; each run is its own stratified split of
    that run's audience, coupons of run N belong to ``CODE:N``.

    Written for a million members: the audience is read once (the risk check reuses it), each
    member's channel is chosen once, and members, coupons and messages go to the store as
    Core ``executemany`` batches in customer order (no ORM object per row). The summary's
    ``timing`` separates planning (audience → arms → channels → pressure) from queueing."""
    now = now or utcnow()
    if now.tzinfo is not None:  # stored as UTC: SQLite keeps the wall clock, drops the offset
        now = now.astimezone(UTC)
    policy = policy or planning.PressurePolicy()
    w0, c0 = time.perf_counter(), time.process_time()
    c = get_campaign(session, code=code)
    if c.status not in LAUNCHABLE:
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}; only a draft, scheduled or running campaign can "
            "be launched",
            field="status",
        )
    if c.kind == "journey" and extra_rule is None:
        raise CampaignInvalid(
            f"campaign {code!r} is a journey: it runs every day on its trigger "
            "(run-journey, or `omniretail campaign run-due` from cron); a plain launch would "
            "message its whole audience without the trigger",
            field="kind",
        )
    channels = list(c.channels)
    profiles = audience_mod.member_profiles(
        engine, session, audience or c.audience, c.stratify_by, extra_rule=extra_rule
    )
    choices = [planning.choose_channel(p, channels) for p in profiles]
    if c.kind != "journey":
        risks = _record_risks(session, c, profiles, choices)
        if not risks["ok"]:
            raise CampaignInvalid(
                "cannot launch: " + "; ".join(risks["problems"]), field="audience", risks=risks
            )
    by_id = {str(p["customer_id"]): (p, ch) for p, ch in zip(profiles, choices, strict=True)}
    del profiles, choices
    if reentry_days:
        recent = set(
            session.scalars(
                select(CampaignMember.customer_id).where(
                    CampaignMember.campaign_id == c.id,
                    CampaignMember.run > run - reentry_days,
                    CampaignMember.run != run,
                )
            )
        )
        by_id = {k: v for k, v in by_id.items() if k not in recent}
    variants: list[dict[str, Any]] = list(c.variants or [])
    arms = planning.assign_arms(
        list(by_id),
        [p.get("stratum") for p, _ in by_id.values()],
        campaign_code=c.code,
        holdout_share=c.holdout_share,
        variants=variants,
    )
    arms.sort(key=attrgetter("customer_id"))  # index-friendly insert order
    campaign_id, campaign_code, priority = c.id, c.code, c.priority
    already = set(
        session.scalars(
            select(CampaignMember.customer_id).where(
                CampaignMember.campaign_id == campaign_id, CampaignMember.run == run
            )
        )
    )
    treated_ids = [a.customer_id for a in arms if a.arm == "treatment"]
    messaging.preempt_lower_priority(session, treated_ids, priority=priority, now=now, by=code)
    week, day = messaging.recent_counts(session, treated_ids, now=now)
    del treated_ids
    due = planning.next_send_time(now, policy)
    origin = Origin(kind="journey" if c.kind == "journey" else "campaign", ref=f"{code}:{run}")
    template_of = {v.get("name"): v.get("offer_template") or c.offer_template for v in variants}
    content_of = {name: _content(c, name) for name in [None, *template_of]}
    members: list[dict[str, Any]] = []
    messages: list[MessageRequest] = []
    suppressed: Counter[str] = Counter()
    to_offer: dict[str | None, list[str]] = {}
    n_treated = 0
    for a in arms:
        cid = a.customer_id
        p, (channel, reason) = by_id[cid]
        why: str | None = None
        if a.arm == "treatment":
            n_treated += 1
            if channel is None:
                why = f"unreachable ({reason})"
            else:
                why = planning.pressure_verdict(
                    week_count=week.get(cid, 0),
                    channel_today=day.get((cid, channel), 0),
                    policy=policy,
                )
            if why:
                suppressed[why.split(" (")[0].split(":")[0]] += 1
            template = template_of.get(a.variant, c.offer_template)
            if template:
                to_offer.setdefault(template, []).append(cid)
        if cid in already:
            continue
        members.append(
            {
                "campaign_id": campaign_id,
                "customer_id": cid,
                "arm": a.arm,
                "variant": a.variant,
                "stratum": a.stratum,
                "channel": channel if not why and a.arm == "treatment" else None,
                "store_code": p.get("preferred_store"),
                "suppressed": why[:64] if why else None,  # the column holds 64
                "run": run,
            }
        )
        if a.arm == "treatment" and channel and not why:
            content = content_of.get(a.variant) or content_of[None]
            messages.append(
                MessageRequest(
                    customer_id=cid,
                    channel=channel,
                    recipient=str(p.get(planning.ADDRESS_FOR.get(channel, "customer_id"))),
                    subject=content.get("title", c.name),
                    body=content.get("body") or c.name,
                    link=content.get("link"),  # where the tracked /r/{key} link redirects
                    origin=origin,
                    purpose="marketing",
                    idempotency_key=idempotency_key(campaign_code, run, cid),
                    priority=priority,
                    due_at=due,
                    campaign_id=campaign_id,
                    extra={"variant": a.variant},
                )
            )
    del by_id
    w1, c1 = time.perf_counter(), time.process_time()
    bulk.insert_rows(session, cast(Table, CampaignMember.__table__), members)  # COPY on PG
    del members
    coupons = {"issued": 0, "already_issued": 0, "refused": 0}
    for template, ids in to_offer.items():
        if template:
            res = coupon_service.issue_batch(
                session,
                campaign_id=code if c.kind == "once" else f"{code}:{run}",
                customer_ids=ids,
                template=template,
                now=now,
            )
            coupons["issued"] += res.issued
            coupons["already_issued"] += res.already_issued
            coupons["refused"] += res.refused
    queued = messaging.enqueue_many(session, messages, now=now)
    del messages
    c.status = "running"
    c.launched_at = c.launched_at or now
    if c.kind != "journey":
        _record_run(session, c, run=run, now=now)
    session.flush()
    summary: dict[str, Any] = {
        "campaign": code,
        "run": run,
        "audience": len(arms),
        "treatment": n_treated,
        "holdout": len(arms) - n_treated,
        "messages_queued": queued,
        "suppressed": dict(suppressed),
        "coupons": coupons,
        "send_at": due.isoformat(),
    }
    audit.record(
        session,
        actor=actor,
        action="campaign.launch",
        object_type="campaign",
        object_id=code,
        detail=dict(summary),
    )
    w2, c2 = time.perf_counter(), time.process_time()
    summary["timing"] = {
        "plan_seconds": round(w1 - w0, 3),
        "plan_cpu_seconds": round(c1 - c0, 3),
        "queue_seconds": round(w2 - w1, 3),
        "queue_cpu_seconds": round(c2 - c1, 3),
    }
    return summary


def _record_run(session: Session, c: Campaign, *, run: int, now: datetime) -> None:
    """Remember that run ``run`` was launched (a unique row: the scheduler never repeats it)."""
    if session.scalar(
        select(CampaignRun.id).where(CampaignRun.campaign_id == c.id, CampaignRun.run == run)
    ):
        return
    session.add(CampaignRun(campaign_id=c.id, run=run, launched_at=now))
    session.flush()
