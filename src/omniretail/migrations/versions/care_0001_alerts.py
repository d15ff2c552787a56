"""care: negative mentions (count cube facts) and crisis tickets

Revision ID: care_0001
Revises: 0001_core
Create Date: 2026-12-06 21:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "care_0001"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("care",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=96), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("store_code", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=32), nullable=True),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text_excerpt", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_mention")),
        sa.UniqueConstraint("source", "source_ref", "topic", name="uq_care_mention_source"),
    )
    op.create_index("ix_care_mention_hour", "care_mention", ["hour"], unique=False)
    op.create_table(
        "care_crisis_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("opened_hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("window_h", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("playbook", sa.String(length=32), nullable=False),
        sa.Column("owner_team", sa.String(length=32), nullable=False),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_crisis_ticket")),
        sa.UniqueConstraint("key", "opened_hour", name="uq_care_crisis_key_hour"),
    )


def downgrade() -> None:
    op.drop_table("care_crisis_ticket")
    op.drop_index("ix_care_mention_hour", table_name="care_mention")
    op.drop_table("care_mention")
