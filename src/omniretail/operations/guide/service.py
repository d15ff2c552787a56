"""The clerk–customer relationship: claims under the chain's binding mode, the protection
period, lock extension on a click or an order, and transfers within WeCom's limits.

Concurrency: every change of a customer's relationship first locks that customer's
``guide_customer`` row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers). The
first claim for a new customer inserts the row inside a savepoint: of two concurrent inserts the
second waits for the first to commit, fails on the primary key, rolls back its savepoint and
then locks the committed row — so the rules always run on the latest relationship and a customer
is never bound to two clerks, nor transferred past the limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast, get_args

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omniretail.cdp.profile import service as profile_service
from omniretail.marketing.campaign.planning import unit_hash
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.staff.schemas import StaffRead
from omniretail.operations.guide.errors import (
    BadGuideInput,
    GuideRefused,
    StaffNotClerk,
    TransferNotFound,
)
from omniretail.operations.guide.models import (
    GuideBinding,
    GuideCustomer,
    GuidePolicy,
    GuideTransfer,
)
from omniretail.operations.guide.schemas import (
    BindingRead,
    HandoverRead,
    PolicyRead,
    Source,
    TransferRead,
)
from omniretail.platform import bulk
from omniretail.platform.db import utcnow
from omniretail.platform.timezone import to_wall_clock

GUIDE_ROLES = ("clerk", "manager")
HOLDOUT_SALT = "guide-holdout"


@dataclass(frozen=True)
class _ChainWide:
    """The rules look customers up chain-wide (a claim comes from WeCom, not from a user)."""

    sees_personal_data: bool = False
    store_codes: list[str] | None = None


def aware(t: datetime) -> datetime:
    """An instant from the store (naive on SQLite) as aware UTC."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def local_day(t: datetime) -> str:
    """The chain's calendar day of an instant, as the refusals name it (2027-01-05)."""
    return to_wall_clock(aware(t)).date().isoformat()


def is_holdout(customer_id: str, pct: int) -> bool:
    """Whether a customer is in the clerks' randomized holdout: a keyed hash of the customer id,
    so the same customer is always in the same arm, whichever clerk they are bound to."""
    return unit_hash(HOLDOUT_SALT, customer_id) < pct / 100


# --- policy -------------------------------------------------------------------------------


def get_policy(session: Session) -> PolicyRead:
    row = session.get(GuidePolicy, 1)
    return PolicyRead() if row is None else PolicyRead.model_validate(row)


def set_policy(session: Session, *, policy: PolicyRead) -> PolicyRead:
    row = session.get(GuidePolicy, 1)
    if row is None:
        row = GuidePolicy(id=1)
        session.add(row)
    for k, v in policy.model_dump().items():
        setattr(row, k, v)
    row.updated_at = utcnow()
    session.flush()
    return PolicyRead.model_validate(row)


# --- lookups ------------------------------------------------------------------------------


def guide_staff(session: Session, staff_code: str) -> StaffRead:
    """An active clerk or store manager (raises ``UnknownStaff`` / :class:`StaffNotClerk`)."""
    staff = staff_service.get_staff(session, staff_id=staff_code)
    if not staff.is_active:
        raise StaffNotClerk(staff.staff_id, "已离职或停用", "is not active")
    if staff.role not in GUIDE_ROLES:
        raise StaffNotClerk(staff.staff_id, "不是导购", f"is a {staff.role}, not a clerk")
    return staff


def resolve_customer(session: Session, identifier: str) -> str:
    """The customer id behind an identifier (id, phone…); raises ``CustomerNotResolved``."""
    customer = profile_service.get_visible_customer(session, _ChainWide(), identifier)
    if customer.status == "merged" and customer.merged_into:
        return customer.merged_into
    return customer.customer_id


