"""The campaign report: reach, engagement, offers, and the incremental effect versus the holdout.

Outcomes per member (orders, revenue in the attribution window after launch) come from the
published analytics snapshot's unified ``orders``; the holdout received nothing, so
treatment minus holdout is the campaign's causal effect (with 95% confidence intervals).

A recurring campaign (and a campaign launched more than once) has one member row per run; a
member's arm is fixed across runs (the split hashes campaign and customer), so the whole-campaign
blocks count each member once and ``runs`` gives the breakdown per run: that run's audience,
messages, redemptions and its own effect versus that run's holdout, in that run's window (from
the run's launch for ``window_days``, cut at the next run's launch so a day's orders are
attributed to one run).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import Session

from omniretail.marketing.campaign.models import Campaign, CampaignMember, CampaignRun
from omniretail.marketing.campaign.schemas import SCHEDULE_TZ, CampaignReport
from omniretail.marketing.campaign.service import get_campaign
from omniretail.marketing.campaign.stats import mean_effect, proportion_effect
from omniretail.marketing.coupon.models import Coupon, CouponRedemption
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.messaging import service as messaging


def _of_campaign(code: str, customers: Any | None = None) -> Any:
    """Coupons of a campaign, and of every run of a journey (``CODE:run``); of ``customers``
    only (a ``SELECT`` of customer ids) when given."""
    of_campaign = or_(Coupon.campaign_id == code, Coupon.campaign_id.like(f"{code}:%"))
    if customers is None:
        return of_campaign
    return and_(of_campaign, Coupon.customer_id.in_(customers))


def members_of(c: Campaign, scope: StoreScope) -> Any:
    """The customer ids of the campaign's members in ``scope``'s stores (a subquery)."""
    return select(CampaignMember.customer_id).where(
        CampaignMember.campaign_id == c.id, scope.where(CampaignMember.store_code)
    )


def members_in_scope_of_message(scope: StoreScope) -> Any:
    """Messages to a member of their own campaign whose store is in ``scope`` (a condition on
    ``Message``; the report's rule, for grouped counts over every campaign)."""
    from omniretail.platform.messaging.models import Message

    return (
        select(CampaignMember.id)
        .where(
            CampaignMember.campaign_id == Message.campaign_id,
            CampaignMember.customer_id == Message.customer_id,
            scope.where(CampaignMember.store_code),
        )
        .exists()
    )


def list_figures(session: Session, scope: StoreScope | None = None) -> dict[int, dict[str, int]]:
    """Per campaign id: member rows per arm (``treatment``, ``holdout``; one per run), messages
    ``sent`` and ``failed``, coupons issued (``coupons``) and ``redeemed`` — seen from
    ``scope``'s stores by the report's rule (members whose store is in scope, their messages
    and coupons); every store when ``scope`` is ``None`` or chain-wide. Grouped queries, for
    the campaign list."""
    scope = scope or StoreScope.everything()
    out: dict[int, dict[str, int]] = {}
    for cid, arm, n in session.execute(
        select(CampaignMember.campaign_id, CampaignMember.arm, func.count())
        .where(scope.where(CampaignMember.store_code))
        .group_by(CampaignMember.campaign_id, CampaignMember.arm)
    ):
        out.setdefault(int(cid), {})[arm] = int(n)
    where = None if scope.all_stores else members_in_scope_of_message(scope)
    for mid, n in messaging.sent_by_campaign(session, where=where).items():
        out.setdefault(mid, {})["sent"] = n
    for mid, n in messaging.failed_by_campaign(session, where=where).items():
        out.setdefault(mid, {})["failed"] = n
    codes = {row.code: row.id for row in session.execute(select(Campaign.code, Campaign.id))}
    mine = (
        true()
        if scope.all_stores
        else select(CampaignMember.id)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(
            Campaign.code == Coupon.campaign_id,
            CampaignMember.customer_id == Coupon.customer_id,
            scope.where(CampaignMember.store_code),
        )
        .exists()
    )
    for code, status, n in session.execute(
        select(Coupon.campaign_id, Coupon.status, func.count())
        .where(Coupon.campaign_id.is_not(None), mine)
        .group_by(Coupon.campaign_id, Coupon.status)
    ):
        if code in codes:
            row = out.setdefault(codes[code], {})
            row["coupons"] = row.get("coupons", 0) + int(n)
            if status == "redeemed":
                row["redeemed"] = row.get("redeemed", 0) + int(n)
    return out


def _local(t: datetime) -> datetime:
    """An instant (UTC, naive when the store is SQLite) as the snapshot's local wall-clock time
    (docs/data-contract.md)."""
    aware = t if t.tzinfo else t.replace(tzinfo=UTC)
    return aware.astimezone(SCHEDULE_TZ).replace(tzinfo=None)


def member_outcomes(
    engine: AnalyticsEngine,
    c: Campaign,
    customer_ids: list[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, tuple[int, float]]:
    """Orders and revenue of each member in the window after launch (from the snapshot).

    The window is ``window_days`` from the campaign's launch, or from ``start`` (one run's
    launch) and cut at ``end`` when given (the next run's launch)."""
    first = start or c.launched_at
    if first is None or not customer_ids:
        return {}
    local_start = _local(first)
    local_end = local_start + timedelta(days=c.window_days)
    if end is not None:
        local_end = min(local_end, _local(end))
    con = getattr(engine, "con", None)
    if con is None:
        raise RuntimeError("campaign reports read the DuckDB snapshot")
    con.register(
        "campaign_report_members", pa.table({"customer_id": pa.array(customer_ids, pa.string())})
    )
    rows = engine.fetch_rows(
        """
        SELECT o.customer_id, count(*) AS orders, sum(o.paid_amount)::DOUBLE AS revenue
        FROM orders o JOIN campaign_report_members m ON m.customer_id = o.customer_id
        WHERE o.ordered_at >= ? AND o.ordered_at < ?
          AND coalesce(o.status, 'paid') NOT IN ('cancelled')
        GROUP BY o.customer_id
        """,
        [local_start, local_end],
    )
    con.unregister("campaign_report_members")
    return {str(r["customer_id"]): (int(r["orders"]), float(r["revenue"] or 0)) for r in rows}


MIN_RUN_ARM = 20  # a run's effect is estimated when each arm has at least this many members
_NEVER = 2**62


def effect_block(
    outcomes: dict[str, tuple[int, float]],
    treat: list[str],
    hold: list[str],
    *,
    min_arm: int = 2,
) -> dict[str, Any]:
    def arrays(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        conv = np.array([outcomes.get(i, (0, 0.0))[0] > 0 for i in ids], dtype=bool)
        rev = np.array([outcomes.get(i, (0, 0.0))[1] for i in ids], dtype=float)
        return conv, rev

    ct, rt = arrays(treat)
    ch, rh = arrays(hold)
    block: dict[str, Any] = {
        "members": len(treat),
        "holdout": len(hold),
        "converted": int(ct.sum()),
        "revenue": round(float(rt.sum()), 2),
        "conversion": round(float(ct.mean()), 6) if len(ct) else None,
    }
    if len(treat) >= max(min_arm, 2) and len(hold) >= max(min_arm, 2):
        conv = proportion_effect(int(ct.sum()), len(ct), int(ch.sum()), len(ch))
        rev = mean_effect(rt, rh)
        block["conversion_effect"] = conv.as_dict()
        block["revenue_per_member_effect"] = rev.as_dict()
        block["incremental_conversions"] = round(conv.lift * len(treat), 2)
        block["incremental_revenue"] = round(rev.lift * len(treat), 2)
        block["incremental_revenue_ci"] = [
            round(rev.ci_low * len(treat), 2),
            round(rev.ci_high * len(treat), 2),
        ]
    return block


def reached_anyone(status_counts: dict[str, int]) -> bool:
    """False when a campaign (or run) has messages and every one failed or was suppressed:
    it reached nobody, treatment and holdout were treated alike, and any difference between
    them is noise that must not be reported as the campaign's effect. Messages still queued
    may reach someone (the effect is measured as intended-to-treat)."""
    if not status_counts:
        return True  # no messages at all (an offer-only campaign): measured as assigned
    return any(n for k, n in status_counts.items() if k not in ("failed", "suppressed"))


def roi_with_interval(
    incremental: float | None, incremental_ci: list[float] | None, cost: float
) -> tuple[float | None, list[float] | None]:
    """ROI = (incremental revenue − cost) / cost, and its 95% interval from the incremental
    revenue's (the cost is known exactly): a bare ROI hides that the revenue effect may be
    anywhere in its interval. None without a cost or without a measured effect."""
    if incremental is None or not cost:
        return None, None
    roi = round((incremental - cost) / cost, 4)
    if incremental_ci is None:
        return roi, None
    return roi, [round((v - cost) / cost, 4) for v in incremental_ci]


def _iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).isoformat()


def run_breakdown(
    session: Session,
    engine: AnalyticsEngine | None,
    c: Campaign,
    members: list[Any],
    *,
    customers: Any | None = None,
) -> list[dict[str, Any]]:
    """One block per run: its date, audience, messages, redemptions, conversion and revenue,
    and its effect versus that run's holdout (``effect_block``, when both arms of the run
    have ``MIN_RUN_ARM`` members) in the run's window."""
    launches = {
        int(r.run): r
        for r in session.execute(
            select(CampaignRun.run, CampaignRun.scheduled_for, CampaignRun.launched_at).where(
                CampaignRun.campaign_id == c.id
            )
        )
    }
    arms: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for m in members:
        arms[int(m.run)][0 if m.arm == "treatment" else 1].append(m.customer_id)
    numbers = sorted(set(arms) | set(launches))
    starts: dict[int, datetime | None] = {
        n: launches[n].launched_at if n in launches else (c.launched_at if n == 1 else None)
        for n in numbers
    }
    out = []
    for i, n in enumerate(numbers):
        treat, hold = arms[n]
        start = starts[n]
        end = next((starts[k] for k in numbers[i + 1 :] if starts[k] is not None), None)
        run_ref = f"{c.code}:{n}"
        statuses = messaging.status_counts(
            session, campaign_id=c.id, origin_ref=run_ref, customers=customers
        )
        sent = statuses.get("sent", 0) + statuses.get("delivered", 0)
        delivered = messaging.event_counts(
            session, campaign_id=c.id, origin_ref=run_ref, customers=customers
        ).get("delivered", 0)
        redeemed = session.scalar(
            select(func.count())
            .select_from(Coupon)
            .where(
                Coupon.campaign_id == (c.code if c.kind == "once" else f"{c.code}:{n}"),
                Coupon.status == "redeemed",
                true() if customers is None else Coupon.customer_id.in_(customers),
            )
        )
        # no effect without outcomes (no snapshot, a run never launched) or when no message
        # of the run reached anyone
        measured = engine is not None and start is not None and reached_anyone(statuses)
        outcomes = (
            member_outcomes(engine, c, treat + hold, start=start, end=end)
            if engine is not None and start is not None
            else {}
        )
        scheduled = launches[n].scheduled_for if n in launches else None
        out.append(
            {
                "run": n,
                "scheduled_for": _iso(scheduled),
                "launched_at": _iso(start),
                "window_end": _iso(end),
                "audience": len(treat) + len(hold),
                "sent": int(sent or 0),
                "delivered": int(delivered or 0),
                "coupons_redeemed": int(redeemed or 0),
                **effect_block(outcomes, treat, hold, min_arm=MIN_RUN_ARM if measured else _NEVER),
            }
        )
    return out


def campaign_report(
    session: Session,
    engine: AnalyticsEngine | None,
    *,
    code: str,
    scope: StoreScope | None = None,
) -> CampaignReport:
    """The report of campaign ``code``. With a store ``scope`` (a store user's), it is the
    campaign seen from those stores: only the members whose store (``CampaignMember.store_code``,
    their home store at assignment) is in scope, their messages, receipts, coupons and
    redemptions, and their orders in the attribution window; the effect compares the stores'
    treated members with the same stores' holdout."""
    c = get_campaign(session, code=code)
    scope = scope or StoreScope.everything()
    mine = None if scope.all_stores else members_of(c, scope)
    member_runs = list(
        session.execute(
            select(
                CampaignMember.customer_id,
                CampaignMember.arm,
                CampaignMember.variant,
                CampaignMember.channel,
                CampaignMember.store_code,
                CampaignMember.suppressed,
                CampaignMember.run,
            )
            .where(CampaignMember.campaign_id == c.id, scope.where(CampaignMember.store_code))
            .order_by(CampaignMember.run)
        )
    )
    # a member of several runs counts once in the whole-campaign blocks (first run's row;
    # the arm is the same in every run)
    first: dict[str, Any] = {}
    for m in member_runs:
        first.setdefault(m.customer_id, m)
    members = list(first.values())
    treat = [m.customer_id for m in members if m.arm == "treatment"]
    hold = [m.customer_id for m in members if m.arm == "holdout"]
    status_counts = messaging.status_counts(session, campaign_id=c.id, customers=mine)
    event_counts = messaging.event_counts(session, campaign_id=c.id, customers=mine)
    coupons = _of_campaign(c.code, mine)
    issued = session.scalar(select(func.count()).select_from(Coupon).where(coupons)) or 0
    redeemed = (
        session.scalar(
            select(func.count()).select_from(Coupon).where(coupons, Coupon.status == "redeemed")
        )
        or 0
    )
    cost = session.scalar(
        select(func.coalesce(func.sum(CouponRedemption.discount), 0))
        .join(Coupon, Coupon.id == CouponRedemption.coupon_id)
        .where(coupons)
    ) or Decimal("0")
    sent = sum(v for k, v in status_counts.items() if k in ("sent", "delivered"))
    fallbacks = messaging.fallback_counts(session, campaign_id=c.id, customers=mine)
    delivery = {
        ch: {
            "fell_back_to": {to: n for (fr, to), n in fallbacks.items() if fr == ch},
            "fallback_in": sum(n for (_fr, to), n in fallbacks.items() if to == ch),
            "sent": b["statuses"].get("sent", 0) + b["statuses"].get("delivered", 0),
            "delivered": b["statuses"].get("delivered", 0),
            "failed": b["statuses"].get("failed", 0),
            "suppressed": b["statuses"].get("suppressed", 0),
            "queued": b["statuses"].get("queued", 0) + b["statuses"].get("sending", 0),
            "failures": b["failures"],
            "suppressions": b["suppressions"],
            "examples": b["examples"],
        }
        for ch, b in sorted(
            messaging.channel_outcomes(session, campaign_id=c.id, customers=mine).items()
        )
    }
    reached = reached_anyone(status_counts)
    report: dict[str, Any] = {
        "campaign": c.code,
        "name": c.name,
        "status": c.status,
        "launched_at": _iso(c.launched_at),
        "window_days": c.window_days,
        "audience": len(members),
        "treatment": len(treat),
        "holdout": len(hold),
        "suppressed": sum(1 for m in members if m.suppressed),
        "messages": status_counts,
        "sent": sent,
        "failed": status_counts.get("failed", 0),
        "reached": reached,
        "delivery": delivery,
        "delivered": event_counts.get("delivered", 0),
        "opened": event_counts.get("opened", 0),
        "clicked": event_counts.get("clicked", 0),
        "coupons_issued": int(issued),
        "coupons_redeemed": int(redeemed),
        "coupon_cost": float(cost),
    }
    outcomes = member_outcomes(engine, c, treat + hold) if engine is not None and reached else {}
    overall = effect_block(outcomes, treat, hold, min_arm=2 if reached else _NEVER)
    report["overall"] = overall
    inc = overall.get("incremental_revenue")
    report["roi"], report["roi_ci"] = roi_with_interval(
        inc, overall.get("incremental_revenue_ci"), float(cost)
    )
    # Variants are randomised within the treatment arm, so each is compared with the whole
    # holdout. The store is known before assignment for holdout members too, so a store's treated
    # members are compared with that store's holdout (a whole-holdout comparison would mix the
    # store's level with the chain's). The channel exists only for reached members: that row is
    # descriptive against the whole holdout.
    hold_by_store: dict[str, list[str]] = defaultdict(list)
    for m in members:
        if m.arm == "holdout":
            hold_by_store[str(m.store_code or "none")].append(m.customer_id)
    for dim in ("variant", "channel", "store_code"):
        groups: dict[str, list[str]] = defaultdict(list)
        for m in members:
            if m.arm == "treatment":
                groups[str(getattr(m, dim) or "none")].append(m.customer_id)
        report[f"by_{dim}"] = {
            k: effect_block(
                outcomes,
                ids,
                hold_by_store[k] if dim == "store_code" else hold,
                min_arm=2 if reached else _NEVER,
            )
            for k, ids in sorted(groups.items())
        }
    report["runs"] = (
        run_breakdown(session, engine, c, member_runs, customers=mine)
        if c.kind != "journey"
        else []
    )
    return CampaignReport.model_validate(report)
