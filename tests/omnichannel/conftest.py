"""A migrated PostgreSQL store shared by the concurrency tests of one module."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from omniretail.platform import db, migrate

_n = itertools.count()


@pytest.fixture
def pg_engine(pg_server: object) -> Iterator[Engine]:
    url = str(pg_server.create_database(f"inv{os.getpid()}_{next(_n)}"))  # type: ignore[attr-defined]
    migrate.upgrade(url)
    engine = db.make_engine(url, pool_size=24, max_overflow=8)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_factory(pg_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=pg_engine, expire_on_commit=False)
