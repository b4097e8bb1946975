"""Quotas: per-project hard limits and usages.

The usages of instances that exist already are counted, so quotas hold
from the first create after the upgrade.

Revision ID: 0003
Revises: 0001 (0002 is not used: applied revision ids never change)
Create Date: 2026-11-26
"""

import datetime
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quotas',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('resource', sa.String(255), nullable=False),
        sa.Column('hard_limit', sa.Integer, nullable=False),
        sa.UniqueConstraint('tenant_id', 'resource',
                            name='quotas_tenant_resource'),
        mysql_charset='utf8mb4')
    usages = op.create_table(
        'quota_usages',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('resource', sa.String(255), nullable=False),
        sa.Column('in_use', sa.Integer, nullable=False),
        sa.UniqueConstraint('tenant_id', 'resource',
                            name='quota_usages_tenant_resource'),
        mysql_charset='utf8mb4')
    op.bulk_insert(usages, _current_usages())


def _current_usages():
    """Usage rows for the instances that are not deleted."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    rows = op.get_bind().execute(sa.text(
        'SELECT i.tenant_id, COUNT(*), COALESCE(SUM(i.volume_size), 0), '
        'COALESCE(SUM(f.ram), 0) FROM instances i '
        'LEFT JOIN flavors f ON f.id = i.flavor_id '
        'WHERE i.deleted = 0 GROUP BY i.tenant_id')).all()
    return [{'id': str(uuid.uuid4()), 'created': now, 'updated': now,
             'tenant_id': tenant_id, 'resource': resource,
             'in_use': int(amount)}
            for tenant_id, instances, volumes, ram in rows
            for resource, amount in (('instances', instances),
                                     ('volumes', volumes), ('ram', ram))]
