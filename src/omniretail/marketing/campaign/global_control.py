"""The global control group (全局对照组): a chain-wide holdout.

A share of all customers (0–50%) is kept out of every campaign, chosen by a stable hash of a
salt fixed when the group is first switched on and the customer id: the same customers stay in
it across campaigns, runs and days, and raising the share only adds customers. A campaign
leaves them out at launch unless its audience says ``include_global_control: true`` (a service
message, say). Their purchases against everyone else's, from the day the group was switched on,
measure what the whole marketing programme adds (the lift), with 95% intervals.

Changes are audited (who, old and new share).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign.models import GlobalControl
from omniretail.marketing.campaign.schemas import SCHEDULE_TZ
from omniretail.marketing.campaign.stats import mean_effect, proportion_effect
from omniretail.platform import audit
from omniretail.platform.clock import business_now
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import InvalidInput
from omniretail.platform.i18n import N_

MAX_SHARE = 0.5
_SCALE = float(16**15)

SHARE_OUT_OF_RANGE = N_(
    "The global control group's share must be a number from 0 to %(max)s percent"
)


def current(session: Session) -> GlobalControl | None:
    return session.scalar(select(GlobalControl).order_by(GlobalControl.id).limit(1))


def share_of(session: Session) -> float:
    row = current(session)
    return float(row.share) if row is not None else 0.0


def set_share(
    session: Session, *, share: Any, actor: str, now: datetime | None = None
) -> GlobalControl:
    """Set the share (a fraction, 0 switches the group off). Audited; ``since`` restarts when
    the group is switched on or resized, so the lift is measured on one stable group."""
    try:
        value = float(share)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 <= value <= MAX_SHARE:  # also refuses NaN
        raise InvalidInput(
            f"share must be a number from 0 to {MAX_SHARE}, got {share!r}",
            field="share",
            message=SHARE_OUT_OF_RANGE,
            params={"max": int(MAX_SHARE * 100)},
        )
    value = round(value, 4)
    now = now or business_now()
    row = current(session)
    before = float(row.share) if row is not None else 0.0
    if row is None:
        row = GlobalControl(share=0.0, salt=secrets.token_hex(8))
        session.add(row)
    if value != before:
        row.since = now if value > 0 else None
    row.share = value
    row.updated_by = actor
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.global_control",
        object_type="global_control",
        object_id=str(row.id),
        detail={"share_before": before, "share": value},
    )
    return row


def is_member(salt: str, share: float, customer_id: str) -> bool:
    """In the group: the first 60 bits of sha256(salt:customer_id) as a fraction < share."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).hexdigest()
    return int(digest[:15], 16) / _SCALE < share


def members_among(session: Session, customer_ids: Iterable[str]) -> set[str]:
    """The customers of ``customer_ids`` in the global control group (none when it is off)."""
    row = current(session)
    if row is None or row.share <= 0:
        return set()
    return {c for c in customer_ids if is_member(row.salt, row.share, c)}


def _local_day(t: datetime) -> date:
    aware = t if t.tzinfo else t.replace(tzinfo=UTC)
    return aware.astimezone(SCHEDULE_TZ).date()


def lift(session: Session, engine: AnalyticsEngine, *, days: int = 30) -> dict[str, Any]:
    """Everyone else against the global control group, per customer, over the last ``days``
    days of the snapshot since the group was switched on: buyers' share and sales per customer,
    the differences with 95% intervals. ``status`` says why there is no estimate yet."""
    row = current(session)
    out: dict[str, Any] = {"share": row.share if row else 0.0, "days": days, "status": "ok"}
    if row is None or row.share <= 0 or row.since is None:
        out["status"] = "off"
        return out
    as_of = engine.scalar("SELECT as_of FROM ins_as_of")
    if as_of is None:
        out["status"] = "no_data"
        return out
    end = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of)[:10])
    start = max(_local_day(row.since), end - timedelta(days=days - 1))
    out.update(start=start.isoformat(), end=end.isoformat())
    if start > end:
        out["status"] = "waiting"  # switched on after the snapshot's last day
        return out
    customers = [
        str(v)
        for v in engine.fetch_arrow("SELECT customer_id FROM customer_tags ORDER BY customer_id")
        .column(0)
        .to_pylist()
    ]
    bought = {
        str(r["customer_id"]): float(r["revenue"] or 0)
        for r in engine.fetch_rows(
            """
            SELECT customer_id, sum(paid_amount)::DOUBLE AS revenue FROM orders
            WHERE customer_id IS NOT NULL AND CAST(ordered_at AS DATE) BETWEEN ? AND ?
              AND coalesce(status, 'paid') NOT IN ('cancelled')
            GROUP BY customer_id
            """,
            [start, end],
        )
    }
    control = [c for c in customers if is_member(row.salt, row.share, c)]
    chosen = set(control)
    rest = [c for c in customers if c not in chosen]
    out.update(control=len(control), rest=len(rest))
    if len(control) < 2 or len(rest) < 2:
        out["status"] = "too_small"
        return out

    def arm(ids: list[str]) -> tuple[int, np.ndarray]:
        rev = np.array([bought.get(i, 0.0) for i in ids], dtype=float)
        return sum(1 for i in ids if i in bought), rev

    buyers_r, rev_r = arm(rest)
    buyers_c, rev_c = arm(control)
    out["buyers"] = {"rest": buyers_r, "control": buyers_c}
    out["conversion_effect"] = proportion_effect(
        buyers_r, len(rest), buyers_c, len(control)
    ).as_dict()
    out["sales_per_customer_effect"] = mean_effect(rev_r, rev_c).as_dict()
    return out
