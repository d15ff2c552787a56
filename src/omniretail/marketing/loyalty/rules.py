"""The chain's points rules (积分规则): set from the console, read by the ledger.

Points for an order = floor(amount × rate × tier/birthday multiplier), where the rate is the
order's channel's (``channel_rates``) or the base rate, capped at ``max_points_per_order`` when
set; each earned or added bucket expires ``expiry_days`` after it was earned. A change applies
to orders earned after it (buckets keep the expiry they were given) and is audited with the
rules before and after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty.errors import PointsInvalid
from omniretail.marketing.loyalty.models import PointsRules
from omniretail.platform import audit
from omniretail.platform.db import utcnow
from omniretail.platform.i18n import N_

MAX_RATE = Decimal("100")
_SOURCE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Rules:
    base_rate: Decimal = Decimal("1")
    channel_rates: dict[str, Decimal] = field(default_factory=dict)
    expiry_days: int = 365
    max_points_per_order: int | None = None

    def rate(self, source: str) -> Decimal:
        return self.channel_rates.get(source, self.base_rate)

    def as_json(self) -> dict[str, Any]:
        return {
            "base_rate": str(self.base_rate),
            "channel_rates": {k: str(v) for k, v in sorted(self.channel_rates.items())},
            "expiry_days": self.expiry_days,
            "max_points_per_order": self.max_points_per_order,
        }


DEFAULT = Rules()


def current(session: Session) -> Rules:
    row = session.scalar(select(PointsRules).order_by(PointsRules.id).limit(1))
    if row is None:
        return DEFAULT
    return Rules(
        base_rate=Decimal(row.base_rate),
        channel_rates={k: Decimal(str(v)) for k, v in (row.channel_rates or {}).items()},
        expiry_days=row.expiry_days,
        max_points_per_order=row.max_points_per_order,
    )


def _bad(field_name: str, detail: str, message: str, **params: Any) -> PointsInvalid:
    return PointsInvalid(detail, field=field_name, message=message, params=params)


def _rate(value: Any, where: str) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        rate = Decimal("NaN")
    if not rate.is_finite() or not 0 <= rate <= MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        detail = f"{where}: {value!r} is not a rate from 0 to {MAX_RATE} (two decimals)"
        if where == "base_rate":
            raise _bad(where, detail, N_(
                "The base rate must be points per yuan from 0 to 100 (two decimals at most)."
            ))  # fmt: skip
        raise _bad(
            "channel_rates", detail,
            N_("The rate of channel %(source)s must be points per yuan from 0 to 100 "
               "(two decimals at most)."),
            source=where,
        )  # fmt: skip
    return rate.quantize(Decimal("0.01"))


def validate(
    *, base_rate: Any, channel_rates: dict[str, Any], expiry_days: Any,
    max_points_per_order: Any,
) -> Rules:  # fmt: skip
    """The rules checked and typed; the first problem names its field."""
    base = _rate(base_rate, "base_rate")
    rates: dict[str, Decimal] = {}
    for source, value in channel_rates.items():
        if not isinstance(source, str) or not _SOURCE.match(source):
            raise _bad(
                "channel_rates", f"{source!r} is not a channel code",
                N_("%(source)s is not a channel code (lower-case letters, digits, _)."),
                source=source,
            )  # fmt: skip
        rates[source] = _rate(value, source)
    try:
        days = int(str(expiry_days).strip())
    except ValueError:
        days = 0
    if not 1 <= days <= 3650:
        raise _bad(
            "expiry_days", f"expiry_days must be 1 to 3650, got {expiry_days!r}",
            N_("Points must live from 1 to 3650 days."),
        )  # fmt: skip
    cap: int | None = None
    if max_points_per_order not in (None, ""):
        try:
            cap = int(str(max_points_per_order).strip())
        except ValueError:
            cap = 0
        if cap < 1:
            raise _bad(
                "max_points_per_order", f"max_points_per_order must be a positive whole number, "
                f"got {max_points_per_order!r}",
                N_("The most points per order must be a positive whole number (empty: no cap)."),
            )  # fmt: skip
    return Rules(base, rates, days, cap)


def set_rules(
    session: Session, *, rules: Rules, actor: str, reason: str | None = None,
    now: datetime | None = None,
) -> Rules:  # fmt: skip
    """Store the rules (checked with :func:`validate`), audited with the rules before."""
    before = current(session)
    row = session.scalar(select(PointsRules).order_by(PointsRules.id).limit(1))
    if row is None:
        row = PointsRules()
        session.add(row)
    row.base_rate = rules.base_rate
    row.channel_rates = {k: str(v) for k, v in sorted(rules.channel_rates.items())}
    row.expiry_days = rules.expiry_days
    row.max_points_per_order = rules.max_points_per_order
    row.updated_by = actor
    row.updated_at = now or utcnow()
    session.flush()
    audit.record(
        session, actor=actor, action="loyalty.points_rules", object_type="points_rules",
        object_id=str(row.id), detail={"before": before.as_json(), "after": rules.as_json()},
        reason=reason,
    )  # fmt: skip
    return rules
