"""Loyalty verbs on top of the ledger: earn with tier and birthday multipliers, tiers that go
up at once and down at the periodic review, birthday coupons, the member's account view."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, extract, func, select, update
from sqlalchemy.orm import Session

from omniretail.cdp.profile.models import Customer
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.schemas import BatchResult
from omniretail.marketing.loyalty import ledger
from omniretail.marketing.loyalty.errors import LoyaltyNotFound, PointsInvalid
from omniretail.marketing.loyalty.models import (
    LoyaltyAccount,
    LoyaltyTier,
    PointsAllocation,
    PointsEntry,
)
from omniretail.marketing.loyalty.schemas import AccountRead, PointsResult, TierCreate
from omniretail.platform import audit
from omniretail.platform.db import utcnow
from omniretail.platform.i18n import N_


def create_tier(session: Session, *, data: TierCreate) -> LoyaltyTier:
    if session.scalar(select(LoyaltyTier.id).where(LoyaltyTier.code == data.code)):
        raise PointsInvalid(
            f"tier {data.code!r} already exists",
            field="code",
            message=N_("A tier with the code %(code)s already exists."),
            params={"code": data.code},
        )
    if session.scalar(select(LoyaltyTier.id).where(LoyaltyTier.rank == data.rank)):
        raise PointsInvalid(
            f"another tier already has rank {data.rank}",
            field="rank",
            message=N_("Another tier already has the rank %(rank)s."),
            params={"rank": data.rank},
        )
    tier = LoyaltyTier(**data.model_dump(mode="python"))
    tier.benefits = data.model_dump(mode="json")["benefits"]
    session.add(tier)
    session.flush()
    return tier


def tiers(session: Session) -> list[LoyaltyTier]:
    return list(session.scalars(select(LoyaltyTier).order_by(LoyaltyTier.rank)))


def _tier(session: Session, code: str | None) -> LoyaltyTier | None:
    if code is None:
        return None
    return session.scalar(select(LoyaltyTier).where(LoyaltyTier.code == code))


def birthday(session: Session, customer_id: str) -> date | None:
    return session.scalar(select(Customer.birthday).where(Customer.customer_id == customer_id))


def earn(
    session: Session,
    *,
    customer_id: str,
    source: str,
    order_id: str,
    amount: Decimal,
    occurred_at: datetime,
    now: datetime | None = None,
) -> PointsResult:
    """Points for an order from any channel, once per (source, order id) — an offline order
    synced days later, or synced twice, earns exactly once. Tier multiplier, and the tier's
    birthday multiplier in the member's birthday month (生日月多倍积分)."""
    now = now or utcnow()
    account = session.scalar(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id)
    )
    tier = _tier(session, account.tier_code if account else None)
    mult = tier.earn_multiplier if tier else Decimal("1")
    bday = birthday(session, customer_id)
    if bday is not None and bday.month == occurred_at.month:
        mult *= tier.birthday_multiplier if tier else Decimal("2")
    acc, entry, replayed = ledger.earn_points(
        session,
        customer_id=customer_id,
        source=source,
        order_id=order_id,
        amount=amount,
        occurred_at=occurred_at,
        multiplier=mult,
        now=now,
    )
    if not replayed:
        review_tier(session, account=acc, now=now, allow_downgrade=False)
    return ledger._result(acc, entry, replayed=replayed)


def window_totals(session: Session, account_id: int, since: datetime) -> tuple[int, Decimal]:
    """Points earned and net spend in the window (returns subtract)."""
    signed_amount = case(
        (PointsEntry.kind == "reverse", -PointsEntry.amount), else_=PointsEntry.amount
    )
    row = session.execute(
        select(
            func.coalesce(func.sum(PointsEntry.points), 0),
            func.coalesce(func.sum(signed_amount), 0),
        ).where(
            PointsEntry.account_id == account_id,
            PointsEntry.kind.in_(["earn", "reverse"]),
            PointsEntry.source.is_not(None),  # reversals of earns carry the source
            PointsEntry.occurred_at >= since,
        )
    ).one()
    pts, spend = row[0], row[1]
    return int(pts), Decimal(spend)


def qualifying_tier(session: Session, account_id: int, now: datetime) -> LoyaltyTier | None:
    best: LoyaltyTier | None = None
    for tier in tiers(session):
        pts, spend = window_totals(session, account_id, now - timedelta(days=tier.window_days))
        ok = pts >= tier.min_points or (tier.min_spend is not None and spend >= tier.min_spend)
        if ok and (best is None or tier.rank > best.rank):
            best = tier
    return best


