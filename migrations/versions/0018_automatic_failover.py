"""Automatic failover of replication sources (trove-lite's).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('instances', sa.Column('automatic_failover', sa.Boolean))
