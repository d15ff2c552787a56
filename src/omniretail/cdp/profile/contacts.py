"""The CDP tells platform messaging how to reach a customer: addresses from the golden record
and the identities (phone, e-mail, WeChat openid, WeCom external user id), the consent per
channel, and the channels the customer uses (registered on import, found by discovery)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.platform import bulk
from omniretail.platform.messaging.contacts import CustomerContacts, register_contact_resolver

# Where a customer reads messages, by the source channels their records came from.
MESSAGE_CHANNEL_FOR_SOURCE = {
    "miniprogram": "wechat",
    "wechat_oa": "wechat",
    "wecom": "wecom",
    "enterprise": "wecom",
    "app": "app_push",
    "pos": "sms",
    "groupbuy": "wecom",
}
IDENTITY_ADDRESS = {"openid": "wechat", "wecom_external_userid": "wecom"}


def _source_kind(source: str) -> str:
    """``app_ios`` → ``app``: source codes carry the channel kind as their first word."""
    for kind in MESSAGE_CHANNEL_FOR_SOURCE:
        if source == kind or source.startswith(kind + "_") or source.startswith(kind + "-"):
            return kind
    return source


def resolve_contacts(
    session: Session, customer_ids: Sequence[str]
) -> Mapping[str, CustomerContacts]:
    found: dict[str, Customer] = {}
    for where in bulk.one_of(session, Customer.customer_id, list(customer_ids)):
        for c in session.scalars(select(Customer).where(where, Customer.status == "active")):
            found[c.customer_id] = c
    extra: dict[str, dict[str, str]] = defaultdict(dict)
    if found:
        pk_to_id = {c.id: cid for cid, c in found.items()}
        pks = list(pk_to_id)
        for i in range(0, len(pks), bulk.CHUNK):
            rows = session.execute(
                select(CustomerIdentity.customer_pk, CustomerIdentity.kind, CustomerIdentity.value)
                .where(
                    CustomerIdentity.customer_pk.in_(pks[i : i + bulk.CHUNK]),
                    CustomerIdentity.kind.in_(tuple(IDENTITY_ADDRESS)),
                )
                .order_by(CustomerIdentity.id)
            )
            for pk, kind, value in rows:
                extra[pk_to_id[pk]].setdefault(IDENTITY_ADDRESS[kind], value)
    out: dict[str, CustomerContacts] = {}
    for cid, c in found.items():
        addresses = dict(extra.get(cid, {}))
        if c.phone:
            addresses["sms"] = c.phone
        if c.email:
            addresses["email"] = c.email
        preferred: list[str] = []
        for source in c.sources or []:
            ch = MESSAGE_CHANNEL_FOR_SOURCE.get(_source_kind(str(source)))
            if ch and ch not in preferred:
                preferred.append(ch)
        if "app_push" in preferred:  # the app's push gateway addresses its members by id
            addresses["app_push"] = cid
        out[cid] = CustomerContacts(
            customer_id=cid,
            addresses=addresses,
            consent={
                "sms": c.consent_sms,
                "email": c.consent_email,
                "wechat": c.consent_wechat,
                "app_push": c.consent_app_push,
            },
            preferred=tuple(preferred),
        )
    return out


register_contact_resolver(resolve_contacts)
