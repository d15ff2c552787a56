"""identity constraints and golden record columns

Revision ID: identity_0001
Revises: 0001_core
Create Date: 2026-11-22 07:09:23.977975
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0001"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("identity",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_constraint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("left_key", sa.String(length=160), nullable=False),
        sa.Column("right_key", sa.String(length=160), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_constraint")),
    )
    with op.batch_alter_table("identity_constraint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_constraint_active"), ["active"], unique=False)
        batch_op.create_index(
            "ix_identity_constraint_pair", ["left_key", "right_key"], unique=False
        )

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_store_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("records", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("consent_sms", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("consent_email", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("consent_wechat", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("consent_app_push", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
        batch_op.add_column(sa.Column("merged_into", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_customer_home_store_code"), ["home_store_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_home_store_code"))
        batch_op.drop_column("merged_into")
        batch_op.drop_column("status")
        batch_op.drop_column("consent_app_push")
        batch_op.drop_column("consent_wechat")
        batch_op.drop_column("consent_email")
        batch_op.drop_column("consent_sms")
        batch_op.drop_column("records")
        batch_op.drop_column("sources")
        batch_op.drop_column("registered_at")
        batch_op.drop_column("address")
        batch_op.drop_column("home_store_code")

    with op.batch_alter_table("identity_constraint", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_constraint_pair")
        batch_op.drop_index(batch_op.f("ix_identity_constraint_active"))

    op.drop_table("identity_constraint")
