"""insight: replenishment suggestions and their approval

Revision ID: insight_0002
Revises: insight_0001
Create Date: 2026-12-06 21:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'insight_0002'
down_revision: str | None = 'insight_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fc_replenishment_suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_code', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=False),
    sa.Column('forecast_cover', sa.Float(), nullable=False),
    sa.Column('order_up_to', sa.Integer(), nullable=False),
    sa.Column('safety_stock', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('on_order', sa.Integer(), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('review_days', sa.Integer(), nullable=False),
    sa.Column('service_level', sa.Float(), nullable=False),
    sa.Column('suggested_qty', sa.Integer(), nullable=False),
    sa.Column('approved_qty', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fc_replenishment_suggestion')),
    sa.UniqueConstraint('store_code', 'sku', 'review_date', name=op.f('uq_fc_replenishment_suggestion_store_code_sku_review_date'))
    )
    op.create_index(op.f('ix_fc_replenishment_suggestion_store_code'), 'fc_replenishment_suggestion', ['store_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_fc_replenishment_suggestion_store_code'), table_name='fc_replenishment_suggestion')
    op.drop_table('fc_replenishment_suggestion')
