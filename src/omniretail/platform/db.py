"""The operational store: SQLAlchemy 2 on SQLite (default) or PostgreSQL.

Services only ``flush``; the boundary (request dependency, CLI command, job runner)
owns the transaction through :func:`session_scope` / :func:`get_session`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from omniretail.platform.config import get_settings, on_reset

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def make_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """The store's engine. On SQLite every connection gets the WAL journal (no full fsync per
    commit), a busy timeout and, unless ``foreign_keys=False`` (Alembic's batch table
    rebuilds need them off), foreign-key enforcement."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            if foreign_keys:
                cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if "poolclass" not in kwargs:  # a pool of its own (e.g. Alembic's NullPool) takes no sizes
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def get_engine() -> Engine:
    global _engine, _factory
    if _engine is None:
        settings = get_settings()
        settings.ensure_dirs()
        _engine = make_engine(settings.sqlalchemy_url)
        _factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def reset_engine() -> None:
    global _engine, _factory
    if _engine is not None:
        _engine.dispose()
    _engine = None
    _factory = None


on_reset(reset_engine)


def session_factory() -> sessionmaker[Session]:
    get_engine()
    assert _factory is not None
    return _factory


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def import_all_models() -> None:
    """Import every ``models`` module under omniretail so ``Base.metadata`` is complete."""
    from omniretail.platform.registry import modules_named

    modules_named("models")


def create_all(engine: Engine) -> None:
    """Create every table directly (tests only; real instances use ``omniretail init``)."""
    import_all_models()
    Base.metadata.create_all(engine)
