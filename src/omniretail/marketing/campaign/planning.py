"""Pure planning rules: holdout and variant assignment, channel choice, contact pressure.

Assignment is deterministic: a customer's arm and variant follow from a keyed hash of the
campaign code and the customer id, so re-planning a campaign never moves anyone. The holdout
is stratified: within every stratum (e.g. lifecycle stage) exactly ``round(share × n)``
members — those with the smallest hash — are held out.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from omniretail.platform.messaging.policy import (  # the rules live with messaging
    PressurePolicy,
    next_send_time,
    pressure_verdict,
)

__all__ = [
    "ADDRESS_FOR",
    "CONSENT_FOR",
    "Assignment",
    "LaunchOutput",
    "LaunchPlan",
    "MemberPlan",
    "MessageOutput",
    "PressurePolicy",
    "assign_arms",
    "choose_channel",
    "fallback_channels",
    "next_send_time",
    "plan_launch",
    "pressure_verdict",
]

# Where a member will see a message, by the sales/contact channel they are most active in.
MESSAGE_CHANNEL_FOR = {
    "miniprogram": "wechat",
    "wechat_oa": "wechat",
    "wecom": "wecom",
    "enterprise": "wecom",
    "app": "app_push",
    "pos": "sms",
    "groupbuy": "wecom",
}
MESSAGE_CHANNELS = ("wechat", "wecom", "app_push", "sms", "email", "webhook", "file")
CONSENT_FOR = {
    "sms": "consent_sms",
    "email": "consent_email",
    "wechat": "consent_wechat",
    "wecom": "consent_wechat",
    "app_push": "consent_app_push",
}
ADDRESS_FOR = {
    "sms": "phone",
    "email": "email",
    "wechat": "openid",
    "wecom": "wecom_external_userid",
    "app_push": "customer_id",
    "webhook": "customer_id",
    "file": "customer_id",
}


def unit_hash(*parts: str) -> float:
    digest = hashlib.blake2b(":".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class Assignment:
    customer_id: str
    arm: str
    variant: str | None
    stratum: str


def assign_arms(
    customer_ids: Sequence[str],
    strata: Sequence[str | None],
    *,
    campaign_code: str,
    holdout_share: float,
    variants: Sequence[dict[str, Any]] = (),
) -> list[Assignment]:
    if not 0 <= holdout_share < 1:
        raise ValueError("holdout_share must be in [0, 1)")
    groups: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for cid, stratum in zip(customer_ids, strata, strict=True):
        groups[str(stratum or "unknown")].append((unit_hash(campaign_code, "arm", cid), cid))
    weights = [float(v.get("weight", 1.0)) for v in variants]
    total_w = sum(weights)
    out: list[Assignment] = []
    for stratum, members in groups.items():
        members.sort()
        n_hold = round(holdout_share * len(members))
        for i, (_, cid) in enumerate(members):
            variant = None
            if variants:
                u = unit_hash(campaign_code, "variant", cid) * total_w
                acc = 0.0
                for v, w in zip(variants, weights, strict=True):
                    acc += w
                    if u < acc:
                        variant = str(v["name"])
                        break
                else:
                    variant = str(variants[-1]["name"])
            out.append(Assignment(cid, "holdout" if i < n_hold else "treatment", variant, stratum))
    return out


def choose_channel(profile: dict[str, Any], channels: Sequence[str]) -> tuple[str | None, str]:
    """The member's most active channel among those they consented to, else the fallback order.

    Returns (channel, reason); channel is None when the member cannot be reached.
    An explicit opt-out (consent false) always wins; marketing needs an opt-in (true).
    """
    preferred = MESSAGE_CHANNEL_FOR.get(str(profile.get("most_active_channel") or ""), "")
    order = ([preferred] if preferred in channels else []) + [c for c in channels if c != preferred]
    reasons: list[str] = []
    for ch in order:
        consent_col = CONSENT_FOR.get(ch)
        if consent_col is not None and profile.get(consent_col) is not True:
            reasons.append(f"{ch}:no-consent")
            continue
        if not profile.get(ADDRESS_FOR.get(ch, "customer_id")):
            reasons.append(f"{ch}:no-address")
            continue
        return ch, "preferred" if ch == preferred else "fallback"
    return None, ",".join(reasons) or "no channel"


def fallback_channels(
    profile: dict[str, Any], channels: Sequence[str], chosen: str
) -> tuple[tuple[str, str], ...]:
    """The channels to fall back on, in the campaign's order, when ``chosen`` fails: the
    other chosen channels the member consented to and has an address on, with the address."""
    out = []
    for ch in channels:
        if ch == chosen:
            continue
        consent_col = CONSENT_FOR.get(ch)
        if consent_col is not None and profile.get(consent_col) is not True:
            continue
        address = profile.get(ADDRESS_FOR.get(ch, "customer_id"))
        if address:
            out.append((ch, str(address)))
    return tuple(out)


# -- the launch plan: pure data in, a typed plan out ---------------------------------------
@dataclass(frozen=True)
class MemberPlan:
    """A member of this run: arm, variant, stratum, the channel used (a reached treatment
    member only) and why a treatment member got nothing (``suppressed``)."""

    customer_id: str
    arm: str
    variant: str | None
    stratum: str
    channel: str | None
    store_code: str | None
    suppressed: str | None


@dataclass(frozen=True)
class MessageOutput:
    """A message to queue for a treatment member (content comes from the variant)."""

    kind: ClassVar[str] = "message"
    customer_id: str
    channel: str
    recipient: str
    variant: str | None
    fallback: tuple[tuple[str, str], ...] = ()  # (channel, address) to try next, in order


# What a plan asks the queue step to produce. A clerk task (1:1 outreach by the member's
# shopping guide) joins this union as another frozen dataclass with its own ``kind``.
LaunchOutput = MessageOutput


@dataclass
class LaunchPlan:
    run: int
    send_at: datetime
    audience: int
    treatment: int
    members: list[MemberPlan] = field(default_factory=list)  # new in this run (not a retry)
    outputs: list[LaunchOutput] = field(default_factory=list)
    offers: dict[str, list[str]] = field(default_factory=dict)  # coupon template -> members
    suppressed: Counter[str] = field(default_factory=Counter)

    @property
    def holdout(self) -> int:
        return self.audience - self.treatment


def plan_launch(
    *,
    run: int,
    arms: Sequence[Assignment],
    profiles: Mapping[str, tuple[dict[str, Any], tuple[str | None, str]]],
    already: set[str],
    week: Mapping[str, int],
    day: Mapping[tuple[str, str], int],
    template_of: Mapping[str | None, str | None],
    default_template: str | None,
    policy: PressurePolicy,
    now: datetime,
    channels: Sequence[str] = (),
) -> LaunchPlan:
    """The pure plan step: arms (already assigned), channel choices, contact pressure (the
    marketing caps counted in ``week``/``day``) → who gets which output and offer.

    ``profiles``: customer id → (audience profile, (channel, reason)); ``already``: members
    of this run recorded by an earlier, retried launch (they get no new member row)."""
    plan = LaunchPlan(run=run, send_at=next_send_time(now, policy), audience=len(arms), treatment=0)
    for a in arms:
        cid = a.customer_id
        p, (channel, reason) = profiles[cid]
        why: str | None = None
        if a.arm == "treatment":
            plan.treatment += 1
            if channel is None:
                why = f"unreachable ({reason})"
            else:
                why = pressure_verdict(
                    week_count=week.get(cid, 0),
                    channel_today=day.get((cid, channel), 0),
                    policy=policy,
                )
            if why:
                plan.suppressed[why.split(" (")[0].split(":")[0]] += 1
            template = template_of.get(a.variant, default_template)
            if template:
                plan.offers.setdefault(template, []).append(cid)
        if cid in already:
            continue
        reached = a.arm == "treatment" and channel is not None and not why
        plan.members.append(
            MemberPlan(
                customer_id=cid,
                arm=a.arm,
                variant=a.variant,
                stratum=a.stratum,
                channel=channel if reached else None,
                store_code=p.get("preferred_store"),
                suppressed=why[:64] if why else None,  # the column holds 64
            )
        )
        if reached and channel is not None:
            plan.outputs.append(
                MessageOutput(
                    customer_id=cid,
                    channel=channel,
                    recipient=str(p.get(ADDRESS_FOR.get(channel, "customer_id"))),
                    variant=a.variant,
                    fallback=fallback_channels(p, channels, channel),
                )
            )
    return plan
