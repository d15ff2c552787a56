"""Coupon templates and issuing: push, batch issue for campaigns, coupon-center claims, expiry.

Every limit is enforced by a conditional ``UPDATE ... WHERE count < limit`` (or under the
template row lock for batches), so concurrent requests on PostgreSQL cannot pass a limit.
Services only flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import codes
from omniretail.marketing.coupon.errors import IssueLimitReached, TemplateError, TemplateNotFound
from omniretail.marketing.coupon.models import Coupon, CouponClaimCount, CouponTemplate
from omniretail.marketing.coupon.rules import check_rules
from omniretail.marketing.coupon.schemas import BatchResult, TemplateCreate
from omniretail.platform import bulk
from omniretail.platform.db import utcnow
from omniretail.platform.writes import chunks, insert_ignore


def create_template(session: Session, *, data: TemplateCreate) -> CouponTemplate:
    problem = check_rules(data.kind, data.rules)
    if problem:
        raise TemplateError(problem, field="rules")
    if data.valid_until is None and data.valid_days is None:
        raise TemplateError(
            "a coupon needs an end: valid_until (fixed date) or valid_days (days after issue)",
            field="valid_until",
        )
    if session.scalar(select(CouponTemplate.id).where(CouponTemplate.code == data.code)):
        raise TemplateError(f"a coupon template {data.code!r} already exists", field="code")
    values = data.model_dump(mode="python")
    values["rules"] = data.model_dump(mode="json")["rules"]
    values["scope"] = data.scope.model_dump(mode="json", exclude_defaults=False)
    template = CouponTemplate(**values, issued_count=0, redeemed_count=0, status="active")
    session.add(template)
    session.flush()
    return template


def get_template(session: Session, *, code: str) -> CouponTemplate:
    template = session.scalar(select(CouponTemplate).where(CouponTemplate.code == code))
    if template is None:
        raise TemplateNotFound(f"no coupon template {code!r}", field="template_code")
    return template


def list_templates(session: Session, *, status: str | None = None) -> list[CouponTemplate]:
    q = select(CouponTemplate).order_by(CouponTemplate.id.desc())
    if status:
        q = q.where(CouponTemplate.status == status)
    return list(session.scalars(q))


def set_template_status(session: Session, *, code: str, status: str) -> CouponTemplate:
    if status not in ("active", "paused", "ended"):
        raise TemplateError("status must be active, paused or ended", field="status")
    template = get_template(session, code=code)
    template.status = status
    session.flush()
    return template


def _validity(t: CouponTemplate, issued_at: datetime) -> tuple[datetime | None, datetime | None]:
    start = t.valid_from
    end = t.valid_until
    if t.valid_days is not None:
        rel = issued_at + timedelta(days=t.valid_days)
        end = rel if end is None else min(end, rel)
        start = start or issued_at
    return start, end


def _check_issuable(t: CouponTemplate, now: datetime) -> None:
    if t.status != "active":
        raise IssueLimitReached(f"template {t.code!r} is {t.status}", field="template_code")
    if t.valid_until is not None and _aware(t.valid_until) <= now:
        raise IssueLimitReached(f"template {t.code!r} has ended", field="template_code")


def _aware(dt: datetime) -> datetime:
    """SQLite returns naive datetimes; everything we store is UTC."""
    from datetime import UTC

    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _reserve_customer(session: Session, t: CouponTemplate, customer_ids: Sequence[str]) -> set[str]:
    """Take one per-customer slot for each customer still under the limit; returns who got one."""
    if t.per_customer_limit is None:
        return set(customer_ids)
    granted: set[str] = set()
    for part in chunks(list(customer_ids)):
        insert_ignore(
            session,
            CouponClaimCount.__table__,  # type: ignore[arg-type]
            [{"template_id": t.id, "customer_id": c, "n": 0} for c in part],
            ["template_id", "customer_id"],
        )
        rows = session.execute(
            update(CouponClaimCount)
            .where(
                CouponClaimCount.template_id == t.id,
                CouponClaimCount.customer_id.in_(part),
                CouponClaimCount.n < t.per_customer_limit,
            )
            .values(n=CouponClaimCount.n + 1)
            .returning(CouponClaimCount.customer_id)
        ).all()
        granted.update(r[0] for r in rows)
    return granted


def _reserve_total(session: Session, t: CouponTemplate, n: int) -> bool:
    """Add ``n`` to ``issued_count`` if the total limit and the budget allow it (atomically)."""
    conds = [CouponTemplate.id == t.id]
    if t.total_limit is not None:
        conds.append(CouponTemplate.issued_count + n <= t.total_limit)
    if t.budget is not None:
        conds.append((CouponTemplate.issued_count + n) * t.face_value <= t.budget)
    res = session.execute(
        update(CouponTemplate)
        .where(*conds)
        .values(issued_count=CouponTemplate.issued_count + n)
        .execution_options(synchronize_session=False)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def _coupon_rows(
    t: CouponTemplate,
    customer_ids: Sequence[str],
    *,
    source: str,
    campaign_id: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    start, end = _validity(t, now)
    return [
        {
            "code": codes.new_code(),
            "template_id": t.id,
            "customer_id": c,
            "status": "issued",
            "source": source,
            "campaign_id": campaign_id,
            "issued_at": now,
            "valid_from": start,
            "valid_until": end,
        }
        for c in customer_ids
    ]


def _write_coupons(session: Session, rows: list[dict[str, Any]]) -> None:
    """``COPY`` on PostgreSQL (psycopg), Core ``executemany`` elsewhere, in the session's
    transaction; a code that is already taken is an ``IntegrityError`` either way."""
    bulk.insert_rows(session, cast(Table, Coupon.__table__), rows)


def issue(
    session: Session,
    *,
    template_code: str,
    customer_id: str,
    source: str = "push",
    campaign_id: str | None = None,
    now: datetime | None = None,
) -> Coupon:
    """Give one coupon to one customer (push). Limits: per customer, total, budget."""
    now = now or utcnow()
    t = get_template(session, code=template_code)
    _check_issuable(t, now)
    if campaign_id is not None:
        existing = session.scalar(
            select(Coupon).where(
                Coupon.campaign_id == campaign_id, Coupon.customer_id == customer_id
            )
        )
        if existing is not None:
            return existing
    if not _reserve_customer(session, t, [customer_id]):
        raise IssueLimitReached(
            f"customer {customer_id} already holds {t.per_customer_limit} coupon(s) of {t.code!r}",
            field="customer_id",
            reason="per_customer_limit",
        )
    if not _reserve_total(session, t, 1):
        raise IssueLimitReached(
            f"template {t.code!r} has no coupons left (total limit or budget reached)",
            field="template_code",
            reason="total_limit",
        )
    row = _coupon_rows(t, [customer_id], source=source, campaign_id=campaign_id, now=now)[0]
    coupon = Coupon(**row)
    session.add(coupon)
    session.flush()
    session.expire(t, ["issued_count"])
    return coupon


def claim(
    session: Session, *, template_code: str, customer_id: str, now: datetime | None = None
) -> Coupon:
    """A customer takes a coupon in the coupon center (领券中心)."""
    t = get_template(session, code=template_code)
    if not t.claimable:
        raise TemplateError(
            f"template {t.code!r} is not offered in the coupon center", field="code"
        )
    return issue(
        session, template_code=template_code, customer_id=customer_id, source="claim", now=now
    )


def issue_batch(
    session: Session,
    *,
    campaign_id: str,
    customer_ids: Sequence[str],
    template: str,
    now: datetime | None = None,
) -> BatchResult:
    """Issue one coupon of ``template`` to each customer for a campaign.

    Idempotent by (campaign_id, customer_id): rerunning a campaign step issues nothing twice.
    Runs under the template row lock, so concurrent batches and claims share the limits exactly;
    customers beyond the total limit, the budget or their per-customer limit are counted in
    ``refused``.
    """
    now = now or utcnow()
    t = get_template(session, code=template)
    _check_issuable(t, now)
    # the lock: a no-op write on the template row (row lock on PostgreSQL, write lock on SQLite)
    session.execute(
        update(CouponTemplate)
        .where(CouponTemplate.id == t.id)
        .values(issued_count=CouponTemplate.issued_count)
        .execution_options(synchronize_session=False)
    )
    wanted = list(dict.fromkeys(customer_ids))
    have: set[str] = set()
    for who in bulk.one_of(session, Coupon.customer_id, wanted):  # PostgreSQL: one statement
        have.update(
            session.scalars(
                select(Coupon.customer_id).where(Coupon.campaign_id == campaign_id, who)
            )
        )
    todo = [c for c in wanted if c not in have]
    issued_count, total_limit = session.execute(
        select(CouponTemplate.issued_count, CouponTemplate.total_limit).where(
            CouponTemplate.id == t.id
        )
    ).one()
    room = len(todo)
    if total_limit is not None:
        room = min(room, total_limit - issued_count)
    if t.budget is not None and t.face_value > 0:
        room = min(room, int((t.budget - issued_count * t.face_value) // t.face_value))
    room = max(room, 0)
    granted: list[str] = []
    pos = 0
    while len(granted) < room and pos < len(todo):
        take = todo[pos : pos + (room - len(granted))]
        pos += len(take)
        ok = _reserve_customer(session, t, take)
        granted.extend(c for c in take if c in ok)
    if granted:
        assert _reserve_total(session, t, len(granted))
        for part in chunks(granted, 2000):
            rows = _coupon_rows(t, part, source="campaign", campaign_id=campaign_id, now=now)
            _write_coupons(session, rows)
    session.flush()
    session.expire(t, ["issued_count"])
    refused = len(todo) - len(granted)
    return BatchResult(
        campaign_id=campaign_id,
        issued=len(granted),
        already_issued=len(have),
        refused=refused,
        refused_reason="total limit, budget or per-customer limit reached" if refused else None,
    )


@dataclass
class CenterItem:
    template: CouponTemplate
    remaining: int | None  # None = unlimited
    held: int  # coupons of this template the customer holds
    can_claim: bool


def coupon_center(
    session: Session, *, customer_id: str | None = None, now: datetime | None = None
) -> list[CenterItem]:
    """Templates offered in the coupon center with what is left and what the customer holds."""
    now = now or utcnow()
    templates = [
        t
        for t in session.scalars(
            select(CouponTemplate)
            .where(CouponTemplate.claimable.is_(True), CouponTemplate.status == "active")
            .order_by(CouponTemplate.id)
        )
        if t.valid_until is None or _aware(t.valid_until) > now
    ]
    held: dict[int, int] = {}
    if customer_id and templates:
        rows = session.execute(
            select(CouponClaimCount.template_id, CouponClaimCount.n).where(
                CouponClaimCount.customer_id == customer_id,
                CouponClaimCount.template_id.in_([t.id for t in templates]),
            )
        ).all()
        held = {int(r[0]): int(r[1]) for r in rows}
    items = []
    for t in templates:
        remaining = None if t.total_limit is None else max(t.total_limit - t.issued_count, 0)
        n = held.get(t.id, 0)
        can = (remaining is None or remaining > 0) and (
            t.per_customer_limit is None or n < t.per_customer_limit
        )
        items.append(CenterItem(t, remaining, n, can))
    return items


def customer_coupons(
    session: Session, *, customer_id: str, status: str | None = None
) -> list[Coupon]:
    q = select(Coupon).where(Coupon.customer_id == customer_id).order_by(Coupon.id.desc())
    if status:
        q = q.where(Coupon.status == status)
    return list(session.scalars(q))


def expire_due(session: Session, *, now: datetime | None = None) -> int:
    """Batch job: mark issued coupons past their end as expired. Returns how many."""
    now = now or utcnow()
    res = session.execute(
        update(Coupon)
        .where(Coupon.status == "issued", Coupon.valid_until.is_not(None), Coupon.valid_until < now)
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(res.rowcount)  # type: ignore[attr-defined]


def expiring_holders(session: Session, *, now: datetime, days: int = 3) -> list[str]:
    """Customers holding an issued coupon that expires within ``days`` (clerk tasks)."""
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


def liability(session: Session, *, template_code: str) -> dict[str, Any]:
    """Outstanding coupons of a template and their face value (for campaign risk checks)."""
    t = get_template(session, code=template_code)
    outstanding = (
        session.scalar(
            select(func.count()).where(Coupon.template_id == t.id, Coupon.status == "issued")
        )
        or 0
    )
    return {
        "template_code": t.code,
        "issued": t.issued_count,
        "redeemed": t.redeemed_count,
        "outstanding": int(outstanding),
        "face_value": str(t.face_value),
        "outstanding_value": str(t.face_value * int(outstanding)),
        "budget": None if t.budget is None else str(t.budget),
        "budget_left": None if t.budget is None else str(t.budget - t.face_value * t.issued_count),
    }


def money_or_none(x: Decimal | None) -> str | None:
    return None if x is None else str(x)


def batch_activity(session: Session, *, template_codes: Sequence[str]) -> dict[str, list[Any]]:
    """What happened to the coupons of these templates (batches), for attributing them to
    where they were pushed (a live stream, a post): ``issued`` coupons (code, template, issued
    at, source) and their ``redemptions`` (coupon code, template, order id, store, channel,
    at; reversals left out, as are redemptions reversed later)."""
    from omniretail.marketing.coupon.models import CouponRedemption

    if not template_codes:
        return {"issued": [], "redemptions": []}
    tpl = {
        t.id: t.code
        for t in session.scalars(
            select(CouponTemplate).where(CouponTemplate.code.in_(list(template_codes)))
        )
    }
    issued = [
        {"code": c.code, "template_code": tpl[c.template_id], "issued_at": c.issued_at,
         "source": c.source}
        for c in session.scalars(
            select(Coupon).where(Coupon.template_id.in_(list(tpl))).order_by(Coupon.id)
        )
    ]  # fmt: skip
    by_id = {
        c.id: c.code
        for c in session.scalars(select(Coupon).where(Coupon.template_id.in_(list(tpl))))
    }
    rows = list(
        session.scalars(
            select(CouponRedemption)
            .where(CouponRedemption.template_id.in_(list(tpl)))
            .order_by(CouponRedemption.id)
        )
    )
    net: dict[int, int] = {}
    for r in rows:
        net[r.coupon_id] = net.get(r.coupon_id, 0) + (1 if r.kind == "redeem" else -1)
    redemptions = [
        {"code": by_id[r.coupon_id], "template_code": tpl[r.template_id], "order_id": r.order_id,
         "store_code": r.store_code, "channel_code": r.channel_code, "at": r.at}
        for r in rows
        if r.kind == "redeem" and net.get(r.coupon_id, 0) > 0
    ]  # fmt: skip
    return {"issued": issued, "redemptions": redemptions}
