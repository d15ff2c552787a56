"""omnichannel ops: parcel-point pickups (快递代收点: the point and its collection code)

Revision ID: ops_0005
Revises: ops_0004
Create Date: 2026-12-07 03:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ops_0005"
down_revision: str | None = "ops_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ful_fulfilment") as batch:
        batch.add_column(sa.Column("parcel_point", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("point_code", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ful_fulfilment") as batch:
        batch.drop_column("point_code")
        batch.drop_column("parcel_point")
