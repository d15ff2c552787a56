"""messaging: the outbox belongs to the platform — origin (kind, ref), purpose and template on
every message; campaign_id stays as a plain link (no foreign key to marketing's table); keys
normalised (platform.keys: case folded)

Revision ID: messaging_0001
Revises: 0001_core
Create Date: 2026-12-06 20:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'messaging_0001'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('messaging',)
depends_on: str | Sequence[str] | None = 'campaign_0002'  # the message table was made there


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_kind', sa.String(length=16), nullable=False, server_default='system'))
        batch_op.add_column(sa.Column('origin_ref', sa.String(length=128), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=False, server_default='marketing'))
        batch_op.add_column(sa.Column('template', sa.String(length=64), nullable=True))
        batch_op.drop_constraint('fk_message_campaign_id_campaign', type_='foreignkey')
        batch_op.create_index('ix_message_origin', ['origin_kind', 'origin_ref'], unique=False)
    # every message so far came from a campaign or a journey: origin ref = "CODE:run", the key
    # without its ":customer" suffix (keys were campaign:run:customer)
    op.execute(
        "UPDATE message SET origin_kind = CASE WHEN EXISTS (SELECT 1 FROM campaign c"
        " WHERE c.id = message.campaign_id AND c.kind = 'journey') THEN 'journey'"
        " ELSE 'campaign' END,"
        " origin_ref = substr(key, 1, length(key) - length(customer_id) - 1)"
        " WHERE campaign_id IS NOT NULL"
    )
    op.execute("UPDATE message SET key = lower(trim(key))")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('origin_kind', server_default=None)
        batch_op.alter_column('origin_ref', server_default=None)
        batch_op.alter_column('purpose', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_origin')
        batch_op.create_foreign_key(
            'fk_message_campaign_id_campaign', 'campaign', ['campaign_id'], ['id']
        )
        batch_op.drop_column('template')
        batch_op.drop_column('purpose')
        batch_op.drop_column('origin_ref')
        batch_op.drop_column('origin_kind')
