"""Create or upgrade the operational store with Alembic (``omniretail init``).

Each domain keeps its own branch of revisions (``branch_labels=("<domain>",)``, first revision
``down_revision="0001_core"``), so ``upgrade`` goes to all heads."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    from omniretail.platform.config import get_settings

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().sqlalchemy_url)
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    if url is None:
        from omniretail.platform.config import get_settings

        get_settings().ensure_dirs()
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def autogenerate(message: str, url: str) -> None:
    """Developer helper: write a new revision from the difference between models and ``url``."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
