"""What the CDP holds about a person, for privacy requests: who they are (the subject: their
customer ids, records and identifiers, from the golden record, its identities and the
published identity map) and the golden record and identities themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.platform.engine import open_published
from omniretail.platform.engine.dialect import in_list
from omniretail.platform.i18n import N_
from omniretail.platform.privacy.registry import TableRule, subject_resolver, table_rule
from omniretail.platform.privacy.service import UnknownCustomer
from omniretail.platform.privacy.subject import Subject

PHONE_KINDS = {"phone"}
STD_IDENTIFIERS = (
    "member_id",
    "email",
    "unionid",
    "openid",
    "platform_buyer_id",
    "wecom_external_userid",
)


def _customers(session: Session, customer_id: str) -> list[Customer]:
    first = session.scalar(select(Customer).where(Customer.customer_id == customer_id))
    if first is None:
        raise UnknownCustomer(
            f"customer {customer_id} not found",
            field="customer_id",
            message=N_("Customer %(id)s not found."),
            params={"id": customer_id},
        )
    seen = {first.customer_id: first}
    survivor = first
    while survivor.merged_into and survivor.merged_into not in seen:  # the survivor of merges
        nxt = session.scalar(select(Customer).where(Customer.customer_id == survivor.merged_into))
        if nxt is None:
            break
        seen[nxt.customer_id] = nxt
        survivor = nxt
    frontier = list(seen)
    while frontier:  # and everyone merged into them
        merged = session.scalars(select(Customer).where(Customer.merged_into.in_(frontier))).all()
        frontier = [c.customer_id for c in merged if c.customer_id not in seen]
        seen.update({c.customer_id: c for c in merged})
    return [survivor] + [c for c in seen.values() if c is not survivor]


def _analytics(ids: list[str]) -> tuple[set[str], list[dict[str, Any]]]:
    """The person's record keys (identity map, and the keys their records link to) and their
    standardized identity records, from the published snapshot."""
    engine = open_published()
    if engine is None:
        return set(), []
    try:
        keys: set[str] = set()
        if engine.table_exists("identity_map"):
            keys = {
                str(r["record_key"])
                for r in engine.fetch_rows(
                    f"SELECT record_key FROM identity_map WHERE {in_list('customer_id', ids)}"
                )
            }
        if keys and engine.table_exists("std_identity_links"):
            for r in engine.fetch_rows(
                "SELECT left_key, right_key FROM std_identity_links WHERE "
                f"{in_list('left_key', sorted(keys))} OR {in_list('right_key', sorted(keys))}"
            ):
                keys.update(str(v) for v in (r["left_key"], r["right_key"]) if v)
        records: list[dict[str, Any]] = []
        if keys and engine.table_exists("std_identity_records"):
            records = engine.fetch_rows(
                "SELECT * FROM std_identity_records WHERE " + in_list("record_key", sorted(keys))
            )
        return keys, records
    finally:
        engine.close()


@subject_resolver
def resolve(session: Session, customer_id: str) -> Subject:
    customers = _customers(session, customer_id)
    ids = [c.customer_id for c in customers]
    pks = [c.id for c in customers]
    identities = session.scalars(
        select(CustomerIdentity).where(CustomerIdentity.customer_pk.in_(pks))
    ).all()
    keys, records = _analytics(ids)
    keys.update(f"{i.source}:{i.value}" for i in identities if i.kind == "source_record_id")
    phones: list[str | None] = [c.phone for c in customers]
    phones += [i.value for i in identities if i.kind in PHONE_KINDS]
    phones += [r.get("phone") for r in records]
    others: list[str | None] = [c.email for c in customers]
    others += [i.value for i in identities if i.kind not in PHONE_KINDS | {"source_record_id"}]
    others += [r.get(k) for r in records for k in STD_IDENTIFIERS]
    names: list[str | None] = [c.name for c in customers] + [c.address for c in customers]
    names += [r.get(k) for r in records for k in ("name", "address")]
    return Subject.build(ids, record_keys=keys, phones=phones, identifiers=others, names=names)


table_rule(
    TableRule(
        "customer_identity", via=("customer_pk", "customer"), erase="delete", owner="cdp.profile"
    )
)
table_rule(TableRule("customer", erase="delete", owner="cdp.profile"))
