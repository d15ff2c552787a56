"""Shared fixtures: an isolated OMNIRETAIL_HOME per test, the operational store on SQLite and on
a real PostgreSQL started on loopback, and a logged-in API client."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from omniretail.platform import config, db

# Local Spark sessions read tests/spark-conf/spark-defaults.conf (small-world sizing, see there)
# unless the environment names a configuration of its own.
os.environ.setdefault("SPARK_CONF_DIR", str(Path(__file__).parent / "spark-conf"))

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    from tests.pgserver import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh instance: its own data directory and SQLite store (demo secrets allowed)."""
    monkeypatch.setenv("OMNIRETAIL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OMNIRETAIL_DEMO", "1")
    monkeypatch.delenv("OMNIRETAIL_DATABASE_URL", raising=False)
    config.reset_settings()
    yield tmp_path / "home"
    config.reset_settings()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Parametrizes a test over both operational stores."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server = request.getfixturevalue("pg_server")
    return str(server.create_database(f"t{os.getpid()}_{next(_counter)}"))  # type: ignore[attr-defined]


@pytest.fixture
def store_engine(db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The configured operational store (SQLite or PostgreSQL), migrated to head."""
    from omniretail.platform import migrate

    monkeypatch.setenv("OMNIRETAIL_DATABASE_URL", db_url)
    config.reset_settings()
    migrate.upgrade(db_url)
    engine = db.get_engine()
    yield engine
    config.reset_settings()


@pytest.fixture
def session(store_engine: Engine) -> Iterator[Session]:
    s = sessionmaker(bind=store_engine, expire_on_commit=False)()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def sqlite_session(home: Path) -> Iterator[Session]:
    """A quick SQLite store created from the models (no migrations) for pure service tests."""
    engine = db.get_engine()
    db.create_all(engine)
    s = db.session_factory()()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def client(home: Path):  # type: ignore[no-untyped-def]
    """An API client against a migrated SQLite store, logged in as an admin (session cookie,
    sending the session's CSRF token with every request)."""
    from fastapi.testclient import TestClient

    from omniretail.platform import migrate
    from omniretail.platform.auth import service
    from omniretail.web.app import create_app

    migrate.upgrade()
    with db.session_scope() as s:
        service.create_user(s, username="admin", password="admin-pass-1", role="admin")
    with TestClient(create_app()) as c:
        r = c.post("/api/v1/auth/login", json={"username": "admin", "password": "admin-pass-1"})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]  # as the console's scripts send it
        yield c


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a ``slow`` test run first, longest first, each module kept whole.

    Under pytest-xdist the longest tests (the Spark cluster run, the demo builds, the browser
    walks) otherwise start late and leave one worker alone at the end; sent first, they share the
    two workers while the short tests fill the gaps (longest-first scheduling). A module marked
    ``slow(minutes=N)`` goes before the other slow ones, the longest first. A module stays
    contiguous so its module-scoped fixtures are still built once per worker; otherwise the order
    is the collection order, the same on every machine and in a serial run."""
    weight: dict[object, float] = {}
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is not None:
            module = getattr(item, "module", None)
            minutes = float(marker.kwargs.get("minutes", 0))
            weight[module] = max(weight.get(module, 0.0), minutes)
    if weight:
        items.sort(key=lambda item: -weight.get(getattr(item, "module", None), -1.0))
