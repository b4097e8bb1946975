"""The guest's volume usage, reported with its heartbeat, next to its
status: a show reads it instead of asking the guest.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('instance_service_statuses',
                  sa.Column('volume_used', sa.Float))
    op.add_column('instance_service_statuses',
                  sa.Column('volume_used_percent', sa.Float))
