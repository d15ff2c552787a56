"""omnichannel: an operational order carries the live-session evidence it came with
(sales_order.live_code: the 口令 / 直播间专属码 typed or scanned; live_link: the tracked link or
its query, e.g. live_id=...), so live attribution can credit it

Revision ID: omnichannel_0003
Revises: omnichannel_0002
Create Date: 2026-12-07 03:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'omnichannel_0003'
down_revision: str | None = 'omnichannel_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order') as batch:
        batch.add_column(sa.Column('live_code', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('live_link', sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sales_order') as batch:
        batch.drop_column('live_link')
        batch.drop_column('live_code')
