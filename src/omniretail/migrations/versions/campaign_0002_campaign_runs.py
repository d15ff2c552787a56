"""campaign runs: one row per launched run (the scheduler's idempotency key)

Revision ID: campaign_0002
Revises: campaign_0001
Create Date: 2026-11-23 10:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'campaign_0002'
down_revision: str | None = 'campaign_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaign_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('launched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_run_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_run')),
    sa.UniqueConstraint('campaign_id', 'run', name=op.f('uq_campaign_run_campaign_id_run'))
    )
    with op.batch_alter_table('campaign_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_run_campaign_id'), ['campaign_id'], unique=False)
    # campaigns created before this revision with a schedule become "scheduled"
    op.execute(
        "UPDATE campaign SET status = 'scheduled' "
        "WHERE status = 'draft' AND kind IN ('once', 'recurring') AND schedule IS NOT NULL "
        "AND CAST(schedule AS VARCHAR(64)) <> 'null' "
        "AND launched_at IS NULL"
    )
    # a campaign launched before this revision counts as having launched run 1
    op.execute(
        "INSERT INTO campaign_run (campaign_id, run, launched_at) "
        "SELECT id, 1, launched_at FROM campaign "
        "WHERE kind IN ('once', 'recurring') AND launched_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('campaign_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_run_campaign_id'))

    op.drop_table('campaign_run')
    op.execute("UPDATE campaign SET status = 'draft' WHERE status IN ('scheduled', 'paused')")
