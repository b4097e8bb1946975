"""Rate limit buckets in the database, shared by every API process.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limit_buckets',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('limit_key', sa.String(64), primary_key=True),
        sa.Column('level', sa.Double, nullable=False),
        sa.Column('updated', sa.Double),
        mysql_charset='utf8mb4')
