"""Overlap between a campaign's audience and the campaigns already running.

A member who is in another live campaign (running or paused, launched) is named before launch
with that campaign, and whether the two share a coupon with a per-person limit (the second
campaign's coupon would be refused to them). Two rules decide who is left out at launch:

- **Protected holdouts** (default): a member of another live campaign's holdout is left out,
  so the other campaign's comparison stays clean (its holdout gets no marketing from us).
  ``audience.include_other_holdouts: true`` turns it off for one campaign.
- **Excluded campaigns**: ``audience.exclude_campaigns: [code, …]`` leaves out every member
  of those campaigns (the pre-launch check offers it for each overlapping campaign).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.marketing.coupon import service as coupon_service
from omniretail.platform.errors import NotFound

LIVE = ("running", "paused")


@dataclass
class Overlap:
    """Members of this audience who are also in another live campaign."""

    code: str
    name: str
    offer_template: str | None
    members: set[str] = field(default_factory=set)
    holdout: set[str] = field(default_factory=set)


def overlaps(session: Session, c: Campaign, customer_ids: Iterable[str]) -> list[Overlap]:
    """Every other live campaign sharing members with ``customer_ids``, largest first (one
    streamed query over the live campaigns' member rows)."""
    ids = set(customer_ids)
    if not ids:
        return []
    q = (
        select(
            Campaign.code,
            Campaign.name,
            Campaign.offer_template,
            CampaignMember.customer_id,
            CampaignMember.arm,
        )
        .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(Campaign.id != c.id, Campaign.status.in_(LIVE), Campaign.launched_at.is_not(None))
        .execution_options(yield_per=10_000)
    )
    found: dict[str, Overlap] = {}
    for code, name, template, customer, arm in session.execute(q):
        if customer not in ids:
            continue
        o = found.get(code) or found.setdefault(code, Overlap(code, name, template))
        o.members.add(customer)
        if arm == "holdout":
            o.holdout.add(customer)
    return sorted(found.values(), key=lambda o: (-len(o.members), o.code))


def left_out(c: Campaign, found: list[Overlap]) -> tuple[set[str], dict[str, int]]:
    """Who this campaign leaves out at launch, and how many for each reason."""
    audience = c.audience or {}
    excluded = {str(x) for x in audience.get("exclude_campaigns") or []}
    protect = not audience.get("include_other_holdouts")
    by_campaign: set[str] = set()
    holdouts: set[str] = set()
    for o in found:
        if o.code in excluded:
            by_campaign |= o.members
        elif protect:
            holdouts |= o.holdout
    holdouts -= by_campaign
    counts = {"excluded": len(by_campaign), "protected_holdout": len(holdouts)}
    return by_campaign | holdouts, {k: n for k, n in counts.items() if n}


def per_person_limit(session: Session, template: str | None) -> int | None:
    if not template:
        return None
    try:
        return coupon_service.get_template(session, code=template).per_customer_limit
    except NotFound:
        return None


def summary(
    session: Session, c: Campaign, found: list[Overlap], drop: set[str]
) -> list[dict[str, Any]]:
    """The overlaps as the risk check records them: per campaign, the members still shared
    after the exclusions, its holdout members left out, and a shared limited coupon."""
    limit = per_person_limit(session, c.offer_template)
    out = []
    for o in found:
        shared = len(o.members - drop)
        same_coupon = bool(c.offer_template and o.offer_template == c.offer_template and limit)
        out.append(
            {
                "campaign": o.code,
                "name": o.name,
                "members": shared,
                "holdout_protected": len(o.holdout & drop) if o.code not in _excluded(c) else 0,
                "excluded": o.code in _excluded(c),
                "same_coupon": same_coupon,
                "coupon_limit": limit if same_coupon else None,
            }
        )
    return out


def _excluded(c: Campaign) -> set[str]:
    return {str(x) for x in (c.audience or {}).get("exclude_campaigns") or []}
