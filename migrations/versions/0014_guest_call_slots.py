"""Places of API requests waiting on a project's guests, shared by every
API process, so the per-project cap holds across workers and hosts.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'guest_call_slots',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('slot', sa.Integer, primary_key=True,
                  autoincrement=False),
        sa.Column('holder', sa.String(32)),
        sa.Column('held_until', sa.Double),
        mysql_charset='utf8mb4')
