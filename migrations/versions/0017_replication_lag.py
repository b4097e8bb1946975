"""The replication lag a replica reports with its heartbeat.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('instance_service_statuses',
                  sa.Column('replication_lag', sa.Integer))
