"""Find a customer by our id or by any identifier (phone in any format, openid, unionid,
member card, platform buyer id, ``source:record id``)."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from omniretail.cdp.identity.errors import CustomerNotResolved
from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.i18n import N_
from omniretail.platform.phone import normalize_phone

CUSTOMER_ID = re.compile(r"^C\d{9}$")
ID_COLUMNS = (
    "member_id",
    "unionid",
    "openid",
    "platform_buyer_id",
    "wecom_external_userid",
    "email",
    "source_record_id",
)


def find_customer(session: Session, identifier: str) -> Customer:
    """The active customer for ``identifier``; merged customers lead to their survivor."""
    text = identifier.strip()
    if not text:
        raise CustomerNotResolved(
            "give a customer id or an identifier",
            field="id",
            message=N_("Give a customer id or an identifier."),
        )
    customer: Customer | None = None
    if CUSTOMER_ID.match(text):
        customer = session.scalar(select(Customer).where(Customer.customer_id == text))
    if customer is None:
        phone = normalize_phone(text)
        conditions = [CustomerIdentity.value == text]
        if phone:
            conditions.append(
                (CustomerIdentity.kind == "phone") & (CustomerIdentity.value == phone)
            )
        if ":" in text:
            source, _, value = text.partition(":")
            conditions.append(
                (CustomerIdentity.source == source) & (CustomerIdentity.value == value)
            )
        if text.lower() != text:
            conditions.append(
                (CustomerIdentity.kind == "email") & (CustomerIdentity.value == text.lower())
            )
        customer = session.scalar(
            select(Customer)
            .join(CustomerIdentity, CustomerIdentity.customer_pk == Customer.id)
            .where(or_(*conditions))
            .order_by(Customer.status != "active", Customer.customer_id)
            .limit(1)
        )
    hops = 0
    while customer is not None and customer.status == "merged" and customer.merged_into:
        hops += 1
        if hops > 10:
            break
        customer = session.scalar(
            select(Customer).where(Customer.customer_id == customer.merged_into)
        )
    if customer is None:
        raise CustomerNotResolved(
            f"no customer known by {text!r}",
            field="id",
            message=N_("No customer known by %(id)s."),
            params={"id": text},
        )
    return customer


def resolve_in_snapshot(engine: AnalyticsEngine, identifier: str) -> str:
    """Customer id for ``identifier`` from the analytics snapshot alone (CLI use)."""
    text = identifier.strip()
    if CUSTOMER_ID.match(text):
        if engine.scalar("SELECT 1 FROM identity_map WHERE customer_id = ? LIMIT 1", [text]):
            return text
        raise CustomerNotResolved(
            f"no customer {text!r} in the analytics snapshot",
            field="id",
            message=N_("No customer known by %(id)s."),
            params={"id": text},
        )
    phone = normalize_phone(text)
    present = set(engine.fetch_arrow("SELECT * FROM std_identity_records LIMIT 0").column_names)
    columns = [c for c in ID_COLUMNS if c in present]
    checks = " OR ".join(f"CAST(s.{c} AS VARCHAR) = ?" for c in columns) or "FALSE"
    params: list[str] = [text] * len(columns)
    if phone:
        checks += " OR s.phone = ?"
        params.append(phone)
    found = engine.scalar(
        f"SELECT min(m.customer_id) FROM std_identity_records s"
        f" JOIN identity_map m USING (record_key) WHERE {checks}",
        params,
    )
    if found is None:
        raise CustomerNotResolved(
            f"no customer known by {text!r}",
            field="id",
            message=N_("No customer known by %(id)s."),
            params={"id": text},
        )
    return str(found)
