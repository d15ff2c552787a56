"""Small write helpers for the operational store (SQLite and PostgreSQL): insert-ignore,
chunking for parameter limits, committing at an API boundary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` on either store."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        session.execute(pg, list(rows))
    else:
        lite = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        session.execute(lite, list(rows))


def chunks(items: Sequence[Any], size: int = 900) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


T = TypeVar("T")


def committed(session: Session, value: T) -> T:
    """Commit in the request's own thread before answering (API boundaries).

    The request dependency would commit too, but only after the response, in another
    threadpool task: under load, row locks (coupon, template counter, points account) would be
    held while that task waits for a thread. Committing here releases the locks and the
    connection at once; the dependency's commit is then a no-op.
    """
    session.commit()
    return value
