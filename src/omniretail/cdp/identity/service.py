"""Manual identity decisions (人工合并 / 拆分) with an audit trail.

A merge or an unmerge is stored as constraints between source records that every later
resolution run honours (must-link / cannot-link), and recorded in the audit trail. A merge
also takes effect at once in the operational store (the second customer's identities move to
the first, which it is marked ``merged`` into); an unmerge takes effect at the next run, which
gives the split-off records a new customer id (logged in ``identity_changes``).
Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from omniretail.cdp.identity.constraints import CANNOT_LINK, MUST_LINK
from omniretail.cdp.identity.errors import CustomerNotResolved, InvalidMerge
from omniretail.cdp.identity.models import IdentityConstraint
from omniretail.platform import audit
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.i18n import N_

MAX_UNMERGE_PAIRS = 10_000


def _records(engine: AnalyticsEngine, customer_id: str) -> list[str]:
    rows = engine.fetch_rows(
        "SELECT record_key FROM identity_map WHERE customer_id = ? ORDER BY record_key",
        [customer_id],
    )
    if not rows:
        raise CustomerNotResolved(
            f"no customer {customer_id!r} in the analytics snapshot",
            field="customer_id",
            message=N_("Customer %(id)s is not in the analytics snapshot yet (next pipeline run)."),
            params={"id": customer_id},
        )
    return [r["record_key"] for r in rows]


def _deactivate(session: Session, kind: str, left: list[str], right: list[str]) -> int:
    """Deactivate constraints of ``kind`` between any record of ``left`` and of ``right``."""
    rows = session.scalars(
        select(IdentityConstraint).where(
            IdentityConstraint.kind == kind,
            IdentityConstraint.active.is_(True),
            or_(
                IdentityConstraint.left_key.in_(left) & IdentityConstraint.right_key.in_(right),
                IdentityConstraint.left_key.in_(right) & IdentityConstraint.right_key.in_(left),
            ),
        )
    ).all()
    for row in rows:
        row.active = False
    return len(rows)


def merge_customers(
    session: Session,
    engine: AnalyticsEngine,
    *,
    customer_id: str,
    other_customer_id: str,
    actor: str,
    reason: str,
    move_identities: Callable[[Session, str, str], int],
) -> dict[str, Any]:
    """Declare two customers one person; ``customer_id`` survives. ``move_identities(session,
    customer_id, other_customer_id)`` applies the merge to the published customers at once
    (the profile's: ``cdp.profile.service.merge_customers`` passes it) and returns how many
    identities it moved."""
    if customer_id == other_customer_id:
        raise InvalidMerge(
            "a customer cannot be merged with itself",
            field="other_customer_id",
            message=N_("A customer cannot be merged with itself."),
        )
    if not reason.strip():
        raise InvalidMerge(
            "give a reason for the merge (it is audited)",
            field="reason",
            message=N_("Give a reason: merges and splits are audited."),
        )
    keep = _records(engine, customer_id)
    other = _records(engine, other_customer_id)
    lifted = _deactivate(session, CANNOT_LINK, keep, other)
    constraint = IdentityConstraint(
        kind=MUST_LINK,
        left_key=keep[0],
        right_key=other[0],
        created_by=actor,
        reason=reason,
        origin=f"merge {customer_id}+{other_customer_id}",
    )
    session.add(constraint)
    session.flush()
    moved = move_identities(session, customer_id, other_customer_id)
    audit.record(
        session,
        actor=actor,
        action="identity.merge",
        object_type="customer",
        object_id=customer_id,
        detail={
            "merged": other_customer_id,
            "constraint_id": constraint.id,
            "left_key": keep[0],
            "right_key": other[0],
            "cannot_links_lifted": lifted,
            "identities_moved": moved,
        },
        reason=reason,
    )
    return {
        "customer_id": customer_id,
        "merged": other_customer_id,
        "constraint_id": constraint.id,
        "cannot_links_lifted": lifted,
        "identities_moved": moved,
        "takes_full_effect": "next pipeline run",
    }


def unmerge_records(
    session: Session,
    engine: AnalyticsEngine,
    *,
    customer_id: str,
    record_keys: list[str],
    actor: str,
    reason: str,
) -> dict[str, Any]:
    """Split ``record_keys`` off ``customer_id``: they may never again join its other records."""
    if not reason.strip():
        raise InvalidMerge(
            "give a reason for the unmerge (it is audited)",
            field="reason",
            message=N_("Give a reason: merges and splits are audited."),
        )
    records = _records(engine, customer_id)
    split = sorted(set(record_keys))
    unknown = [k for k in split if k not in records]
    if unknown:
        raise InvalidMerge(
            f"record {unknown[0]!r} does not belong to customer {customer_id}",
            field="record_keys",
            message=N_("Record %(record)s does not belong to customer %(customer)s."),
            params={"record": unknown[0], "customer": customer_id},
        )
    rest = [k for k in records if k not in split]
    if not split or not rest:
        raise InvalidMerge(
            "name some, but not all, of the customer's records to split off",
            field="record_keys",
            message=N_("Choose some, but not all, of the customer's records to split off."),
        )
    if len(split) * len(rest) > MAX_UNMERGE_PAIRS:
        raise InvalidMerge(
            f"splitting {len(split)} from {len(rest)} records needs too many constraints",
            field="record_keys",
            message=N_("Splitting %(split)s from %(rest)s records needs too many decisions."),
            params={"split": len(split), "rest": len(rest)},
        )
    lifted = _deactivate(session, MUST_LINK, split, rest)
    for left, right in product(split, rest):
        session.add(
            IdentityConstraint(
                kind=CANNOT_LINK,
                left_key=left,
                right_key=right,
                created_by=actor,
                reason=reason,
                origin=f"unmerge {customer_id}",
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="identity.unmerge",
        object_type="customer",
        object_id=customer_id,
        detail={"split": split, "rest": len(rest), "must_links_lifted": lifted},
        reason=reason,
    )
    return {
        "customer_id": customer_id,
        "split": split,
        "cannot_links": len(split) * len(rest),
        "must_links_lifted": lifted,
        "takes_effect": "next pipeline run",
    }


def list_constraints(session: Session, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    query = select(IdentityConstraint).order_by(IdentityConstraint.id)
    if not include_inactive:
        query = query.where(IdentityConstraint.active.is_(True))
    return [
        {
            "id": c.id,
            "kind": c.kind,
            "left_key": c.left_key,
            "right_key": c.right_key,
            "active": c.active,
            "created_by": c.created_by,
            "reason": c.reason,
            "origin": c.origin,
            "created_at": c.created_at.isoformat() if c.created_at else None,
        }
        for c in session.scalars(query)
    ]
