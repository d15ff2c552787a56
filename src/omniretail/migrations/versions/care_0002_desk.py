"""care: service desk conversations, messages and tickets

Revision ID: care_0002
Revises: care_0001
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "care_0002"
down_revision: str | None = "care_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_customer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_conversation")),
    )
    op.create_index("ix_desk_conversation_state", "desk_conversation", ["state"], unique=False)
    op.create_index(
        op.f("ix_desk_conversation_customer_id"), "desk_conversation", ["customer_id"], unique=False
    )
    op.create_table(
        "desk_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channel_msg_id", sa.String(length=128), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["desk_conversation.id"],
            name=op.f("fk_desk_message_conversation_id_desk_conversation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_message")),
        sa.UniqueConstraint("channel_msg_id", name="uq_desk_message_channel_id"),
    )
    op.create_index(
        op.f("ix_desk_message_conversation_id"), "desk_message", ["conversation_id"], unique=False
    )
    op.create_table(
        "desk_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pause_reason", sa.String(length=16), nullable=True),
        sa.Column("team", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("store_code", sa.String(length=32), nullable=True),
        sa.Column("order_ref", sa.String(length=64), nullable=True),
        sa.Column("return_ref", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_response_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_business_s", sa.Float(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replies_sent", sa.Integer(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("csat_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["desk_conversation.id"],
            name=op.f("fk_desk_ticket_conversation_id_desk_conversation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_ticket")),
    )
    op.create_index("ix_desk_ticket_status", "desk_ticket", ["status"], unique=False)
    op.create_index(
        op.f("ix_desk_ticket_conversation_id"), "desk_ticket", ["conversation_id"], unique=False
    )
    op.create_index(
        op.f("ix_desk_ticket_customer_id"), "desk_ticket", ["customer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("desk_ticket")
    op.drop_table("desk_message")
    op.drop_table("desk_conversation")
