"""A faster ``session`` for the offers tests: one migrated store per test session and kind
(SQLite file, real PostgreSQL), each test inside a transaction that is rolled back.

Services only flush, never commit, so rolling back the outer transaction leaves the store
clean for the next test; migrating once instead of per test saves seconds per test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from omniretail.platform import migrate
from omniretail.platform.db import make_engine


def _engine(request: pytest.FixtureRequest, tmp: Path, name: str) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'store.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = str(server.create_database(f"{name}_{os.getpid()}"))
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _session(engine: Engine) -> Iterator[Session]:
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
