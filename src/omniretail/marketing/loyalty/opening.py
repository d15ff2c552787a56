"""Opening balances (期初余额): the points and tier a member card carried in the source's own
loyalty system (the POS member export's 积分余额 and 会员等级), brought into the points ledger.

Each card's balance is one ledger entry of kind ``opening``, keyed ``opening:<record key>``
(the card is the source record), so it enters exactly once however often the pipeline runs,
and it is a bucket like any earned points (it expires the points rules' ``expiry_days`` after
it was brought in, oldest used first). The account's balance is then recomputed from its
entries, so the ledger's invariant holds. A card's tier is matched by name, English name or
code to a tier of ``loyalty_tier`` and given to an account that has no tier yet (a tier earned
here wins).

The bulk path (chunks of set-based statements, no per-member ORM work): a demo world's
~60,000 cards take a second, not minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import rules as points_rules
from omniretail.marketing.loyalty.models import LoyaltyAccount, LoyaltyTier, PointsEntry
from omniretail.platform.db import utcnow
from omniretail.platform.keys import idempotency_key
from omniretail.platform.writes import insert_ignore

CHUNK = 2000


@dataclass(frozen=True)
class OpeningBalance:
    customer_id: str
    record_key: str  # the member card (source:card number)
    source: str
    points: int
    tier_name: str | None


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _tier_codes(session: Session) -> dict[str, tuple[int, str]]:
    """Every way a source may name a tier (name, English name, code) → (rank, code)."""
    out: dict[str, tuple[int, str]] = {}
    for tier in session.scalars(select(LoyaltyTier)):
        for name in (tier.code, tier.name, tier.name_en):
            if name:
                out[name.strip().lower()] = (tier.rank, tier.code)
    return out


def import_opening_balances(
    session: Session, balances: list[OpeningBalance], *, now: datetime | None = None
) -> dict[str, int]:
    """Post each card's opening balance once; give tiers to accounts without one."""
    now = now or utcnow()
    keyed = {idempotency_key("opening", b.record_key): b for b in balances if b.points > 0}
    keys = list(keyed)
    seen: set[str] = set()
    for part in _chunks(keys):
        seen.update(
            session.scalars(
                select(PointsEntry.idempotency_key).where(PointsEntry.idempotency_key.in_(part))
            )
        )
    new = {k: b for k, b in keyed.items() if k not in seen}
    tiers = _tier_codes(session)
    best: dict[str, tuple[int, str]] = {}
    for b in balances:
        found = tiers.get((b.tier_name or "").strip().lower())
        if found and (b.customer_id not in best or found > best[b.customer_id]):
            best[b.customer_id] = found
    customers = sorted({b.customer_id for b in new.values()} | set(best))
    for part in _chunks(customers):
        insert_ignore(
            session,
            LoyaltyAccount.__table__,  # type: ignore[arg-type]
            [
                {"customer_id": c, "balance": 0, "version": 0, "created_at": now,
                 "updated_at": now}
                for c in part
            ],
            ["customer_id"],
        )  # fmt: skip
    account_of: dict[str, int] = {}
    for part in _chunks(customers):
        rows_of = session.execute(
            select(LoyaltyAccount.customer_id, LoyaltyAccount.id).where(
                LoyaltyAccount.customer_id.in_(part)
            )
        )
        account_of.update((customer_id, account_id) for customer_id, account_id in rows_of)
    expires = now + timedelta(days=points_rules.current(session).expiry_days)
    rows = [
        {
            "account_id": account_of[b.customer_id],
            "kind": "opening",
            "points": b.points,
            "idempotency_key": key,
            "source": b.source[:32],
            "ref": b.record_key[:96],
            "occurred_at": now,
            "expires_at": expires,
            "recorded_at": now,
            "note": "期初余额 opening balance",
        }
        for key, b in new.items()
    ]
    for i in range(0, len(rows), CHUNK):
        insert_ignore(session, PointsEntry.__table__, rows[i : i + CHUNK], ["idempotency_key"])  # type: ignore[arg-type]
    touched = sorted({account_of[b.customer_id] for b in new.values()})
    total = (
        select(func.coalesce(func.sum(PointsEntry.points), 0))
        .where(PointsEntry.account_id == LoyaltyAccount.id)
        .scalar_subquery()
    )
    for i in range(0, len(touched), CHUNK):
        session.execute(
            update(LoyaltyAccount)
            .where(LoyaltyAccount.id.in_(touched[i : i + CHUNK]))
            .values(balance=total, version=LoyaltyAccount.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    tiered = 0
    by_code: dict[str, list[str]] = {}
    for customer_id, (_rank, code) in best.items():
        by_code.setdefault(code, []).append(customer_id)
    for code, members in by_code.items():
        for part in _chunks(sorted(members)):
            result = session.execute(
                update(LoyaltyAccount)
                .where(LoyaltyAccount.customer_id.in_(part), LoyaltyAccount.tier_code.is_(None))
                .values(tier_code=code, tier_since=now)
                .execution_options(synchronize_session=False)
            )
            tiered += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    return {
        "cards": len(balances),
        "opened": len(rows),
        "points": sum(b.points for b in new.values()),
        "already": len(seen),
        "tiers_given": tiered,
    }
