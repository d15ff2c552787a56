"""Journeys (自动化旅程): a campaign with a trigger runs every day for the members who meet the
trigger that day. Each run is an ordinary launch (holdout, caps, outbox) numbered by the day,
and a member re-enters a journey only after its re-entry period.

| trigger | who enters on a run | re-entry |
|---|---|---|
| welcome | registered in the last 7 days (``member_days`` ≤ 7) | never (10 years) |
| birthday | birthday this month (``birthday_this_month``) | 330 days |
| post_purchase | bought yesterday (``days_since_last_order`` = 1) | 7 days |
| repurchase_due | replenishment due (``overdue_ratio`` between 0.9 and 1.3) | 21 days |
| coupon_expiring | holds a coupon that expires in the next 3 days (operational store) | 7 days |
| dormant_reactivation | lifecycle stage dormant | 60 days |
| new_product_launch | the customers most likely to like ``audience.likely_fans_of`` | never |
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign.errors import CampaignInvalid
from omniretail.marketing.campaign.launch import launch_campaign
from omniretail.marketing.campaign.schemas import LaunchSummary
from omniretail.marketing.campaign.service import get_campaign
from omniretail.marketing.coupon.models import Coupon
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine

NEVER = 3650
TRIGGERS: dict[str, tuple[dict[str, Any] | None, int]] = {
    "welcome": ({"field": "member_days", "op": "lte", "value": 7}, NEVER),
    "birthday": ({"field": "birthday_this_month", "op": "is_true"}, 330),
    "post_purchase": ({"field": "days_since_last_order", "op": "eq", "value": 1}, 7),
    "repurchase_due": ({"field": "overdue_ratio", "op": "between", "value": [0.9, 1.3]}, 21),
    "coupon_expiring": (None, 7),
    "dormant_reactivation": ({"field": "lifecycle_stage", "op": "eq", "value": "dormant"}, 60),
    "new_product_launch": (None, NEVER),
}


def _expiring_holders(session: Session, now: datetime, days: int = 3) -> list[str]:
    return list(
        session.scalars(
            select(Coupon.customer_id)
            .where(
                Coupon.status == "issued",
                Coupon.valid_until.is_not(None),
                Coupon.valid_until > now,
                Coupon.valid_until <= now + timedelta(days=days),
            )
            .distinct()
        )
    )


def run_journey(
    session: Session,
    engine: AnalyticsEngine,
    *,
    code: str,
    today: date | None = None,
    actor: str = "journey",
    now: datetime | None = None,
) -> LaunchSummary:
    """Run one day of a journey; running the same day again adds nobody."""
    c = get_campaign(session, code=code)
    if c.kind != "journey" or not c.trigger:
        raise CampaignInvalid(f"campaign {code!r} is not a journey", field="kind")
    now = now or utcnow()
    today = today or now.date()
    rule, reentry = TRIGGERS[c.trigger]
    audience: dict[str, Any] | None = None
    if c.trigger == "coupon_expiring":
        audience = {"customer_ids": _expiring_holders(session, now)}
    if c.trigger == "new_product_launch" and "likely_fans_of" not in c.audience:
        raise CampaignInvalid(
            "a new-product journey needs audience.likely_fans_of", field="audience"
        )
    out = launch_campaign(
        session,
        engine,
        code=code,
        actor=actor,
        now=now,
        run=today.toordinal(),
        extra_rule=rule,
        audience=audience,
        reentry_days=reentry,
    )
    return out.model_copy(update={"run": today.isoformat(), "trigger": c.trigger})


def run_due_journeys(
    session: Session, engine: AnalyticsEngine, *, today: date | None = None
) -> list[LaunchSummary]:
    """Run today's step of every journey that is a draft or running (the daily job)."""
    from omniretail.marketing.campaign.service import list_campaigns

    return [
        run_journey(session, engine, code=c.code, today=today)
        for c in list_campaigns(session)
        if c.kind == "journey" and c.status in ("draft", "running")
    ]


def launch(session: Session, engine: AnalyticsEngine, *, code: str, actor: str) -> LaunchSummary:
    """Launch a campaign (the API's, console's and CLI's "Launch"). A journey is started by
    running today's step on its trigger; the daily job runs the following days."""
    if get_campaign(session, code=code).kind == "journey":
        return run_journey(session, engine, code=code, actor=actor)
    return launch_campaign(session, engine, code=code, actor=actor)
