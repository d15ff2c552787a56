"""Pure planning rules: holdout and variant assignment, channel choice, contact pressure.

Assignment is deterministic: a customer's arm and variant follow from a keyed hash of the
campaign code and the customer id, so re-planning a campaign never moves anyone. The holdout
is stratified: within every stratum (e.g. lifecycle stage) exactly ``round(share × n)``
members — those with the smallest hash — are held out.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omniretail.platform.messaging.policy import (  # the rules live with messaging
    PressurePolicy,
    next_send_time,
    pressure_verdict,
)

__all__ = [
    "ADDRESS_FOR",
    "CONSENT_FOR",
    "Assignment",
    "PressurePolicy",
    "assign_arms",
    "choose_channel",
    "next_send_time",
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
