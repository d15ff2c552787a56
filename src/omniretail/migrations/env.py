"""Alembic environment: the URL comes from omniretail settings (or the Config's main option)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, event, pool

from omniretail.platform.config import get_settings
from omniretail.platform.db import Base, import_all_models

config = context.config
import_all_models()
target_metadata = Base.metadata
url = config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    if url.startswith("sqlite"):
        # The journal the application uses (platform/db.py): without it every DDL statement of
        # every revision is its own rollback-journal commit with a full fsync, which made a
        # fresh `omniretail init` wait seconds on the disk. Foreign keys stay off here, as
        # SQLite's table rebuilds (batch migrations) need.
        @event.listens_for(engine, "connect")
        def _sqlite_journal(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
