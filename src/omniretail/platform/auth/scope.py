"""Store visibility, one rule: which stores' customers, figures and records a caller may see.

Every scoped read or write asks the caller's :class:`StoreScope`::

    from omniretail.platform.auth.scope import store_scope

    scope = store_scope(principal)
    scope.require(customer.home_store_code)         # 403 problem+json for another store's
    rows = engine.fetch_rows(f"SELECT ... WHERE {scope.sql('home_store_code')}")
    query = query.where(scope.where(Customer.home_store_code))   # SQLAlchemy

The rule: a principal without a store list (``store_ids is None``: admins, marketers,
analysts, API keys) sees every store; a principal with a list sees only those stores' codes;
an empty list (or stores that no longer exist) sees none. Records without a store
(``code is None``) belong to no store, so only an all-stores scope sees them.

The console user's assignment is stored as store ids (``users.store_ids``); it is resolved to
store codes once, when the principal is built (``Principal.store_codes``), because codes are
the key every domain and the analytics store keep.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, column, false, select, table, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.i18n import N_

# The store master's id → code columns only (the table belongs to omnichannel.store, which sits
# above the platform; the platform reads nothing else of it).
_STORE = table("store", column("id"), column("code"))


class OutOfScope(PermissionDenied):
    """The caller may not see this store's data (403 problem+json)."""


# what the console shows a store user refused a chain-wide figure (see ``require_all_stores``)
CHAIN_WIDE_ONLY = N_(
    "This is a chain-wide figure that only head office sees; your stores' figures are in the "
    "reports by store."
)


class Scoped(Protocol):
    """What the rule needs of a caller (``auth.deps.Principal`` has it)."""

    @property
    def store_codes(self) -> list[str] | None: ...


@dataclass(frozen=True)
class StoreScope:
    """The stores a caller may see: every store, or exactly ``store_codes``."""

    all_stores: bool
    store_codes: frozenset[str] = frozenset()

    @classmethod
    def everything(cls) -> StoreScope:
        return cls(all_stores=True)

    @classmethod
    def only(cls, codes: Iterable[str]) -> StoreScope:
        return cls(all_stores=False, store_codes=frozenset(codes))

    @classmethod
    def of_codes(cls, codes: Iterable[str] | None) -> StoreScope:
        """The scope a service was handed as ``store_codes`` (``None`` = every store)."""
        return cls.everything() if codes is None else cls.only(codes)

    def codes(self) -> list[str] | None:
        """Sorted store codes, or ``None`` for every store (the form older callers pass on)."""
        return None if self.all_stores else sorted(self.store_codes)

    def allows(self, code: str | None) -> bool:
        if self.all_stores:
            return True
        return code is not None and code in self.store_codes

    def require(self, code: str | None, *, field: str | None = "store_code") -> None:
        """Raise :class:`OutOfScope` (403) unless the caller may see store ``code``."""
        if not self.allows(code):
            raise OutOfScope(
                f"store {code!r} is outside the stores you may see"
                if code is not None
                else "this record belongs to no store; only a chain-wide user may see it",
                field=field,
            )

    def require_all_stores(self, *, detail: str | None = None, field: str | None = None) -> None:
        """Raise :class:`OutOfScope` (403) unless the caller sees every store: the one rule for
        chain-wide figures (summary cards, cohorts, province map, basket rules and network,
        whole-source evaluations), which are precomputed for the whole chain and cannot be
        cut to a store. API, CLI and console all ask here; ``detail`` is the English (or
        bilingual, for the CLI) text naming what was refused, the console shows
        :data:`CHAIN_WIDE_ONLY` in the reader's language."""
        if self.all_stores:
            return
        raise OutOfScope(
            detail or "this is a chain-wide figure: only a user who sees every store may see it",
            field=field,
            message=CHAIN_WIDE_ONLY,
        )

    def sql(self, column_sql: str) -> str:
        """A boolean SQL expression over ``column_sql`` (e.g. ``"c.home_store_code"``) for a
        WHERE clause, valid in DuckDB, Spark SQL, SQLite and PostgreSQL: ``TRUE`` for every
        store, ``FALSE`` for none, else ``column IN ('A', 'B')`` with quotes escaped."""
        if self.all_stores:
            return "TRUE"
        if not self.store_codes:
            return "FALSE"
        return f"{column_sql} IN ({', '.join(quote(c) for c in sorted(self.store_codes))})"

    def where(self, col: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        """The same filter as :meth:`sql` for a SQLAlchemy column of store codes."""
        if self.all_stores:
            return true()
        if not self.store_codes:
            return false()
        return col.in_(sorted(self.store_codes))


def quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def store_scope(principal: Scoped) -> StoreScope:
    """The one store-visibility rule (see the module doc)."""
    return StoreScope.of_codes(principal.store_codes)


def store_codes_of(session: Session, store_ids: Collection[int] | None) -> list[str] | None:
    """Codes of the stores ``store_ids`` (``None`` = every store; unknown ids are dropped)."""
    if store_ids is None:
        return None
    if not store_ids:
        return []
    rows = session.execute(
        select(_STORE.c.code).where(_STORE.c.id.in_(list(store_ids))).order_by(_STORE.c.code)
    )
    return [str(code) for (code,) in rows]
