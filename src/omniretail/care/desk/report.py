"""Desk reports: one row per ticket (CSV), % SLA met per agent / team / store, response and
resolution time distributions (business hours), backlog and CSAT."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
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


STATUSES = ("open", "pending", "solved", "closed")
ACTIVE = ("open", "pending")  # the queue
#: column → (zh, en) header of the one-row-per-ticket CSV
CSV_LABELS: dict[str, tuple[str, str]] = {
    "ticket_id": ("工单号", "Ticket"), "customer_id": ("客户编号", "Customer"),
    "tier": ("会员等级", "Tier"), "subject": ("主题", "Subject"),
    "category": ("类别", "Category"), "priority": ("优先级", "Priority"),
    "status": ("状态", "Status"), "team": ("团队", "Team"), "owner": ("负责人", "Owner"),
    "store_code": ("门店", "Store"), "order_ref": ("订单号", "Order"),
    "return_ref": ("退货单号", "Return"), "created_at": ("创建时间", "Created"),
    "first_responded_at": ("首次响应时间", "First response at"),
    "resolved_at": ("解决时间", "Resolved at"),
    "first_response_due": ("首次响应时限", "First response due"),
    "resolution_due": ("解决时限", "Resolution due"),
    "first_response_bh": ("首次响应用时（工作小时）", "First response (business h)"),
    "resolution_bh": ("解决用时（工作小时）", "Resolution (business h)"),
    "first_response_met": ("首次响应达标", "First response met"),
    "resolution_met": ("解决达标", "Resolution met"),
    "paused_bh": ("暂停时长（工作小时）", "Paused (business h)"),
    "escalated": ("已升级", "Escalated"), "csat": ("满意度", "CSAT"),
}  # fmt: skip
STATUS_WORDS = {
    "open": ("处理中", "open"),
    "pending": ("等待中", "pending"),
    "solved": ("已解决", "solved"),
    "closed": ("已关闭", "closed"),
}
PRIORITY_WORDS = {
    "urgent": ("紧急", "urgent"),
    "high": ("高", "high"),
    "normal": ("普通", "normal"),
    "low": ("低", "low"),
}
TIER_WORDS = {
    "black": ("黑卡会员", "black"),
    "gold": ("金卡会员", "gold"),
    "silver": ("银卡会员", "silver"),
    "regular": ("普通会员", "regular"),
}
YES_NO = {True: ("是", "yes"), False: ("否", "no")}


@dataclass(frozen=True)
class TicketFilter:
    """The desk list's filters (each optional). ``status`` is one of ``STATUSES`` or ``active``
    (open and pending: the queue)."""

    status: str | None = None
    priority: str | None = None
    team: str | None = None
    owner: str | None = None
    store_code: str | None = None

    def __post_init__(self) -> None:
        from omniretail.care.desk.errors import BadTicketInput
        from omniretail.care.desk.sla import PRIORITIES

        if self.status not in (None, "active", *STATUSES):
            raise BadTicketInput(
                f"没有状态 {self.status!r}（可选：active、{'、'.join(STATUSES)}）", field="status"
            )
        if self.priority not in (None, *PRIORITIES):
            raise BadTicketInput(
                f"没有优先级 {self.priority!r}（可选：{'、'.join(PRIORITIES)}）", field="priority"
            )

    def query(self) -> dict[str, str]:
        """The filters that are set, as query parameters (for links carrying them)."""
        return {k: v for k, v in vars(self).items() if v}

    def keeps(self, row: dict[str, Any]) -> bool:
        if self.status == "active" and row["status"] not in ACTIVE:
            return False
        if self.status not in (None, "active") and row["status"] != self.status:
            return False
        return all(
            getattr(self, name) is None or row[name] == getattr(self, name)
            for name in ("priority", "team", "owner", "store_code")
        )


def filtered_rows(
    session: Session, *, now: datetime, filters: TicketFilter, store_codes: Any
) -> list[dict[str, Any]]:
    """``ticket_rows`` narrowed to the filters and, for a store-scoped caller (``store_codes``
    not None), to tickets of those stores and chain-level ones without a store (as the ticket
    page and the SLA drill-down show them)."""
    rows = ticket_rows(session, now=now)
    if store_codes is not None:
        allowed = set(store_codes)
        rows = [r for r in rows if r["store_code"] is None or r["store_code"] in allowed]
    return [r for r in rows if filters.keeps(r)]


def csv_export(
    rows: list[dict[str, Any]], *, locale: str, show_text: bool
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Rows and headers for the CSV in the reader's language (zh_CN first): status, priority,
    tier and yes/no in words; the subject (what the customer wrote) blank for a reader without
    personal-data access."""
    i = 0 if locale == "zh_CN" else 1

    def word(table: dict[Any, tuple[str, str]], value: Any) -> Any:
        return table[value][i] if value in table else value

    out = []
    for r in rows:
        out.append(
            {
                **r,
                "subject": r["subject"] if show_text else "",
                "status": word(STATUS_WORDS, r["status"]),
                "priority": word(PRIORITY_WORDS, r["priority"]),
                "tier": word(TIER_WORDS, r["tier"]),
                "first_response_met": word(YES_NO, r["first_response_met"]),
                "resolution_met": word(YES_NO, r["resolution_met"]),
                "escalated": word(YES_NO, r["escalated"]),
            }
        )
    return out, {c: CSV_LABELS[c][i] for c in COLUMNS}
