"""The ids of accepted sealed envelopes, so a replay is refused across
restarts and workers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sealed_message_ids',
        sa.Column('instance_id', sa.String(64), primary_key=True),
        sa.Column('message_id', sa.String(64), primary_key=True),
        sa.Column('keep_until', sa.Double, nullable=False),
        mysql_charset='utf8mb4')
    op.create_index('ix_sealed_message_ids_keep_until',
                    'sealed_message_ids', ['keep_until'])
