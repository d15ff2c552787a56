"""guide: clerks' 1:1 messages from the WeCom conversation archive and rejected archive rows

Revision ID: guide_0002
Revises: guide_0001
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "guide_0002"
down_revision: str | None = "guide_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guide_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msgid", sa.String(length=128), nullable=False),
        sa.Column("staff_code", sa.String(length=32), nullable=False),
        sa.Column("contact", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("msgtype", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_message")),
        sa.UniqueConstraint("msgid", name="uq_guide_message_msgid"),
    )
    with op.batch_alter_table("guide_message", schema=None) as batch_op:
        batch_op.create_index("ix_guide_message_staff_at", ["staff_code", "at"], unique=False)
    op.create_table(
        "guide_message_reject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_message_reject")),
        sa.UniqueConstraint("source", "line_no", name="uq_guide_message_reject_line"),
    )
    with op.batch_alter_table("guide_message_reject", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guide_message_reject_reason"), ["reason"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("guide_message_reject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guide_message_reject_reason"))
    op.drop_table("guide_message_reject")
    with op.batch_alter_table("guide_message", schema=None) as batch_op:
        batch_op.drop_index("ix_guide_message_staff_at")
    op.drop_table("guide_message")
