"""The Customer 360 view (客户360视图): golden record, identities, channels, consent, orders,
merge explanation and a cross-channel timeline.

The customer and its identities come from the operational store; orders, events and the
explanation from the published analytics snapshot, filtered by customer id (the tables are
sorted by customer, so a lookup reads a few row groups, not the whole table). Personal data
is masked unless the caller may see it; store-scoped callers only see their stores' customers.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from omniretail.cdp.identity import service as identity_service
from omniretail.cdp.identity.errors import CustomerNotResolved
from omniretail.cdp.identity.explain import cluster
from omniretail.cdp.identity.schemas import CustomerCluster
from omniretail.cdp.profile import masking
from omniretail.cdp.profile.lookup import find_customer
from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.cdp.profile.schemas import CustomerProfile, Timeline
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.engine import open_published
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.i18n import N_
from omniretail.platform.phone import normalize_phone
from omniretail.platform.timezone import from_wall_clock


class Viewer(Protocol):
    """What the profile needs to know about the caller (an ``auth.deps.Principal``)."""

    @property
    def sees_personal_data(self) -> bool: ...

    @property
    def store_codes(self) -> list[str] | None: ...


def _visible(viewer: Viewer, customer: Customer) -> bool:
    return store_scope(viewer).allows(customer.home_store_code)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def local_time(value: Any) -> datetime | None:
    """A time of the customer's in the chain's time zone (``CHAIN_TZ``): the analytics store
    and a published SQLite keep local wall-clock times without offset; an aware time (from
    PostgreSQL) is converted."""
    if not isinstance(value, datetime):
        return None
    return from_wall_clock(value)


def customer_summary(customer: Customer, viewer: Viewer) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "gender": customer.gender,
        "birthday": _iso(customer.birthday),
        "phone": customer.phone,
        "email": customer.email,
        "province": customer.province,
        "city": customer.city,
        "address": customer.address,
        "home_store_code": customer.home_store_code,
        "registered_at": _iso(local_time(customer.registered_at)),
        "first_seen_at": _iso(local_time(customer.first_seen_at)),
        "last_seen_at": _iso(local_time(customer.last_seen_at)),
        "sources": customer.sources or [],
        "records": customer.records,
        "status": customer.status,
        "golden_sources": customer.golden or {},
    }
    return row if viewer.sees_personal_data else masking.mask_customer(row)


def require_visible_customer(
    session: Session, viewer: Viewer, customer_id: str, *, field: str = "customer_id"
) -> None:
    """The one store-visibility check for a route that names a customer by id (loyalty,
    coupons, tags...): a chain-wide caller may name anyone (even a customer not published
    yet); a store-scoped caller only a customer of their stores. Otherwise 404, as if the
    customer did not exist (no fishing for who shops elsewhere)."""
    scope = store_scope(viewer)
    if scope.all_stores:
        return
    try:
        customer = find_customer(session, customer_id)
    except CustomerNotResolved:
        customer = None
    if customer is None or not scope.allows(customer.home_store_code):
        raise CustomerNotResolved(
            f"no customer known by {customer_id!r}",
            field=field,
            message=N_("No customer known by %(id)s."),
            params={"id": customer_id},
        )


def get_visible_customer(session: Session, viewer: Viewer, identifier: str) -> Customer:
    customer = find_customer(session, identifier)
    if not _visible(viewer, customer):  # do not reveal that the customer exists
        raise CustomerNotResolved(
            f"no customer known by {identifier!r}",
            field="id",
            message=N_("No customer known by %(id)s."),
            params={"id": identifier},
        )
    return customer


def _snapshot_facts(engine: AnalyticsEngine, customer_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"orders": None, "channels": [], "explanation": None}
    if engine.table_exists("orders"):
        summary = engine.fetch_rows(
            """
            SELECT count(*) AS orders,
                   count(*) FILTER (WHERE status = 'paid') AS paid_orders,
                   coalesce(sum(paid_amount) FILTER (WHERE status = 'paid'), 0) AS paid_amount,
                   min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at
            FROM orders WHERE customer_id = ?
            """,
            [customer_id],
        )[0]
        by_channel = engine.fetch_rows(
            "SELECT channel_code, count(*) AS orders,"
            " coalesce(sum(paid_amount) FILTER (WHERE status = 'paid'), 0) AS paid_amount,"
            " max(ordered_at) AS last_order_at"
            " FROM orders WHERE customer_id = ? GROUP BY channel_code ORDER BY orders DESC",
            [customer_id],
        )
        summary["paid_amount"] = float(summary["paid_amount"])
        for row in by_channel:
            row["paid_amount"] = float(row["paid_amount"])
            row["last_order_at"] = _iso(row["last_order_at"])
        summary = {k: _iso(v) for k, v in summary.items()}
        summary["by_channel"] = by_channel
        out["orders"] = summary
    channels: set[str] = set()
    if engine.table_exists("identity_map"):
        channels.update(
            r["source"]
            for r in engine.fetch_rows(
                "SELECT DISTINCT source FROM identity_map WHERE customer_id = ?", [customer_id]
            )
        )
    for table in ("orders", "events"):
        if engine.table_exists(table):
            channels.update(
                r["channel_code"]
                for r in engine.fetch_rows(
                    f"SELECT DISTINCT channel_code FROM {table}"
                    " WHERE customer_id = ? AND channel_code IS NOT NULL",
                    [customer_id],
                )
            )
    out["channels"] = sorted(channels)
    if engine.table_exists("consent_events"):
        out["consent_events"] = [
            {k: _iso(v) for k, v in r.items()}
            for r in engine.fetch_rows(
                "SELECT source, channel, granted, observed_at FROM consent_events"
                " WHERE customer_id = ? ORDER BY observed_at DESC NULLS LAST",
                [customer_id],
            )
        ]
    return out


def _explanation(engine: AnalyticsEngine, customer_id: str, viewer: Viewer) -> CustomerCluster:
    found = cluster(engine, customer_id)
    if not viewer.sees_personal_data:
        for edge in found.edges:
            edge.evidence = masking.mask_evidence(edge.evidence)
    return found


def get_profile(session: Session, viewer: Viewer, identifier: str) -> CustomerProfile:
    customer = get_visible_customer(session, viewer, identifier)
    identities = session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_pk == customer.id)
        .order_by(CustomerIdentity.kind, CustomerIdentity.source, CustomerIdentity.value)
    ).all()
    profile: dict[str, Any] = {
        "customer": customer_summary(customer, viewer),
        "identities": [
            {
                "kind": i.kind,
                "value": i.value
                if viewer.sees_personal_data
                else masking.mask_identity(i.kind, i.value),
                "source": i.source,
                "first_seen_at": _iso(i.first_seen_at),
            }
            for i in identities
        ],
        "consent": {
            "sms": customer.consent_sms,
            "email": customer.consent_email,
            "wechat": customer.consent_wechat,
            "app_push": customer.consent_app_push,
        },
        "orders": None,
        "channels": sorted(set(customer.sources or [])),
        "explanation": None,
    }
    engine = open_published()
    if engine is not None:
        try:
            facts = _snapshot_facts(engine, customer.customer_id)
            profile["orders"] = facts["orders"]
            profile["channels"] = sorted(set(profile["channels"]) | set(facts["channels"]))
            profile["consent_events"] = facts.get("consent_events", [])
            if engine.table_exists("identity_edges"):
                try:
                    profile["explanation"] = _explanation(engine, customer.customer_id, viewer)
                except CustomerNotResolved:
                    profile["explanation"] = None
        finally:
            engine.close()
    return CustomerProfile.model_validate(profile)


def timeline(
    session: Session,
    viewer: Viewer,
    identifier: str,
    *,
    page: int = 1,
    size: int = 50,
) -> Timeline:
    """Events and orders across channels, newest first, paged."""
    customer = get_visible_customer(session, viewer, identifier)
    engine = open_published()
    items: list[dict[str, Any]] = []
    total = 0
    if engine is not None:
        try:
            parts = []
            if engine.table_exists("orders"):
                parts.append(
                    "SELECT ordered_at AS happened_at, 'order' AS kind, status AS type,"
                    " channel_code, store_code, order_id AS ref,"
                    " CAST(paid_amount AS DOUBLE) AS amount,"
                    " NULL AS sku, source FROM orders WHERE customer_id = $cid"
                )
            if engine.table_exists("events"):
                parts.append(
                    "SELECT occurred_at AS happened_at, 'event' AS kind, event_type AS type,"
                    " channel_code, store_code, event_id AS ref, NULL AS amount,"
                    " CAST(sku AS VARCHAR) AS sku, source FROM events WHERE customer_id = $cid"
                )
            if engine.table_exists("reviews"):
                parts.append(
                    "SELECT created_at AS happened_at, 'review' AS kind,"
                    " CAST(rating AS VARCHAR) AS type, NULL AS channel_code,"
                    " NULL AS store_code, review_id AS ref, NULL AS amount,"
                    " CAST(sku AS VARCHAR) AS sku, source FROM reviews WHERE customer_id = $cid"
                )
            if parts:
                union = " UNION ALL ".join(parts)
                cid = customer.customer_id.replace("'", "''")
                union = union.replace("$cid", f"'{cid}'")
                total = int(engine.scalar(f"SELECT count(*) FROM ({union})"))
                rows = engine.fetch_rows(
                    f"SELECT * FROM ({union}) ORDER BY happened_at DESC NULLS LAST, ref"
                    f" LIMIT {int(size)} OFFSET {int((page - 1) * size)}"
                )
                items = [{k: _iso(v) for k, v in r.items()} for r in rows]
        finally:
            engine.close()
    return Timeline.model_validate(
        {
            "customer_id": customer.customer_id,
            "page": page,
            "size": size,
            "total": total,
            "items": items,
        }
    )


def search(session: Session, viewer: Viewer, q: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Customers by id, any identifier, name prefix or phone ending."""
    text = q.strip()
    if not text:
        return []
    found: list[Customer] = []
    with contextlib.suppress(CustomerNotResolved):
        found.append(find_customer(session, text))
    if not viewer.sees_personal_data:  # no fishing by name or phone digits
        return [customer_summary(c, viewer) for c in found if _visible(viewer, c)]
    query = select(Customer).where(Customer.status == "active")
    conditions = [Customer.name.like(text.replace("%", "") + "%")]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and normalize_phone(text) is None:
        conditions.append(Customer.phone.like("%" + digits))
    query = query.where(store_scope(viewer).where(Customer.home_store_code))
    more = session.scalars(
        query.where(or_(*conditions)).order_by(Customer.customer_id).limit(limit)
    ).all()
    seen = set()
    out = []
    for customer in [*found, *more]:
        if customer.customer_id in seen or not _visible(viewer, customer):
            continue
        seen.add(customer.customer_id)
        out.append(customer_summary(customer, viewer))
    return out[:limit]