def _lock(session: Session, customer_id: str) -> GuideCustomer:
    row = session.get(GuideCustomer, customer_id, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(GuideCustomer(customer_id=customer_id))
    except IntegrityError:
        pass  # a concurrent claim created it first; lock theirs
    row = session.get(GuideCustomer, customer_id, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def current_binding(session: Session, customer_id: str) -> GuideBinding | None:
    row = session.get(GuideCustomer, customer_id)
    if row is None or row.binding_id is None:
        return None
    return session.get(GuideBinding, row.binding_id)


def _read(b: GuideBinding) -> BindingRead:
    return BindingRead.model_validate(b)


# --- claims -------------------------------------------------------------------------------


def _start(
    session: Session,
    row: GuideCustomer,
    policy: PolicyRead,
    staff: StaffRead,
    *,
    source: str,
    source_ref: str | None,
    at: datetime,
) -> GuideBinding:
    b = GuideBinding(
        customer_id=row.customer_id,
        staff_code=staff.staff_id,
        store_code=staff.store_code,
        source=source,
        source_ref=source_ref,
        bound_at=at,
        protected_until=at + timedelta(days=policy.protection_days),
        valid_until=at + timedelta(days=policy.validity_days),
        holdout=is_holdout(row.customer_id, policy.holdout_pct),
    )
    session.add(b)
    session.flush()
    row.binding_id = b.id
    row.staff_code = staff.staff_id
    row.updated_at = at
    session.flush()
    return b


def _end(b: GuideBinding, at: datetime, reason: str) -> None:
    b.ended_at = max(at, aware(b.bound_at))
    b.end_reason = reason


def _extend(b: GuideBinding, at: datetime, days: int) -> None:
    b.protected_until = max(aware(b.protected_until), at + timedelta(days=days))
    b.valid_until = max(aware(b.valid_until), at + timedelta(days=days))


def claim(
    session: Session,
    *,
    customer_id: str,
    staff_code: str,
    source: str,
    source_ref: str | None = None,
    registration: bool = False,
    at: datetime | None = None,
) -> BindingRead:
    """Bind a customer to a clerk after a touch (WeCom contact-me ``state``, a store QR code, a
    clerk's share link, a purchase the clerk served), under the chain's binding mode:

    - ``first_touch``: the first clerk keeps the customer until the relationship expires;
    - ``registration_only``: a customer is bound only by the touch that registered them;
    - ``latest_touch``: a later touch by another clerk takes the customer, once the protection
      period is over.

    A touch by the bound clerk extends the lock (as an order or a click does). A refusal raises
    :class:`GuideRefused` naming why; nothing is changed then."""
    at = aware(at or utcnow())
    if source not in ("contact_me", "store_qr", "share_link", "purchase"):
        raise BadGuideInput(
            f"未知的绑定来源 {source!r} (unknown source {source!r})", field="source"
        )
    staff = guide_staff(session, staff_code)
    cid = resolve_customer(session, customer_id)
    policy = get_policy(session)
    row = _lock(session, cid)
    b = session.get(GuideBinding, row.binding_id) if row.binding_id is not None else None
    if b is not None and aware(b.valid_until) <= at:
        _end(b, aware(b.valid_until), "expired")
        row.binding_id, row.staff_code = None, None
        b = None
    if b is not None and b.staff_code == staff.staff_id:
        days = policy.order_extend_days if source == "purchase" else policy.click_extend_days
        _extend(b, at, days)
        session.flush()
        return _read(b)
    if policy.binding_mode == "registration_only" and not registration:
        raise GuideRefused(
            "本连锁仅在会员注册时绑定导购",
            "this chain binds a clerk only at registration",
            reason="registration_only",
        )
    if b is not None:
        if policy.binding_mode != "latest_touch":
            raise GuideRefused(
                f"此客户已绑定导购 {b.staff_code}（首次绑定优先），至 {local_day(b.valid_until)}",
                f"customer is bound to {b.staff_code} (first touch wins) until"
                f" {local_day(b.valid_until)}",
                reason="already_bound",
            )
        if aware(b.protected_until) > at:
            raise GuideRefused(
                f"此客户在保护期内，至 {local_day(b.protected_until)}",
                f"customer is protected until {local_day(b.protected_until)}",
                reason="protected",
            )
        _end(b, at, "override")
    return _read(_start(session, row, policy, staff, source=source, source_ref=source_ref, at=at))


def touch(
    session: Session, *, customer_id: str, staff_code: str, kind: str, at: datetime | None = None
) -> BindingRead | None:
    """A click on the clerk's link or an order through them: extends the bound clerk's lock
    (protection and validity) by the policy's days. A touch of another clerk changes nothing
    (returns None); to take the customer, that clerk's touch is a :func:`claim`."""
    at = aware(at or utcnow())
    if kind not in ("click", "order"):
        raise BadGuideInput(f"未知的接触类型 {kind!r} (unknown touch {kind!r})", field="kind")
    cid = resolve_customer(session, customer_id)
    policy = get_policy(session)
    row = _lock(session, cid)
    b = session.get(GuideBinding, row.binding_id) if row.binding_id is not None else None
    if b is None or b.staff_code != staff_code.strip() or aware(b.valid_until) <= at:
        return None
    _extend(b, at, policy.order_extend_days if kind == "order" else policy.click_extend_days)
    session.flush()
    return _read(b)


# --- transfers ----------------------------------------------------------------------------


def _transfers_in_window(session: Session, cid: str, at: datetime, days: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(GuideTransfer)
            .where(
                GuideTransfer.customer_id == cid,
                GuideTransfer.status.in_(("pending", "done")),
                GuideTransfer.requested_at > at - timedelta(days=days),
            )
        )
        or 0
    )


def request_transfer(
    session: Session,
    *,
    customer_id: str,
    to_staff: str,
    reason: str = "reassign",
    actor: str | None = None,
    at: datetime | None = None,
) -> TransferRead:
    """Ask to move a customer to another clerk (分配 or 离职继承). WeCom's limits: a customer is
    transferred at most ``max_transfers`` times in ``transfer_window_days`` days (2 in 90), and
    the transfer completes ``takeover_hours`` (24 h) later unless the customer refuses."""
    at = aware(at or utcnow())
    staff = guide_staff(session, to_staff)
    cid = resolve_customer(session, customer_id)
    policy = get_policy(session)
    row = _lock(session, cid)
    b = session.get(GuideBinding, row.binding_id) if row.binding_id is not None else None
    if b is None:
        raise GuideRefused(
            "此客户尚未绑定导购，无需转接", "customer has no clerk", reason="unbound"
        )
    if b.staff_code == staff.staff_id:
        raise GuideRefused(
            f"此客户已由导购 {staff.staff_id} 服务",
            "customer is already this clerk's",
            reason="same_clerk",
            field="to_staff",
        )
    pending = session.scalars(
        select(GuideTransfer).where(
            GuideTransfer.customer_id == cid, GuideTransfer.status == "pending"
        )
    ).first()
    if pending is not None:
        raise GuideRefused(
            f"此客户已有待接替的转接（至 {local_day(pending.takeover_at)}）",
            "customer already has a pending transfer",
            reason="pending_transfer",
        )
    n = _transfers_in_window(session, cid, at, policy.transfer_window_days)
    if n >= policy.max_transfers:
        raise GuideRefused(
            f"此客户 {policy.transfer_window_days} 天内已转接 {n} 次，"
            f"企业微信最多允许 {policy.max_transfers} 次",
            f"customer was transferred {n} times in {policy.transfer_window_days} days"
            f" (limit {policy.max_transfers})",
            reason="transfer_limit",
        )
    t = GuideTransfer(
        customer_id=cid,
        from_staff=b.staff_code,
        to_staff=staff.staff_id,
        reason=reason,
        status="pending",
        requested_at=at,
        takeover_at=at + timedelta(hours=policy.takeover_hours),
        actor=actor,
    )
    session.add(t)
    session.flush()
    return TransferRead.model_validate(t)


def _get_transfer(session: Session, transfer_id: int) -> GuideTransfer:
    t = session.get(GuideTransfer, transfer_id)
    if t is None:
        raise TransferNotFound(transfer_id)
    return t


def transfer_by_id(session: Session, transfer_id: int) -> TransferRead:
    """One transfer; raises :class:`TransferNotFound`."""
    return TransferRead.model_validate(_get_transfer(session, transfer_id))


def refuse_transfer(
    session: Session, *, transfer_id: int, at: datetime | None = None
) -> TransferRead:
    """The customer refuses to be taken over: the transfer ends, the relationship stays."""
    at = aware(at or utcnow())
    t = _get_transfer(session, transfer_id)
    _lock(session, t.customer_id)
    session.refresh(t)
    if t.status != "pending":
        raise GuideRefused(
            f"转接 {t.id} 已{'完成' if t.status == 'done' else '被拒绝'}，不能再拒绝",
            f"transfer {t.id} is {t.status}",
            reason="not_pending",
            field="transfer_id",
        )
    if aware(t.takeover_at) <= at:
        raise GuideRefused(
            "已超过 24 小时，转接已自动完成",
            "the takeover time has passed",
            reason="takeover_passed",
            field="transfer_id",
        )
    t.status, t.decided_at = "refused", at
    session.flush()
    return TransferRead.model_validate(t)


def complete_due_transfers(session: Session, *, now: datetime | None = None) -> int:
    """Complete the transfers whose takeover time has come (the job ``guide.takeover``)."""
    now = aware(now or utcnow())
    ids = list(
        session.scalars(
            select(GuideTransfer.id)
            .where(GuideTransfer.status == "pending", GuideTransfer.takeover_at <= now)
            .order_by(GuideTransfer.customer_id)
        )
    )
    policy = get_policy(session)
    done = 0
    for tid in ids:
        t = _get_transfer(session, tid)
        row = _lock(session, t.customer_id)
        session.refresh(t)
        if t.status != "pending":
            continue
        at = aware(t.takeover_at)
        b = session.get(GuideBinding, row.binding_id) if row.binding_id is not None else None
        try:
            staff = guide_staff(session, t.to_staff)
        except Exception:  # noqa: BLE001 - the receiving clerk left meanwhile
            t.status, t.decided_at = "refused", now
            continue
        if b is not None:
            _end(b, at, "transfer")
        _start(session, row, policy, staff, source="transfer", source_ref=f"transfer:{t.id}", at=at)
        t.status, t.decided_at = "done", now
        done += 1
    session.flush()
    return done


def hand_over(
    session: Session,
    *,
    from_staff: str,
    to_staff: str,
    actor: str | None = None,
    at: datetime | None = None,
) -> HandoverRead:
    """A clerk leaves (离职继承): request a transfer of each of their customers to another
    clerk. Customers the rules hold back (the 2-in-90-days limit, a pending transfer) are
    counted by reason; the others move after the takeover time."""
    at = aware(at or utcnow())
    guide_staff(session, to_staff)
    ids = list(
        session.scalars(
            select(GuideCustomer.customer_id)
            .where(GuideCustomer.staff_code == from_staff.strip())
            .order_by(GuideCustomer.customer_id)
        )
    )
    requested, reasons = 0, dict[str, int]()
    for cid in ids:
        try:
            with session.begin_nested():
                request_transfer(
                    session,
                    customer_id=cid,
                    to_staff=to_staff,
                    reason="clerk_left",
                    actor=actor,
                    at=at,
                )
            requested += 1
        except GuideRefused as exc:
            reasons[exc.reason] = reasons.get(exc.reason, 0) + 1
    return HandoverRead(requested=requested, refused=sum(reasons.values()), reasons=reasons)


def contact_deleted(
    session: Session, *, customer_id: str, staff_code: str, at: datetime | None = None
) -> BindingRead | None:
    """The customer deleted the clerk in WeCom (``del_follow_user``): the relationship ends
    (reason ``deleted``) and the customer is free for the next touch. A deletion of a clerk
    the customer is not bound to changes nothing (returns None)."""
    at = aware(at or utcnow())
    cid = resolve_customer(session, customer_id)
    row = _lock(session, cid)
    b = session.get(GuideBinding, row.binding_id) if row.binding_id is not None else None
    if b is None or b.staff_code != staff_code.strip():
        return None
    _end(b, at, "deleted")
    row.binding_id, row.staff_code, row.updated_at = None, None, at
    session.flush()
    return _read(b)


def contact_counts(session: Session, *, since: datetime) -> dict[str, dict[str, int]]:
    """Per clerk since ``since``: new contacts (relationships started, transfers included)
    and deletions by the customer."""
    out: dict[str, dict[str, int]] = {}
    for staff, n in session.execute(
        select(GuideBinding.staff_code, func.count())
        .where(GuideBinding.bound_at >= since)
        .group_by(GuideBinding.staff_code)
    ):
        out.setdefault(str(staff), {"new": 0, "deleted": 0})["new"] = int(n)
    for staff, n in session.execute(
        select(GuideBinding.staff_code, func.count())
        .where(GuideBinding.ended_at >= since, GuideBinding.end_reason == "deleted")
        .group_by(GuideBinding.staff_code)
    ):
        out.setdefault(str(staff), {"new": 0, "deleted": 0})["deleted"] = int(n)
    return out


def expire_due(session: Session, *, now: datetime | None = None) -> int:
    """End relationships past their valid-until (the job ``guide.expire``)."""
    now = aware(now or utcnow())
    rows = session.execute(
        select(GuideCustomer, GuideBinding)
        .join(GuideBinding, GuideBinding.id == GuideCustomer.binding_id)
        .where(GuideBinding.valid_until <= now)
    ).all()
    for row, b in rows:
        _end(b, aware(b.valid_until), "expired")
        row.binding_id, row.staff_code, row.updated_at = None, None, now
    session.flush()
    return len(rows)


# --- bulk load and reads ------------------------------------------------------------------


def import_bindings(
    session: Session, *, rows: Sequence[tuple[str, str, datetime]], source: str = "import"
) -> int:
    """Load existing relationships (customer id, clerk code, bound at) from another system
    (an SCRM export), in bulk: customers already bound are skipped; an unknown or inactive
    clerk refuses the whole load (nothing applied). Returns the number bound."""
    policy = get_policy(session)
    staff = {s.staff_id: s for s in staff_service.list_staff(session)}
    for _, code, _ in rows:
        if code not in staff or staff[code].role not in GUIDE_ROLES:
            raise StaffNotClerk(code, "不存在或不是导购", "is unknown or not a clerk")
    bound = set(session.scalars(select(GuideCustomer.customer_id)))
    fresh = [(c, s, aware(t)) for c, s, t in rows if c not in bound]
    seen: set[str] = set()
    fresh = [r for r in fresh if not (r[0] in seen or seen.add(r[0]))]  # type: ignore[func-returns-value]
    if not fresh:
        return 0
    start = int(session.scalar(select(func.coalesce(func.max(GuideBinding.id), 0))) or 0) + 1
    bindings: list[dict[str, Any]] = []
    customers: list[dict[str, Any]] = []
    for i, (cid, code, at) in enumerate(fresh):
        bid = start + i
        bindings.append(
            {
                "id": bid,
                "customer_id": cid,
                "staff_code": code,
                "store_code": staff[code].store_code,
                "source": source,
                "source_ref": None,
                "bound_at": at,
                "protected_until": at + timedelta(days=policy.protection_days),
                "valid_until": at + timedelta(days=policy.validity_days),
                "ended_at": None,
                "end_reason": None,
                "holdout": is_holdout(cid, policy.holdout_pct),
            }
        )
        customers.append(
            {"customer_id": cid, "binding_id": bid, "staff_code": code, "updated_at": at}
        )
    bulk.insert_rows(session, cast(Table, GuideBinding.__table__), bindings)
    bulk.insert_rows(session, cast(Table, GuideCustomer.__table__), customers)
    _fix_sequence(session)
    return len(fresh)


def _fix_sequence(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('guide_binding', 'id'),"
                " (SELECT max(id) FROM guide_binding))"
            )
        )


