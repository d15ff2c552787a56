"""Writing a launch's rows in bulk: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

A launch to a million members writes a million ``campaign_member`` rows. On PostgreSQL a Core
``executemany`` still sends one INSERT per row (psycopg pipelines them, but the server parses,
plans and executes each); ``COPY … FROM STDIN`` streams the rows in one statement, in the
session's transaction, so the launch stays atomic. SQLite keeps ``executemany`` (it is an
in-process call per row either way and already the fast path there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

BATCH = 5000


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys, column names of ``table``) in the session's
    transaction; returns how many were written."""
    if not rows:
        return 0
    columns = list(rows[0])
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {unknown[0]!r}")
    conn = session.connection()
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        stmt = insert(table)
        for i in range(0, len(rows), BATCH):
            session.execute(stmt, rows[i : i + BATCH])
        return len(rows)
    names = ", ".join(table.c[c].name for c in columns)
    driver = conn.connection.driver_connection  # psycopg, inside the session's transaction
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    with driver.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
    return len(rows)
