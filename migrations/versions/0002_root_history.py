"""Root-enabled history (Trove's ``root_enabled_history``).

Revision ID: 0002
Revises: 0003
Create Date: 2026-11-27

Made in parallel with 0003 (quotas), which was merged first; it follows
0003 so that databases already at 0003 get it too (one line of history).
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
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