def customers_of(session: Session, *, staff_code: str) -> list[BindingRead]:
    rows = session.scalars(
        select(GuideBinding)
        .join(GuideCustomer, GuideCustomer.binding_id == GuideBinding.id)
        .where(GuideCustomer.staff_code == staff_code)
        .order_by(GuideBinding.bound_at.desc(), GuideBinding.customer_id)
    )
    return [_read(b) for b in rows]


PAGE_SIZE = 50


@dataclass(frozen=True)
class CustomerPage:
    """One page of a clerk's bound customers: ``total`` is how many of them match the filter
    (``bound``: all of them), ``page`` the 1-based page shown (clamped to the last one)."""

    items: list[BindingRead]
    total: int
    bound: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The 1-based rank of the first customer shown (0 when none)."""
        return (self.page - 1) * self.size + 1 if self.items else 0


def customers_page(
    session: Session,
    *,
    staff_code: str,
    q: str | None = None,
    source: str | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> CustomerPage:
    """A clerk's bound customers, latest bound first, one page at a time: counted and sliced
    in the store (a clerk may have hundreds), filtered by a part of the customer id and by how
    the relationship began."""
    if source is not None and source not in get_args(Source):
        raise BadGuideInput(
            f"未知的绑定来源 {source!r} (unknown source {source!r})", field="source"
        )
    if page < 1 or not 1 <= size <= 200:
        raise BadGuideInput("页码须从 1 开始 (page must be 1 or more)", field="page")
    mine = (
        select(GuideBinding)
        .join(GuideCustomer, GuideCustomer.binding_id == GuideBinding.id)
        .where(GuideCustomer.staff_code == staff_code)
    )
    bound = int(session.scalar(select(func.count()).select_from(mine.subquery())) or 0)
    q = (q or "").strip()
    if q:
        mine = mine.where(GuideBinding.customer_id.contains(q.upper(), autoescape=True))
    if source:
        mine = mine.where(GuideBinding.source == source)
    total = (
        bound
        if not q and not source
        else int(session.scalar(select(func.count()).select_from(mine.subquery())) or 0)
    )
    page = min(page, max(1, -(-total // size)))
    rows = session.scalars(
        mine.order_by(GuideBinding.bound_at.desc(), GuideBinding.customer_id)
        .limit(size)
        .offset((page - 1) * size)
    )
    return CustomerPage([_read(b) for b in rows], total, bound, page, size)


def bindings_of(session: Session, *, customer_id: str) -> list[BindingRead]:
    rows = session.scalars(
        select(GuideBinding)
        .where(GuideBinding.customer_id == customer_id)
        .order_by(GuideBinding.bound_at, GuideBinding.id)
    )
    return [_read(b) for b in rows]


def transfers(session: Session, *, customer_id: str | None = None) -> list[TransferRead]:
    q = select(GuideTransfer).order_by(GuideTransfer.id)
    if customer_id is not None:
        q = q.where(GuideTransfer.customer_id == customer_id)
    return [TransferRead.model_validate(t) for t in session.scalars(q)]


def bound_counts(session: Session) -> dict[str, int]:
    """Bound customers per clerk."""
    return {
        str(k): int(v)
        for k, v in session.execute(
            select(GuideCustomer.staff_code, func.count())
            .where(GuideCustomer.staff_code.is_not(None))
            .group_by(GuideCustomer.staff_code)
        )
    }


def binding_periods(session: Session, *, chunk: int = 100_000) -> Iterable[list[Any]]:
    """Every relationship period (for attribution), in id order, in chunks."""
    stmt = (
        select(
            GuideBinding.id,
            GuideBinding.customer_id,
            GuideBinding.staff_code,
            GuideBinding.store_code,
            GuideBinding.bound_at,
            GuideBinding.ended_at,
            GuideBinding.holdout,
        )
        .order_by(GuideBinding.id)
        .execution_options(yield_per=chunk)
    )
    for part in session.execute(stmt).partitions():
        yield list(part)
