"""Campaign verbs: create, check risks, launch (snapshot → holdout → offer → outbox), report.

Services flush; the caller commits. Launch is idempotent: members, coupons (by campaign and
customer) and messages (by key) are never created twice, so a retried launch is harmless.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign import audience as audience_mod
from omniretail.marketing.campaign import planning
from omniretail.marketing.campaign.errors import (
    CampaignInvalid,
    CampaignNotFound,
    CampaignStateError,
)
from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.marketing.campaign.schemas import CampaignCreate
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.messaging import service as messaging
from omniretail.marketing.messaging.config import get_messaging_settings
from omniretail.platform import audit
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import NotFound


def create_campaign(session: Session, *, data: CampaignCreate, actor: str = "system") -> Campaign:
    if session.scalar(select(Campaign.id).where(Campaign.code == data.code)):
        raise CampaignInvalid(f"a campaign with code {data.code!r} already exists", field="code")
    audience_mod.audience_rule(session, data.audience)  # validates the audience's form
    for code in [data.offer_template, *(v.offer_template for v in data.variants)]:
        if code:
            try:
                coupon_service.get_template(session, code=code)
            except NotFound as exc:
                raise CampaignInvalid(
                    f"no coupon template {code!r}", field="offer_template"
                ) from exc
    if data.kind == "journey" and not data.trigger:
        raise CampaignInvalid("a journey needs a trigger", field="trigger")
    c = Campaign(
        **data.model_dump(exclude={"variants"}),
        variants=[v.model_dump() for v in data.variants],
        created_by=actor,
    )
    session.add(c)
    session.flush()
    audit.record(
        session, actor=actor, action="campaign.create", object_type="campaign", object_id=c.code
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


def assess_risks(session: Session, engine: AnalyticsEngine, *, code: str) -> dict[str, Any]:
    """Checks before launch: audience size, consent coverage, coupon liability against budget."""
    c = get_campaign(session, code=code)
    profiles = audience_mod.member_profiles(engine, session, c.audience, c.stratify_by)
    n = len(profiles)
    reachable = sum(1 for p in profiles if planning.choose_channel(p, c.channels)[0] is not None)
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
    ``extra_rule``; members who entered within ``reentry_days`` runs are left out."""
    now = now or utcnow()
    policy = policy or planning.PressurePolicy()
    c = get_campaign(session, code=code)
    if c.status not in ("draft", "running"):
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}; only a draft can be launched", field="status"
        )
    if c.kind != "journey":
        risks = assess_risks(session, engine, code=code)
        if not risks["ok"]:
            raise CampaignInvalid(
                "cannot launch: " + "; ".join(risks["problems"]), field="audience", risks=risks
            )
    profiles = audience_mod.member_profiles(
        engine, session, audience or c.audience, c.stratify_by, extra_rule=extra_rule
    )
    by_id = {str(p["customer_id"]): p for p in profiles}
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
    arms = planning.assign_arms(
        list(by_id),
        [p.get("stratum") for p in by_id.values()],
        campaign_code=c.code,
        holdout_share=c.holdout_share,
        variants=c.variants or [],
    )
    already = set(
        session.scalars(
            select(CampaignMember.customer_id).where(
                CampaignMember.campaign_id == c.id, CampaignMember.run == run
            )
        )
    )
    treated_ids = [a.customer_id for a in arms if a.arm == "treatment"]
    messaging.preempt_lower_priority(session, treated_ids, priority=c.priority, now=now, by=c.code)
    week, day = messaging.recent_counts(session, treated_ids, now=now)
    due = planning.next_send_time(now, policy)
    msettings = get_messaging_settings()
    members: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    suppressed: Counter[str] = Counter()
    to_offer: dict[str | None, list[str]] = {}
    for a in arms:
        p = by_id[a.customer_id]
        channel: str | None = None
        why: str | None = None
        if a.arm == "treatment":
            channel, reason = planning.choose_channel(p, c.channels)
            if channel is None:
                why = f"unreachable ({reason})"
            else:
                why = planning.pressure_verdict(
                    week_count=week.get(a.customer_id, 0),
                    channel_today=day.get((a.customer_id, channel), 0),
                    policy=policy,
                )
            if why:
                suppressed[why.split(" (")[0].split(":")[0]] += 1
            template = next(
                (
                    v.get("offer_template")
                    for v in c.variants or []
                    if v.get("name") == a.variant and v.get("offer_template")
                ),
                c.offer_template,
            )
            if template:
                to_offer.setdefault(template, []).append(a.customer_id)
        if a.customer_id in already:
            continue
        members.append(
            {
                "campaign_id": c.id,
                "customer_id": a.customer_id,
                "arm": a.arm,
                "variant": a.variant,
                "stratum": a.stratum,
                "channel": channel if not why else None,
                "store_code": p.get("preferred_store"),
                "suppressed": why,
                "run": run,
            }
        )
        if a.arm == "treatment" and channel and not why:
            content = _content(c, a.variant)
            address_col = planning.ADDRESS_FOR.get(channel, "customer_id")
            key = f"{c.code}:{run}:{a.customer_id}"
            link = f"{msettings.click_base_url}/r/{key}"  # tracked; redirects to content.link
            messages.append(
                {
                    "key": key,
                    "campaign_id": c.id,
                    "customer_id": a.customer_id,
                    "channel": channel,
                    "recipient": str(p.get(address_col)),
                    "payload": {
                        "title": content.get("title", c.name),
                        "body": content.get("body", c.name),
                        "link": link,
                        "target": content.get("link"),
                        "extra": {"variant": a.variant},
                    },
                    "priority": c.priority,
                    "status": "queued",
                    "due_at": due,
                    "attempts": 0,
                    "created_at": now,
                }
            )
    for i in range(0, len(members), 5000):
        session.execute(insert(CampaignMember), members[i : i + 5000])
    coupons = {"issued": 0, "already_issued": 0, "refused": 0}
    for template, ids in to_offer.items():
        if template:
            res = coupon_service.issue_batch(
                session,
                campaign_id=c.code if c.kind != "journey" else f"{c.code}:{run}",
                customer_ids=ids,
                template=template,
                now=now,
            )
            coupons["issued"] += res.issued
            coupons["already_issued"] += res.already_issued
            coupons["refused"] += res.refused
    queued = messaging.enqueue(session, messages)
    c.status = "running"
    c.launched_at = c.launched_at or now
    session.flush()
    summary = {
        "campaign": c.code,
        "audience": len(arms),
        "treatment": sum(a.arm == "treatment" for a in arms),
        "holdout": sum(a.arm == "holdout" for a in arms),
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
        object_id=c.code,
        detail=summary,
    )
    return summary
