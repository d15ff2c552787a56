"""live: sessions and content pieces, and the platforms' viewer figures

Revision ID: live_0001
Revises: 0001_core
Create Date: 2026-12-07 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "live_0001"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("live",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("link_params", sa.JSON(), nullable=False),
        sa.Column("coupon_batches", sa.JSON(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_session")),
        sa.UniqueConstraint("code", name="uq_live_session_code"),
    )
    op.create_index("ix_live_session_started_at", "live_session", ["started_at"], unique=False)
    op.create_table(
        "live_viewer_stat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_code", sa.String(length=64), nullable=False),
        sa.Column("viewers", sa.Integer(), nullable=False),
        sa.Column("peak_viewers", sa.Integer(), nullable=True),
        sa.Column("watch_minutes", sa.Integer(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        sa.Column("shares", sa.Integer(), nullable=True),
        sa.Column("new_followers", sa.Integer(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_viewer_stat")),
        sa.UniqueConstraint("session_code", name="uq_live_viewer_stat_session"),
    )


def downgrade() -> None:
    op.drop_table("live_viewer_stat")
    op.drop_index("ix_live_session_started_at", table_name="live_session")
    op.drop_table("live_session")
