"""The points ledger: earn, redeem, expire, adjust, reverse — each exactly once.

Every write starts by bumping the account's ``version`` (``UPDATE ... WHERE customer_id``),
which takes the account row lock on PostgreSQL and the write lock on SQLite; only then is the
idempotency key looked up and the buckets read. Concurrent writes for one member therefore run
one after another, and a retried write (same key) finds its entry and replays the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import rules as points_rules
from omniretail.marketing.loyalty.errors import (
    InsufficientPoints,
    LoyaltyNotFound,
    PointsInvalid,
    RetryMismatch,
)
from omniretail.marketing.loyalty.models import LoyaltyAccount, PointsAllocation, PointsEntry
from omniretail.marketing.loyalty.schemas import PointsResult
from omniretail.platform.db import utcnow
from omniretail.platform.i18n import N_
from omniretail.platform.keys import idempotency_key
from omniretail.platform.writes import insert_ignore

# the defaults of the chain's points rules (``loyalty.rules``: rate per channel, expiry, cap)
POINTS_PER_YUAN = points_rules.DEFAULT.base_rate
EXPIRY_DAYS = points_rules.DEFAULT.expiry_days


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def lock_account(session: Session, customer_id: str) -> LoyaltyAccount:
    """Create the account if needed and take its lock (first statement of every write)."""
    insert_ignore(
        session,
        LoyaltyAccount.__table__,  # type: ignore[arg-type]
        [
            {
                "customer_id": customer_id,
                "balance": 0,
                "version": 0,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        ],
        ["customer_id"],
    )
    session.execute(
        update(LoyaltyAccount)
        .where(LoyaltyAccount.customer_id == customer_id)
        .values(version=LoyaltyAccount.version + 1)
        .execution_options(synchronize_session=False)
    )
    account = session.scalar(
        select(LoyaltyAccount)
        .where(LoyaltyAccount.customer_id == customer_id)
        .execution_options(populate_existing=True)
    )
    assert account is not None
    return account


def get_account(session: Session, customer_id: str) -> LoyaltyAccount:
    account = session.scalar(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id)
    )
    if account is None:
        raise LoyaltyNotFound(f"customer {customer_id} has no points account", field="customer_id")
    return account


def entries_sum(session: Session, account_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.account_id == account_id
        )
    )
    return int(total or 0)


@dataclass
class Bucket:
    entry_id: int
    remaining: int
    expires_at: datetime | None


def buckets(session: Session, account_id: int) -> list[Bucket]:
    """Positive entries with points left, oldest expiry first (the FIFO order)."""
    used = (
        select(
            PointsAllocation.bucket_entry_id.label("bucket_id"),
            func.sum(PointsAllocation.points).label("used"),
        )
        .group_by(PointsAllocation.bucket_entry_id)
        .subquery()
    )
    remaining = PointsEntry.points - func.coalesce(used.c.used, 0)
    rows = session.execute(
        select(PointsEntry.id, remaining, PointsEntry.expires_at)
        .outerjoin(used, used.c.bucket_id == PointsEntry.id)
        .where(PointsEntry.account_id == account_id, PointsEntry.points > 0, remaining > 0)
        .order_by(PointsEntry.expires_at, PointsEntry.id)
    ).all()
    return [Bucket(r[0], int(r[1]), None if r[2] is None else aware(r[2])) for r in rows]


def _find(session: Session, key: str) -> PointsEntry | None:
    return session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == key))


def _post(
    session: Session,
    account: LoyaltyAccount,
    *,
    kind: str,
    points: int,
    key: str,
    occurred_at: datetime,
    now: datetime,
    source: str | None = None,
    ref: str | None = None,
    amount: Decimal | None = None,
    expires_at: datetime | None = None,
    related: int | None = None,
    note: str | None = None,
    take_from: list[tuple[int, int]] | None = None,
) -> PointsEntry:
    """Append one entry (and its bucket allocations) and move the cached balance with it."""
    entry = PointsEntry(
        account_id=account.id,
        kind=kind,
        points=points,
        idempotency_key=key,
        source=source,
        ref=ref,
        amount=amount,
        occurred_at=occurred_at,
        expires_at=expires_at,
        recorded_at=now,
        related_entry_id=related,
        note=note,
    )
    session.add(entry)
    session.flush()
    for bucket_id, n in take_from or []:
        session.add(PointsAllocation(debit_entry_id=entry.id, bucket_entry_id=bucket_id, points=n))
    session.execute(
        update(LoyaltyAccount)
        .where(LoyaltyAccount.id == account.id)
        .values(balance=LoyaltyAccount.balance + points)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire(account, ["balance"])
    return entry


def _take(available: list[Bucket], points: int, first: int | None = None) -> list[tuple[int, int]]:
    """FIFO allocation of ``points`` over buckets (``first`` bucket taken before the others)."""
    order = sorted(available, key=lambda b: (b.entry_id != first,))  # stable: keeps FIFO
    plan: list[tuple[int, int]] = []
    need = points
    for b in order:
        if need <= 0:
            break
        n = min(b.remaining, need)
        if n > 0:
            plan.append((b.entry_id, n))
            need -= n
    return plan


def _result(
    account: LoyaltyAccount, entry: PointsEntry, *, replayed: bool = False, shortfall: int = 0
) -> PointsResult:
    return PointsResult(
        customer_id=account.customer_id,
        entry_id=entry.id,
        kind=entry.kind,
        points=entry.points,
        balance=account.balance,
        replayed=replayed,
        shortfall=shortfall,
        tier_code=account.tier_code,
    )


def expire_account(session: Session, account: LoyaltyAccount, now: datetime) -> int:
    """Expire this (locked) account's buckets that reached their date. Returns points expired."""
    total = 0
    for b in buckets(session, account.id):
        if b.expires_at is not None and b.expires_at <= now:
            _post(
                session,
                account,
                kind="expire",
                points=-b.remaining,
                key=idempotency_key("expire", b.entry_id),
                occurred_at=b.expires_at,
                now=now,
                related=b.entry_id,
                take_from=[(b.entry_id, b.remaining)],
            )
            total += b.remaining
    return total


