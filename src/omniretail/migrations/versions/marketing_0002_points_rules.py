"""loyalty points rules: earn rate per channel, expiry and a per-order cap

Revision ID: marketing_0002
Revises: marketing_0001
Create Date: 2026-12-07 03:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'marketing_0002'
down_revision: str | None = 'marketing_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('loyalty_points_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_rate', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('channel_rates', sa.JSON(), nullable=False),
    sa.Column('expiry_days', sa.Integer(), nullable=False),
    sa.Column('max_points_per_order', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_points_rules'))
    )


def downgrade() -> None:
    op.drop_table('loyalty_points_rules')
