"""Alembic environment: the URL comes from omniretail settings (or the Config's main option)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from omniretail.platform.config import get_settings
from omniretail.platform.db import Base, import_all_models, make_engine

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
    # the application's engine (platform/db.py): on SQLite its WAL journal, so each DDL
    # statement is not a rollback-journal commit with a full fsync; foreign keys off, as
    # SQLite's table rebuilds (batch migrations) need
    engine = make_engine(url, foreign_keys=False, poolclass=pool.NullPool)
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