def usable(session: Session, account: LoyaltyAccount, now: datetime) -> list[Bucket]:
    return [b for b in buckets(session, account.id) if b.expires_at is None or b.expires_at > now]


def earn_points(
    session: Session,
    *,
    customer_id: str,
    source: str,
    order_id: str,
    amount: Decimal,
    occurred_at: datetime,
    multiplier: Decimal = Decimal("1"),
    now: datetime | None = None,
) -> tuple[LoyaltyAccount, PointsEntry, bool]:
    """Low-level earn (the service adds tier and birthday multipliers). Returns replayed flag."""
    now = now or utcnow()
    occurred_at = aware(occurred_at).astimezone(UTC)  # stored in UTC on every store
    if amount <= 0:
        raise PointsInvalid("an order earns points only for a positive amount", field="amount")
    account = lock_account(session, customer_id)
    key = idempotency_key("earn", source, order_id)
    done = _find(session, key)
    if done is not None:
        if done.amount is not None and Decimal(done.amount) != amount:
            raise RetryMismatch(
                f"order {order_id} from {source} already earned points for {done.amount}, "
                f"not {amount}",
                field="amount",
            )
        return account, done, True
    rules = points_rules.current(session)
    points = int((amount * rules.rate(source) * multiplier).to_integral_value(rounding=ROUND_DOWN))
    if rules.max_points_per_order is not None:
        points = min(points, rules.max_points_per_order)
    entry = _post(
        session,
        account,
        kind="earn",
        points=points,
        key=key,
        occurred_at=occurred_at,
        now=now,
        source=source,
        ref=order_id,
        amount=amount,
        expires_at=occurred_at + timedelta(days=rules.expiry_days),
    )
    return account, entry, False


