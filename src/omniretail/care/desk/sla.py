"""SLA policies: first response, next response and resolution targets (business hours) per
ticket priority × member tier. A higher tier gets shorter targets; urgent is the same for all."""

from __future__ import annotations

from dataclasses import dataclass

PRIORITIES = ("urgent", "high", "normal", "low")
PRIORITY_ZH = {"urgent": "紧急", "high": "高", "normal": "普通", "low": "低"}
TIERS = ("black", "gold", "silver", "regular")


@dataclass(frozen=True)
class SlaTargets:
    first_response_h: float
    next_response_h: float
    resolution_h: float


BASE: dict[str, SlaTargets] = {
    "urgent": SlaTargets(0.25, 0.5, 4),
    "high": SlaTargets(1, 2, 12),
    "normal": SlaTargets(4, 8, 36),
    "low": SlaTargets(8, 12, 72),
}
TIER_FACTOR = {"black": 0.5, "gold": 0.75, "silver": 0.9, "regular": 1.0}


def targets(priority: str, tier: str | None) -> SlaTargets:
    base = BASE[priority]
    f = 1.0 if priority == "urgent" else TIER_FACTOR.get(tier or "regular", 1.0)
    return SlaTargets(base.first_response_h * f, base.next_response_h * f, base.resolution_h * f)
