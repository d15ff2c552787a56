"""How platform messaging learns a customer's addresses and consent: a resolver the CDP
registers (the platform never imports the CDP).

A resolver lives in a module named ``contacts`` (``cdp/profile/contacts.py``); the first
lookup imports every such module (``platform.registry``), whose import registers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from omniretail.platform.errors import DomainError


@dataclass(frozen=True)
class CustomerContacts:
    customer_id: str
    addresses: Mapping[str, str]  # message channel -> address (sms: phone, email, wechat: openid…)
    consent: Mapping[str, bool | None]  # marketing consent per consent channel (sms, email…)
    preferred: Sequence[str] = field(default_factory=tuple)  # channels, most used first


class ContactResolver(Protocol):
    def __call__(
        self, session: Session, customer_ids: Sequence[str]
    ) -> Mapping[str, CustomerContacts]: ...


class NoContactResolver(DomainError):
    status = 500
    title = "Messaging is not configured"


_resolver: ContactResolver | None = None


def register_contact_resolver(resolver: ContactResolver) -> ContactResolver:
    global _resolver
    _resolver = resolver
    return resolver


def contacts_for(session: Session, customer_ids: Sequence[str]) -> Mapping[str, CustomerContacts]:
    """Contacts of the customers that exist (unknown ids are left out)."""
    global _resolver
    if _resolver is None:
        from omniretail.platform.registry import modules_named

        modules_named("contacts")
    if _resolver is None:
        raise NoContactResolver("没有注册客户联系方式解析器（CDP 未加载）", field="customer_id")
    return _resolver(session, customer_ids)