def redeem_points(
    session: Session, *, customer_id: str, points: int, ref: str, now: datetime | None = None
) -> PointsResult:
    """Spend points (oldest expiry first). Idempotent by ``ref`` (the redemption id)."""
    now = now or utcnow()
    if points <= 0:
        raise PointsInvalid("points to redeem must be positive", field="points")
    account = lock_account(session, customer_id)
    key = idempotency_key("redeem", ref)
    done = _find(session, key)
    if done is not None:
        if done.points != -points:
            raise RetryMismatch(f"redemption {ref} was for {-done.points} points", field="points")
        return _result(account, done, replayed=True)
    expire_account(session, account, now)
    avail = usable(session, account, now)
    have = sum(b.remaining for b in avail)
    if have < points:
        raise InsufficientPoints(
            f"customer {customer_id} has {have} points, {points} requested", field="points"
        )
    entry = _post(
        session,
        account,
        kind="redeem",
        points=-points,
        key=key,
        occurred_at=now,
        now=now,
        ref=ref,
        take_from=_take(avail, points),
    )
    return _result(account, entry)


def adjust_points(
    session: Session,
    *,
    customer_id: str,
    points: int,
    ref: str,
    note: str,
    now: datetime | None = None,
) -> PointsResult:
    """A manual correction (goodwill, fix). Positive adds a bucket; negative takes FIFO."""
    now = now or utcnow()
    if points == 0:
        raise PointsInvalid(
            "an adjustment moves at least one point",
            field="points",
            message=N_("An adjustment moves at least one point."),
        )
    account = lock_account(session, customer_id)
    key = idempotency_key("adjust", ref)
    done = _find(session, key)
    if done is not None:
        if done.points != points:
            raise RetryMismatch(f"adjustment {ref} was for {done.points} points", field="points")
        return _result(account, done, replayed=True)
    plan: list[tuple[int, int]] = []
    if points < 0:
        expire_account(session, account, now)
        avail = usable(session, account, now)
        have = sum(b.remaining for b in avail)
        if have < -points:
            raise InsufficientPoints(
                f"customer {customer_id} has {have} points, cannot remove {-points}",
                field="points",
                message=N_("The member has %(have)s points: %(take)s cannot be taken off."),
                params={"have": have, "take": -points},
            )
        plan = _take(avail, -points)
    entry = _post(
        session,
        account,
        kind="adjust",
        points=points,
        key=key,
        occurred_at=now,
        now=now,
        ref=ref,
        note=note,
        expires_at=now + timedelta(days=points_rules.current(session).expiry_days)
        if points > 0
        else None,
        take_from=plan,
    )
    return _result(account, entry)


def reverse_earn(
    session: Session,
    *,
    customer_id: str,
    source: str,
    order_id: str,
    return_id: str,
    returned_amount: Decimal,
    now: datetime | None = None,
) -> PointsResult:
    """Take back the points of a (partly) returned order, in proportion to the amount returned.

    Several partial returns add up: after the whole order is returned exactly the points it
    earned have been taken back. Points already spent cannot be taken (the balance never goes
    negative): what is missing is reported as ``shortfall``.
    """
    now = now or utcnow()
    account = lock_account(session, customer_id)
    key = idempotency_key("reverse", source, order_id, return_id)
    done = _find(session, key)
    if done is not None:
        return _result(account, done, replayed=True, shortfall=_shortfall(done))
    earn = _find(session, idempotency_key("earn", source, order_id))
    if earn is None or earn.account_id != account.id:
        raise LoyaltyNotFound(
            f"order {order_id} from {source} earned no points for {customer_id}",
            field="order_id",
        )
    assert earn.amount is not None
    prior_amount = Decimal(
        session.scalar(
            select(func.coalesce(func.sum(PointsEntry.amount), 0)).where(
                PointsEntry.related_entry_id == earn.id, PointsEntry.kind == "reverse"
            )
        )
        or 0
    )
    prior_due = _prior_due(session, earn.id)
    if prior_amount + returned_amount > Decimal(earn.amount):
        raise PointsInvalid(
            f"returns of order {order_id} would total {prior_amount + returned_amount}, "
            f"more than its {earn.amount}",
            field="returned_amount",
        )
    target = int(
        (
            Decimal(earn.points) * (prior_amount + returned_amount) / Decimal(earn.amount)
        ).to_integral_value(rounding=ROUND_DOWN)
    )
    due = target - prior_due
    expire_account(session, account, now)
    avail = usable(session, account, now)
    plan = _take(avail, due, first=earn.id)
    taken = sum(n for _, n in plan)
    entry = _post(
        session,
        account,
        kind="reverse",
        points=-taken,
        key=key,
        occurred_at=now,
        now=now,
        source=source,
        ref=return_id,
        amount=returned_amount,
        related=earn.id,
        note=f"due={due}",
        take_from=plan,
    )
    return _result(account, entry, shortfall=due - taken)