def count_customers(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Customer).where(Customer.status == "active")
        )
        or 0
    )


def customers_by_home_store(session: Session) -> dict[int, int]:
    """Active customers per home store id (stores without customers are absent)."""
    rows = session.execute(
        select(Customer.home_store_id, func.count())
        .where(Customer.status == "active", Customer.home_store_id.is_not(None))
        .group_by(Customer.home_store_id)
    ).all()
    return {int(sid): int(n) for sid, n in rows if sid is not None}


def sample_customer_ids(session: Session, *, limit: int = 100) -> list[str]:
    """The first ``limit`` active customers' ids (demo data and smoke checks)."""
    return list(
        session.scalars(
            select(Customer.customer_id)
            .where(Customer.status == "active")
            .order_by(Customer.id)
            .limit(limit)
        )
    )


def apply_merge(session: Session, customer_id: str, other_customer_id: str) -> int:
    """Move ``other_customer_id``'s identities to ``customer_id`` and mark it merged (the
    published customers, at once; the next pipeline run rebuilds them the same way)."""
    keep = session.scalar(select(Customer).where(Customer.customer_id == customer_id))
    gone = session.scalar(select(Customer).where(Customer.customer_id == other_customer_id))
    if keep is None or gone is None:
        return 0
    result = session.execute(
        update(CustomerIdentity)
        .where(CustomerIdentity.customer_pk == gone.id)
        .values(customer_pk=keep.id)
    )
    gone.status = "merged"
    gone.merged_into = customer_id
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def merge_customers(
    session: Session,
    engine: AnalyticsEngine,
    *,
    customer_id: str,
    other_customer_id: str,
    actor: str,
    reason: str,
) -> dict[str, Any]:
    """Declare two customers one person (identity's must-link, audited) and apply it to the
    published customers at once; ``customer_id`` survives."""
    return identity_service.merge_customers(
        session,
        engine,
        customer_id=customer_id,
        other_customer_id=other_customer_id,
        actor=actor,
        reason=reason,
        move_identities=apply_merge,
    )


def identifiers_of(
    session: Session, *, customer_ids: list[str], kinds: tuple[str, ...] = ("phone", "unionid")
) -> dict[str, dict[str, str]]:
    """One identifier of each kind per customer (the lowest value, so the pick is stable):
    what an operational order that names only a customer id is linked with in analytics."""
    out: dict[str, dict[str, str]] = {}
    ids = sorted(set(customer_ids))
    for i in range(0, len(ids), 5000):
        rows = session.execute(
            select(Customer.customer_id, CustomerIdentity.kind, func.min(CustomerIdentity.value))
            .join(CustomerIdentity, CustomerIdentity.customer_pk == Customer.id)
            .where(Customer.customer_id.in_(ids[i : i + 5000]), CustomerIdentity.kind.in_(kinds))
            .group_by(Customer.customer_id, CustomerIdentity.kind)
        ).all()
        for cid, kind, value in rows:
            out.setdefault(cid, {})[kind] = value
    return out
