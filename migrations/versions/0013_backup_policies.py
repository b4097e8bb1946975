"""Backup policies of instances (point-in-time restore), and which
backups a policy took.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'backup_policies',
        sa.Column('instance_id', sa.String(36), primary_key=True),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('retention_days', sa.Integer, nullable=False),
        sa.Column('window_start', sa.Integer, nullable=False),
        sa.Column('window_end', sa.Integer, nullable=False),
        sa.Column('archived_since', sa.DateTime),
        sa.Column('archived_until', sa.DateTime),
        sa.Column('archive_sent', sa.Double),
        # When the policy stopped (removed, or its instance deleted): its
        # archive and automated backups are kept for the retention.
        sa.Column('ended', sa.DateTime),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        mysql_charset='utf8mb4')
    op.create_index('backup_policies_tenant_id', 'backup_policies',
                    ['tenant_id'])
    op.add_column('backups', sa.Column('automated', sa.Boolean,
                                       nullable=False,
                                       server_default=sa.false()))
