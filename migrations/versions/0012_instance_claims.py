"""Claims on instances in the database with a lease (several
taskmanagers), the host of an instance's server, and the room of each
taskmanager's host.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'instance_claims',
        sa.Column('instance_id', sa.String(36), primary_key=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('purpose', sa.String(64), nullable=False),
        sa.Column('claimed_at', sa.DateTime, nullable=False),
        mysql_charset='utf8mb4')
    op.add_column('instances', sa.Column('host', sa.String(255)))
    op.create_index('instances_host', 'instances', ['host', 'deleted'])
    op.add_column('services', sa.Column('capacity', sa.Integer))
