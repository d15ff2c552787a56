"""Bulk writes and large membership tests that work the same on every store.

A launch to a million members writes a million ``campaign_member`` rows, ~900k coupons and
~600k messages. On PostgreSQL a Core ``executemany`` still sends one INSERT per row (psycopg
pipelines them, but the server parses, plans and executes each); ``COPY … FROM STDIN``
streams the rows in one statement, in the session's transaction, so the caller's unit of
work stays atomic. SQLite keeps ``executemany`` (an in-process call per row either way, and
already the fast path there).

Likewise "is one of these 600k customer ids": PostgreSQL takes one array parameter
(``= ANY(:ids)``); SQLite, which has no arrays, gets IN lists of ``CHUNK`` values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, Session

BATCH = 5000  # rows per executemany call
CHUNK = 5000  # values per IN list where a store has no array parameter (SQLite)


def uses_copy(session: Session) -> bool:
    """True when ``insert_rows`` streams with ``COPY`` (PostgreSQL through psycopg)."""
    dialect = session.connection().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys, column names of ``table``) in the session's
    transaction; returns how many were written.

    Values go in as given (no Python-side column defaults: pass every column that needs
    one). A unique-key violation is SQLAlchemy's ``IntegrityError`` on every store, as a Core
    INSERT reports it."""
    if not rows:
        return 0
    columns = list(rows[0])
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {unknown[0]!r}")
    if not uses_copy(session):
        stmt = insert(table)
        for i in range(0, len(rows), BATCH):
            session.execute(stmt, rows[i : i + BATCH])
        return len(rows)
    import psycopg

    names = ", ".join(table.c[c].name for c in columns)
    driver = session.connection().connection.driver_connection  # in the session's transaction
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    try:
        with driver.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    except psycopg.IntegrityError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc
    return len(rows)


def one_of(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Sequence[str]
) -> Iterator[ColumnElement[bool]]:
    """Conditions that together say ``column`` is one of ``values`` (text values): one
    ``= ANY(:values)`` array parameter on PostgreSQL, however many values; IN lists of
    ``CHUNK`` values elsewhere. Run one query per condition and combine the results."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=ARRAY(String)))
        return
    for i in range(0, len(values), CHUNK):
        yield column.in_(values[i : i + CHUNK])