def _shortfall(entry: PointsEntry) -> int:
    if entry.note and entry.note.startswith("due="):
        return int(entry.note[4:]) + entry.points
    return 0


def _prior_due(session: Session, earn_id: int) -> int:
    """Points the earlier reversals of this earn were due (taken + shortfall)."""
    rows = session.scalars(
        select(PointsEntry).where(
            PointsEntry.related_entry_id == earn_id, PointsEntry.kind == "reverse"
        )
    )
    return sum(int(e.note[4:]) if e.note and e.note.startswith("due=") else -e.points for e in rows)


def refund_redemption(
    session: Session,
    *,
    customer_id: str,
    ref: str,
    return_id: str,
    now: datetime | None = None,
) -> PointsResult:
    """Give back the points of a redemption (the order paid with points was returned).

    The points come back as one bucket expiring with the latest bucket they were taken from.
    """
    now = now or utcnow()
    account = lock_account(session, customer_id)
    key = idempotency_key("refund", ref, return_id)
    done = _find(session, key)
    if done is not None:
        return _result(account, done, replayed=True)
    spent = _find(session, idempotency_key("redeem", ref))
    if spent is None or spent.account_id != account.id:
        raise LoyaltyNotFound(f"no points redemption {ref} for {customer_id}", field="ref")
    already = session.scalar(
        select(func.count()).where(
            PointsEntry.related_entry_id == spent.id, PointsEntry.kind == "reverse"
        )
    )
    if already:
        raise RetryMismatch(f"redemption {ref} was already refunded", field="ref")
    latest = session.scalar(
        select(func.max(PointsEntry.expires_at))
        .join(PointsAllocation, PointsAllocation.bucket_entry_id == PointsEntry.id)
        .where(PointsAllocation.debit_entry_id == spent.id)
    )
    entry = _post(
        session,
        account,
        kind="reverse",
        points=-spent.points,
        key=key,
        occurred_at=now,
        now=now,
        ref=return_id,
        related=spent.id,
        expires_at=aware(latest)
        if latest
        else now + timedelta(days=points_rules.current(session).expiry_days),
    )
    return _result(account, entry)


def verify(session: Session, account: LoyaltyAccount) -> dict[str, int | bool]:
    """The invariants: cached balance == sum(entries) == sum(bucket remaining) >= 0."""
    total = entries_sum(session, account.id)
    left = sum(b.remaining for b in buckets(session, account.id))
    overdrawn = session.scalar(
        select(func.count())
        .select_from(PointsEntry)
        .where(
            PointsEntry.account_id == account.id,
            PointsEntry.points > 0,
            PointsEntry.points
            < select(func.coalesce(func.sum(PointsAllocation.points), 0))
            .where(PointsAllocation.bucket_entry_id == PointsEntry.id)
            .scalar_subquery(),
        )
    )
    session.refresh(account, ["balance"])
    ok = total == account.balance == left and total >= 0 and not overdrawn
    return {"entries": total, "cached": account.balance, "buckets": left, "ok": bool(ok)}
