"""omnichannel ops: each fulfilment's share of a returnable order line (split lines sum up)

Revision ID: ops_0004
Revises: ops_0003
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ops_0004"
down_revision: str | None = "ops_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ful_returnable_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_ref", sa.String(length=64), nullable=False),
        sa.Column("line_ref", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ful_returnable_part")),
        sa.UniqueConstraint(
            "order_ref",
            "line_ref",
            "source",
            name=op.f("uq_ful_returnable_part_order_ref_line_ref_source"),
        ),
    )


def downgrade() -> None:
    op.drop_table("ful_returnable_part")
