"""Desk reports: one row per ticket (CSV), % SLA met per agent / team / store, response and
resolution time distributions (business hours), backlog and CSAT."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.care.desk.models import Ticket
from omniretail.care.desk.service import HOURS

COLUMNS = [
    "ticket_id", "customer_id", "tier", "subject", "category", "priority", "status", "team",
    "owner", "store_code", "order_ref", "return_ref", "created_at", "first_responded_at",
    "resolved_at", "first_response_due", "resolution_due", "first_response_bh",
    "resolution_bh", "first_response_met", "resolution_met", "paused_bh", "escalated", "csat",
]  # fmt: skip


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ticket_rows(session: Session, *, now: datetime) -> list[dict[str, Any]]:
    out = []
    for t in session.scalars(select(Ticket).order_by(Ticket.id)):
        created = _aware(t.created_at)
        assert created is not None
        fr, rs = _aware(t.first_responded_at), _aware(t.resolved_at)
        fr_due, rs_due = _aware(t.first_response_due), _aware(t.resolution_due)
        assert fr_due is not None
        assert rs_due is not None
        paused = t.paused_business_s / 3600
        fr_bh = round(HOURS.seconds_between(created, fr) / 3600 - paused, 2) if fr else None
        rs_bh = round(HOURS.seconds_between(created, rs) / 3600 - paused, 2) if rs else None
        out.append(
            {
                "ticket_id": t.id, "customer_id": t.customer_id, "tier": t.tier,
                "subject": t.subject, "category": t.category, "priority": t.priority,
                "status": t.status, "team": t.team, "owner": t.owner, "store_code": t.store_code,
                "order_ref": t.order_ref, "return_ref": t.return_ref,
                "created_at": created.isoformat(),
                "first_responded_at": fr.isoformat() if fr else None,
                "resolved_at": rs.isoformat() if rs else None,
                "first_response_due": fr_due.isoformat(), "resolution_due": rs_due.isoformat(),
                "first_response_bh": fr_bh, "resolution_bh": rs_bh,
                "first_response_met": (fr <= fr_due) if fr else (now <= fr_due and None),
                "resolution_met": (rs <= rs_due) if rs else (now <= rs_due and None),
                "paused_bh": round(paused, 2), "escalated": t.escalated_at is not None,
                "csat": t.csat,
            }
        )  # fmt: skip
    return out


def sla_summary(rows: list[dict[str, Any]], *, by: str) -> list[dict[str, Any]]:
    """% of decided SLA clocks met, per ``by`` (owner, team or store_code), with the ticket ids
    behind each figure (the drill-down)."""
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r[by] or "—"].append(r)
    out = []
    for key, rs in sorted(groups.items(), key=lambda kv: str(kv[0])):
        decided = [
            r[m] for r in rs for m in ("first_response_met", "resolution_met") if r[m] is not None
        ]
        csat = [r["csat"] for r in rs if r["csat"]]
        fr = [r["first_response_bh"] for r in rs if r["first_response_bh"] is not None]
        out.append(
            {
                by: key,
                "tickets": len(rs),
                "sla_met_pct": round(100 * sum(decided) / len(decided), 1) if decided else None,
                "backlog": sum(r["status"] in ("open", "pending") for r in rs),
                "first_response_p50_bh": float(np.median(fr)) if fr else None,
                "first_response_p90_bh": float(np.percentile(fr, 90)) if fr else None,
                "csat_avg": round(float(np.mean(csat)), 2) if csat else None,
                "ticket_ids": [r["ticket_id"] for r in rs],
            }
        )
    return out
