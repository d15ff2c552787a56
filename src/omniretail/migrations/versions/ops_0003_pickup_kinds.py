"""omnichannel ops: pickup kinds (store counter, smart locker, curbside, by appointment)

Revision ID: ops_0003
Revises: ops_0002
Create Date: 2026-12-06 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ops_0003"
down_revision: str | None = "ops_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ful_fulfilment") as batch:
        batch.add_column(sa.Column("pickup_kind", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("slot_start", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("slot_end", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("locker_box", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("parking_spot", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ful_fulfilment") as batch:
        for name in ("parking_spot", "arrived_at", "locker_box", "slot_end", "slot_start"):
            batch.drop_column(name)
        batch.drop_column("pickup_kind")
