"""auth: an optional store scope for API keys (api_key.store_ids; NULL = every store)

Revision ID: auth_0002
Revises: auth_0001
Create Date: 2026-12-06 21:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'auth_0002'
down_revision: str | None = 'auth_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_key') as batch:
        batch.add_column(sa.Column('store_ids', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_key') as batch:
        batch.drop_column('store_ids')
