"""insight: saved segments and membership snapshots

Revision ID: insight_0001
Revises: 0001_core
Create Date: 2026-11-22 08:15:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'insight_0001'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('insight',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('insight_segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('store_codes', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('refresh', sa.String(length=16), nullable=False),
    sa.Column('last_count', sa.Integer(), nullable=True),
    sa.Column('last_refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_segment')),
    sa.UniqueConstraint('name', name=op.f('uq_insight_segment_name'))
    )
    op.create_table('insight_segment_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['segment_id'], ['insight_segment.id'], name=op.f('fk_insight_segment_snapshot_segment_id_insight_segment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_segment_snapshot'))
    )
    with op.batch_alter_table('insight_segment_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_segment_snapshot_segment_id'), ['segment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('insight_segment_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_segment_snapshot_segment_id'))
    op.drop_table('insight_segment_snapshot')
    op.drop_table('insight_segment')
