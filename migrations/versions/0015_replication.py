"""The replication source of each replica (Trove's instances.slave_of_id).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('instances', sa.Column(
        'slave_of_id', sa.String(36), sa.ForeignKey(
            'instances.id', name='instances_slave_of_id_fkey')))
    op.create_index('ix_instances_slave_of_id', 'instances',
                    ['slave_of_id'])
