"""jobs: job_state (schedule, lease, last outcome) and job_run (history)

Revision ID: jobs_0001
Revises: 0001_core
Create Date: 2026-12-06 20:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'jobs_0001'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('jobs',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_state',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('every', sa.String(length=64), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('lease_owner', sa.String(length=128), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_duration_s', sa.Float(), nullable=True),
    sa.Column('last_outcome', sa.String(length=16), nullable=True),
    sa.Column('last_count', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_state'))
    )
    with op.batch_alter_table('job_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_state_next_run_at'), ['next_run_at'], unique=False)

    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('runner', sa.String(length=128), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_started_at'), ['started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_started_at'))
        batch_op.drop_index(batch_op.f('ix_job_run_name'))
    op.drop_table('job_run')
    with op.batch_alter_table('job_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_state_next_run_at'))
    op.drop_table('job_state')
