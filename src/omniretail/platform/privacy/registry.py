"""What a domain contributes to a privacy request: the subject resolver (the CDP), rules for its
operational tables, and hooks for anything else (landing files, the event inbox...).

A domain's ``privacy_hooks`` module calls :func:`table_rule`, :func:`hook` or
:func:`subject_resolver` at import; :func:`discover` imports every such module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from omniretail.platform.privacy.subject import Subject


@dataclass(frozen=True)
class TableRule:
    """An operational table holding rows about a customer.

    ``erase``: ``delete`` the rows, or ``pseudonymise`` them — the customer column gets the
    request's random tombstone id (so counts and sums stay right), ``clear`` columns become
    NULL (``''`` when not nullable), and identifiers inside the ``scrub`` columns (JSON or
    text) are removed. ``via`` reaches child rows through a parent: ``(fk column, parent
    table)`` — e.g. a conversation's messages.
    """

    table: str
    customer_column: str = "customer_id"
    erase: Literal["delete", "pseudonymise"] = "pseudonymise"
    clear: tuple[str, ...] = ()
    scrub: tuple[str, ...] = ()
    via: tuple[str, str] | None = None
    owner: str = ""


@dataclass(frozen=True)
class ValueRule:
    """A table without a customer column whose text may name the person (the event inbox's
    payloads, the quarantine's raw rows, the audit trail's details): rows whose ``columns``
    contain one of the person's strong identifiers are deleted or scrubbed."""

    table: str
    columns: tuple[str, ...]
    erase: Literal["delete", "scrub"] = "scrub"
    owner: str = ""


class Hook(Protocol):
    """Anything else a domain holds (files, external stores)."""

    name: str

    def export(self, session: Session, subject: Subject) -> dict[str, list[dict[str, Any]]]: ...

    def erase(self, session: Session, subject: Subject) -> dict[str, int]: ...


Resolver = Callable[[Session, str], Subject]


@dataclass
class _Registry:
    tables: list[TableRule] = field(default_factory=list)
    values: list[ValueRule] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    resolver: Resolver | None = None


REGISTRY = _Registry()


def table_rule(rule: TableRule) -> None:
    if all(r != rule for r in REGISTRY.tables):
        REGISTRY.tables.append(rule)


def value_rule(rule: ValueRule) -> None:
    if all(r != rule for r in REGISTRY.values):
        REGISTRY.values.append(rule)


def hook(h: Hook) -> None:
    if all(x.name != h.name for x in REGISTRY.hooks):
        REGISTRY.hooks.append(h)


def subject_resolver(fn: Resolver) -> Resolver:
    REGISTRY.resolver = fn
    return fn


def discover() -> _Registry:
    import omniretail.platform.privacy.platform_rules  # noqa: F401 - registers the platform's
    from omniretail.platform.registry import modules_named

    modules_named("privacy_hooks")
    return REGISTRY
