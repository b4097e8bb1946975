"""Root-enabled history (Trove's ``root_enabled_history``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'root_enabled_history',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('user', sa.String(255)),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('deleted_at', sa.DateTime),
        mysql_charset='utf8mb4')
