"""Writing outbox rows in bulk (internal to messaging: callers build ``MessageRequest``s).

On PostgreSQL new rows go by ``COPY`` in the session's transaction; elsewhere by Core
``executemany`` batches. Keys already in the outbox are skipped (a retry adds nothing).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import InvalidRequestError, StatementError
from sqlalchemy.orm import Session

from omniretail.platform import bulk
from omniretail.platform.messaging.models import Message


def _copy_messages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` with ``COPY`` (PostgreSQL + psycopg) in the session's transaction, as
    the Core INSERT would: the same columns, Python-side defaults filled per row, the payload
    serialised as SQLAlchemy's JSON type does; a duplicate key raises ``IntegrityError``."""
    table = cast(Table, Message.__table__)
    conn = session.connection()
    given = [k for k in rows[0] if k in table.c]  # other keys are ignored, as by executemany
    defaults: dict[str, Any] = {
        c.name: c.default for c in table.c if c.default is not None and c.name not in given
    }
    dumps: Callable[[Any], str] = getattr(conn.dialect, "_json_serializer", None) or json.dumps
    out: list[dict[str, Any]] = []
    for i, r in enumerate(rows):  # like executemany: the first row's keys name the columns
        try:
            row = {c: r[c] for c in given}
        except KeyError as exc:
            inner = InvalidRequestError(
                f"A value is required for bind parameter {exc.args[0]!r}, in parameter group {i}"
            )
            raise StatementError(str(inner), f"COPY {table.name}", None, inner) from exc
        for c, d in defaults.items():
            row[c] = d.arg(None) if d.is_callable else d.arg
        if "payload" in row:  # None too: the JSON type stores it as JSON null
            row["payload"] = dumps(row["payload"])
        out.append(row)
    bulk.insert_rows(session, table, out)


def write_rows(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert messages whose key is new; returns how many were added (retries add none).

    Keys already in the outbox are skipped; the same new key twice in ``rows`` is an
    ``IntegrityError`` (the unique key), on every store. On PostgreSQL the existing keys are
    looked up with one array parameter and the new rows written with ``COPY``."""
    keys = [r["key"] for r in rows]
    existing: set[str] = set()
    for where in bulk.one_of(session, Message.key, keys):
        existing.update(session.scalars(select(Message.key).where(where)))
    todo = [r for r in rows if r["key"] not in existing]
    if todo and bulk.uses_copy(session):
        _copy_messages(session, todo)
    else:
        stmt = insert(cast(Table, Message.__table__))  # Core executemany: no ORM objects
        for i in range(0, len(todo), bulk.BATCH):
            session.execute(stmt, todo[i : i + bulk.BATCH])
    session.flush()
    return len(todo)
