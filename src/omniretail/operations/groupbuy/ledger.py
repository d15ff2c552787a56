"""The commission ledger in the operational store: the moves of ``commission`` written as
entries under one idempotency key, with the leader's row locked so that concurrent postings
for one leader see each other's balances. A retried posting (same key) writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omniretail.operations.groupbuy import commission
from omniretail.operations.groupbuy.models import CommissionEntry, Leader
from omniretail.platform.db import utcnow
from omniretail.platform.keys import normalize_key


def lock_leader(session: Session, leader_id: int) -> None:
    """Serialise postings of one leader (PostgreSQL: the row lock; SQLite: the write lock)."""
    session.execute(
        update(Leader)
        .where(Leader.id == leader_id)
        .values(code=Leader.code)
        .execution_options(synchronize_session=False)
    )


def balances(session: Session, leader_id: int) -> dict[str, int]:
    out = dict.fromkeys(commission.BUCKETS, 0)
    for bucket, total in session.execute(
        select(CommissionEntry.bucket, func.sum(CommissionEntry.amount_fen))
        .where(CommissionEntry.leader_id == leader_id)
        .group_by(CommissionEntry.bucket)
    ):
        out[bucket] = int(total or 0)
    return out


def posted(session: Session, key: str) -> bool:
    return (
        session.scalar(select(CommissionEntry.id).where(CommissionEntry.key == normalize_key(key)))
        is not None
    )


def post(
    session: Session,
    *,
    leader_id: int,
    order_id: int | None,
    key: str,
    moves: Sequence[commission.Move],
    note: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Write ``moves`` under ``key``; False when the key was posted before (a retry)."""
    k = normalize_key(key)
    if posted(session, k):
        return False
    at = now or utcnow()
    by_bucket: dict[str, list[commission.Move]] = {}
    for m in moves:
        by_bucket.setdefault(m.bucket, []).append(m)
    for bucket, ms in by_bucket.items():
        for i, m in enumerate(ms):
            session.add(
                CommissionEntry(
                    leader_id=leader_id,
                    order_id=order_id,
                    kind=m.kind,
                    bucket=bucket,
                    amount_fen=m.amount,
                    key=k if i == 0 else f"{k}#{i}",
                    at=at,
                    note=note,
                )
            )
    session.flush()
    return True


def entries(session: Session, *, leader_id: int, limit: int = 100) -> list[CommissionEntry]:
    return list(
        session.scalars(
            select(CommissionEntry)
            .where(CommissionEntry.leader_id == leader_id)
            .order_by(CommissionEntry.id.desc())
            .limit(limit)
        )
    )
