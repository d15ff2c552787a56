"""privacy: privacy_suppression (keyed digests of erased identifiers)

Revision ID: privacy_0001
Revises: 0001_core
Create Date: 2026-12-06 23:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'privacy_0001'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('privacy',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('privacy_suppression',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_privacy_suppression'))
    )
    with op.batch_alter_table('privacy_suppression', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_privacy_suppression_request_id'), ['request_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('privacy_suppression', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_suppression_request_id'))
    op.drop_table('privacy_suppression')
