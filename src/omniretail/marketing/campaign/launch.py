"""Launching a campaign run: gather → plan (pure) → queue.

1. **Gather** (reads): the campaign, its audience's profiles (insight's audience
   resolution), each member's channel (consent and addresses, ``planning.choose_channel``),
   the risk check, re-entry, members already recorded for this run (a retried launch), the
   marketing messages each member got lately (the caps, counted by messaging).
2. **Plan** (``planning.plan_launch``, pure): arms, channels and contact pressure → a
   :class:`~omniretail.marketing.campaign.planning.LaunchPlan` of member rows, outputs
   (messages today; a clerk task is another output kind later) and offers.
3. **Queue** (:func:`queue_plan`, writes): member rows, coupons, and each output handed to
   its sender (messages through ``platform.messaging.enqueue_many``).

Services flush; the caller commits. Idempotent: members, coupons (by campaign and customer)
and messages (by key) are never created twice, so a retried launch is harmless. Written for a
million members: the audience is read once, each member's channel chosen once, and rows go to
the store as Core batches (COPY on PostgreSQL) in customer order.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign import planning
from omniretail.marketing.campaign.errors import CampaignInvalid, CampaignStateError
from omniretail.marketing.campaign.models import LAUNCHABLE, Campaign, CampaignMember, CampaignRun
from omniretail.marketing.campaign.schemas import CouponCounts, LaunchSummary, LaunchTiming
from omniretail.marketing.campaign.service import (
    get_campaign,
    member_profiles,
    narrow_audience,
    record_risks,
)
from omniretail.marketing.coupon import service as coupon_service
from omniretail.platform import audit, bulk
from omniretail.platform.clock import business_now
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.i18n import N_
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.schemas import (
    MessageContent,
    Origin,
    PlannedBatch,
    PlannedRecipient,
)


def _content(c: Campaign, variant: str | None) -> dict[str, Any]:
    content = dict(c.content or {})
    for v in c.variants or []:
        if v.get("name") == variant and v.get("content"):
            content.update(v["content"])
    return content


def queue_plan(
    session: Session, c: Campaign, plan: planning.LaunchPlan, *, now: datetime
) -> tuple[int, CouponCounts]:
    """Write a plan: member rows, coupons, and each output through its sender. Returns
    (messages queued, coupon counts)."""
    rows = [
        {
            "campaign_id": c.id,
            "customer_id": m.customer_id,
            "arm": m.arm,
            "variant": m.variant,
            "stratum": m.stratum,
            "channel": m.channel,
            "store_code": m.store_code,
            "suppressed": m.suppressed,
            "run": plan.run,
        }
        for m in plan.members
    ]
    bulk.insert_rows(session, cast(Table, CampaignMember.__table__), rows)  # COPY on PG
    del rows
    coupons = CouponCounts()
    for template, ids in plan.offers.items():
        res = coupon_service.issue_batch(
            session,
            campaign_id=c.code if c.kind == "once" else f"{c.code}:{plan.run}",
            customer_ids=ids,
            template=template,
            now=now,
        )
        coupons.issued += res.issued
        coupons.already_issued += res.already_issued
        coupons.refused += res.refused
    names: list[str | None] = [None, *(v.get("name") for v in c.variants or [])]
    batch = PlannedBatch(
        origin=Origin(
            kind="journey" if c.kind == "journey" else "campaign", ref=f"{c.code}:{plan.run}"
        ),
        purpose="marketing",
        due_at=plan.send_at,
        priority=c.priority,
        campaign_id=c.id,
        contents={
            name or "": MessageContent(
                subject=content.get("title", c.name),
                body=content.get("body") or c.name,
                link=content.get("link"),  # where the tracked /r/{key} link redirects
                extra={"variant": name},
            )
            for name in names
            for content in [_content(c, name)]
        },
    )
    recipients: list[PlannedRecipient] = []
    for out in plan.outputs:
        match out:
            case planning.MessageOutput():
                recipients.append(
                    PlannedRecipient(
                        customer_id=out.customer_id,
                        channel=out.channel,
                        recipient=out.recipient,
                        idempotency_key=f"{c.code}:{plan.run}:{out.customer_id}",
                        content=out.variant or "",
                        fallback=out.fallback,
                    )
                )
    queued = messaging.enqueue_planned(session, batch, recipients, now=now)
    return queued, coupons


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
) -> LaunchSummary:
    """Snapshot the audience, split off the holdout, issue offers and queue the messages.

    A journey calls this once per run (``run`` = day number) with its trigger condition as
    ``extra_rule``; members who entered within ``reentry_days`` runs are left out. A recurring
    campaign's scheduler calls it with the run number; each run is its own stratified split of
    that run's audience, coupons of run N belong to ``CODE:N``. The summary's ``timing``
    separates planning (audience → arms → channels → pressure) from queueing."""
    now = now or business_now()  # a demo instance launches in its world's time
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
            message=N_(
                "Campaign %(code)s cannot be launched now: it is paused, completed or cancelled "
                "(resume a paused campaign first)"
            ),
            params={"code": code},
        )
    if c.kind == "journey" and extra_rule is None:
        raise CampaignInvalid(
            f"campaign {code!r} is a journey: it runs every day on its trigger "
            "(run-journey, or `omniretail campaign run-due` from cron); a plain launch would "
            "message its whole audience without the trigger",
            field="kind",
            message=N_(
                "Campaign %(code)s is a journey: it runs every day on its trigger; start it "
                "with its daily step instead of launching it once"
            ),
            params={"code": code},
        )
    # 1. gather
    channels = list(c.channels)
    profiles = member_profiles(
        engine, session, audience or c.audience, c.stratify_by, extra_rule=extra_rule
    )
    profiles, overlaps, left_out = narrow_audience(session, c, profiles)
    choices = [planning.choose_channel(p, channels) for p in profiles]
    if c.kind != "journey":
        risks = record_risks(session, c, profiles, choices, overlaps=overlaps, left_out=left_out)
        if not risks["ok"]:
            raise CampaignInvalid(
                "cannot launch: " + "; ".join(risks["problems"]),
                field="audience",
                risks=risks,
                message=N_(
                    "Cannot launch: the pre-launch check found a problem (see the checks below)"
                ),
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
    already = set(
        session.scalars(
            select(CampaignMember.customer_id).where(
                CampaignMember.campaign_id == c.id, CampaignMember.run == run
            )
        )
    )
    treated_ids = [a.customer_id for a in arms if a.arm == "treatment"]
    messaging.preempt_lower_priority(session, treated_ids, priority=c.priority, now=now, by=code)
    week, day = messaging.recent_counts(session, treated_ids, now=now)
    del treated_ids
    # 2. plan (pure)
    plan = planning.plan_launch(
        run=run,
        arms=arms,
        profiles=by_id,
        already=already,
        week=week,
        day=day,
        template_of={v.get("name"): v.get("offer_template") or c.offer_template for v in variants},
        default_template=c.offer_template,
        policy=policy,
        now=now,
        channels=channels,
    )
    del by_id, arms
    w1, c1 = time.perf_counter(), time.process_time()
    # 3. queue
    queued, coupons = queue_plan(session, c, plan, now=now)
    c.status = "running"
    c.launched_at = c.launched_at or now
    if c.kind != "journey":
        _record_run(session, c, run=run, now=now)
    session.flush()
    summary = LaunchSummary(
        campaign=code,
        run=run,
        audience=plan.audience,
        treatment=plan.treatment,
        holdout=plan.holdout,
        messages_queued=queued,
        suppressed=dict(plan.suppressed),
        coupons=coupons,
        send_at=plan.send_at,
        left_out=left_out,
    )
    audit.record(
        session,
        actor=actor,
        action="campaign.launch",
        object_type="campaign",
        object_id=code,
        detail=summary.model_dump(mode="json", exclude_none=True),
    )
    w2, c2 = time.perf_counter(), time.process_time()
    summary.timing = LaunchTiming(
        plan_seconds=round(w1 - w0, 3),
        plan_cpu_seconds=round(c1 - c0, 3),
        queue_seconds=round(w2 - w1, 3),
        queue_cpu_seconds=round(c2 - c1, 3),
    )
    return summary


def _record_run(session: Session, c: Campaign, *, run: int, now: datetime) -> None:
    """Remember that run ``run`` was launched (a unique row: the scheduler never repeats it)."""
    if session.scalar(
        select(CampaignRun.id).where(CampaignRun.campaign_id == c.id, CampaignRun.run == run)
    ):
        return
    session.add(CampaignRun(campaign_id=c.id, run=run, launched_at=now))
    session.flush()