def review_tier(
    session: Session, *, account: LoyaltyAccount, now: datetime, allow_downgrade: bool
) -> str | None:
    """Upgrade as soon as the member qualifies; downgrade only at the periodic review and only
    after the tier was held for a full window (保级期). Returns "up"/"down"/None."""
    best = qualifying_tier(session, account.id, now)
    current = _tier(session, account.tier_code)
    cur_rank = current.rank if current else -1
    new_rank = best.rank if best else -1
    if new_rank > cur_rank:
        change = "up"
    elif new_rank < cur_rank and allow_downgrade and current is not None:
        since = ledger.aware(account.tier_since) if account.tier_since else None
        if since is not None and now - since < timedelta(days=current.window_days):
            return None
        change = "down"
    else:
        return None
    session.execute(
        update(LoyaltyAccount)
        .where(LoyaltyAccount.id == account.id)
        .values(tier_code=best.code if best else None, tier_since=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire(account, ["tier_code", "tier_since"])
    return change


def review_all_tiers(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Periodic job: every account's tier against the rolling window."""
    now = now or utcnow()
    counts = {"reviewed": 0, "up": 0, "down": 0}
    for account in session.scalars(select(LoyaltyAccount).order_by(LoyaltyAccount.id)):
        counts["reviewed"] += 1
        change = review_tier(session, account=account, now=now, allow_downgrade=True)
        if change:
            counts[change] += 1
    return counts


def expire_all(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Batch job: expire due buckets of every account (each under its account lock)."""
    now = now or utcnow()
    due = session.scalars(
        select(LoyaltyAccount.customer_id)
        .join(PointsEntry, PointsEntry.account_id == LoyaltyAccount.id)
        .where(
            PointsEntry.points > 0,
            PointsEntry.expires_at <= now,
            PointsEntry.points
            > select(func.coalesce(func.sum(PointsAllocation.points), 0))
            .where(PointsAllocation.bucket_entry_id == PointsEntry.id)
            .scalar_subquery(),
        )
        .distinct()
        .order_by(LoyaltyAccount.customer_id)
    ).all()
    total = 0
    for customer_id in due:
        account = ledger.lock_account(session, customer_id)
        total += ledger.expire_account(session, account, now)
    return {"accounts": len(due), "points_expired": total}


def birthday_coupons(session: Session, *, today: date) -> list[BatchResult]:
    """Issue each tier's birthday coupon to members born this month (once a year per member:
    campaign id ``birthday-<year>``, so a rerun issues nothing twice)."""
    results = []
    for tier in tiers(session):
        if not tier.birthday_coupon_template:
            continue
        members = session.scalars(
            select(LoyaltyAccount.customer_id)
            .join(Customer, Customer.customer_id == LoyaltyAccount.customer_id)
            .where(
                LoyaltyAccount.tier_code == tier.code,
                extract("month", Customer.birthday) == today.month,
            )
        ).all()
        if members:
            results.append(
                coupon_service.issue_batch(
                    session,
                    campaign_id=f"birthday-{today.year}",
                    customer_ids=members,
                    template=tier.birthday_coupon_template,
                )
            )
    return results


def account_view(session: Session, *, customer_id: str, now: datetime | None = None) -> AccountRead:
    now = now or utcnow()
    account = ledger.get_account(session, customer_id)
    check = ledger.verify(session, account)
    return AccountRead(
        customer_id=customer_id,
        tier_code=account.tier_code,
        tier_since=account.tier_since,
        balance=int(check["entries"]),
        verified=bool(check["ok"]),
        buckets=[
            {
                "entry_id": b.entry_id,
                "remaining": b.remaining,
                "expires_at": b.expires_at.isoformat() if b.expires_at else None,
                "expired": bool(b.expires_at and b.expires_at <= now),
            }
            for b in ledger.buckets(session, account.id)
        ],
    )


def entries(
    session: Session, *, customer_id: str, limit: int = 200, offset: int = 0
) -> list[PointsEntry]:
    account = session.scalar(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id)
    )
    if account is None:
        raise LoyaltyNotFound(f"customer {customer_id} has no points account", field="customer_id")
    return list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.account_id == account.id)
            .order_by(PointsEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def summary(session: Session) -> dict[str, Any]:
    members, points = session.execute(
        select(func.count(LoyaltyAccount.id), func.coalesce(func.sum(LoyaltyAccount.balance), 0))
    ).one()
    return {"members": int(members), "points_outstanding": int(points)}


def award(
    session: Session,
    *,
    customer_id: str,
    points: int,
    ref: str,
    note: str,
    now: datetime | None = None,
) -> PointsResult:
    """Points for something other than an order (a valid referral, a check-in streak), through
    the ledger as a positive adjustment: once per ``ref`` (a retry returns the first entry)."""
    if points <= 0:
        raise PointsInvalid("an award is at least one point", field="points")
    return ledger.adjust_points(
        session, customer_id=customer_id, points=points, ref=ref, note=note, now=now
    )


def set_tier(
    session: Session,
    *,
    customer_id: str,
    tier_code: str | None,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> LoyaltyAccount:
    """Put a member in a tier by hand (会员等级调整): a goodwill upgrade, a correction. The
    tier counts from now (its hold period too); the periodic review may still move it later.
    ``tier_code`` None takes the member out of every tier. A reason is required (audited)."""
    now = now or utcnow()
    if not reason.strip():
        raise PointsInvalid(
            "give a reason for the tier change (it is audited)",
            field="reason",
            message=N_("Give a reason: tier changes are audited."),
        )
    if tier_code is not None and _tier(session, tier_code) is None:
        raise PointsInvalid(
            f"no tier {tier_code!r}",
            field="tier_code",
            message=N_("There is no tier %(code)s."),
            params={"code": tier_code},
        )
    account = ledger.lock_account(session, customer_id)
    before = account.tier_code
    session.execute(
        update(LoyaltyAccount)
        .where(LoyaltyAccount.id == account.id)
        .values(tier_code=tier_code, tier_since=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire(account, ["tier_code", "tier_since"])
    audit.record(
        session,
        actor=actor,
        action="loyalty.tier_set",
        object_type="customer",
        object_id=customer_id,
        detail={"from": before, "to": tier_code},
        reason=reason.strip(),
    )
    return account


def adjust_points_audited(
    session: Session, *, customer_id: str, points: int, reason: str, ref: str, actor: str
) -> None:
    """A manual points adjustment with its reason, audited once: a form or request sent twice
    (the same ``ref``) moves the points once and leaves one audit entry."""
    with session.begin_nested():
        result = ledger.adjust_points(
            session, customer_id=customer_id, points=points, ref=ref, note=reason
        )
        if not result.replayed:
            audit.record(
                session, actor=actor, action="loyalty.adjust", object_type="customer",
                object_id=customer_id, detail={"points": points, "ref": ref}, reason=reason,
            )  # fmt: skip
