"""Backups (Trove's ``backups`` table, plus the InnoDB log position a
backup ends at and why a failed one failed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'backups',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512)),
        sa.Column('location', sa.String(1024)),
        sa.Column('backup_type', sa.String(32)),
        sa.Column('size', sa.Float),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('state', sa.String(32), nullable=False),
        sa.Column('instance_id', sa.String(36)),
        sa.Column('checksum', sa.String(64)),
        sa.Column('backup_timestamp', sa.Integer),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('parent_id', sa.String(36)),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id')),
        sa.Column('lsn', sa.BigInteger),
        sa.Column('fault', sa.String(255)),
        # As every table: a server whose default is latin1 refuses the
        # foreign key to the utf8mb4 datastore_versions otherwise.
        mysql_charset='utf8mb4')
    op.create_index('backups_tenant_id', 'backups', ['tenant_id', 'deleted'])
    op.create_index('backups_instance_id', 'backups', ['instance_id'])
    op.create_index('backups_parent_id', 'backups', ['parent_id'])
