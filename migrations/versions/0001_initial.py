"""Initial schema: catalogue, instances, service statuses, faults,
conductor lastseen.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'datastores',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False, unique=True),
        sa.Column('default_version_id', sa.String(36)),
        mysql_charset='utf8mb4')
    op.create_table(
        'datastore_versions',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('datastore_id', sa.String(36),
                  sa.ForeignKey('datastores.id'), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('version', sa.String(255)),
        sa.Column('manager', sa.String(255), nullable=False),
        sa.Column('image_id', sa.String(255)),
        sa.Column('packages', sa.String(511)),
        sa.Column('active', sa.Boolean, nullable=False),
        sa.UniqueConstraint('datastore_id', 'name', 'version',
                            name='ds_versions'),
        mysql_charset='utf8mb4')
    op.create_table(
        'flavors',
        sa.Column('id', sa.String(255), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False, unique=True),
        sa.Column('ram', sa.Integer, nullable=False),
        sa.Column('vcpus', sa.Integer, nullable=False),
        sa.Column('disk', sa.Integer, nullable=False),
        sa.Column('ephemeral', sa.Integer, nullable=False),
        mysql_charset='utf8mb4')
    op.create_table(
        'instances',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('flavor_id', sa.String(255), nullable=False),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), nullable=False),
        sa.Column('volume_size', sa.Integer),
        sa.Column('volume_type', sa.String(255)),
        sa.Column('region_id', sa.String(255)),
        sa.Column('task_id', sa.Integer, nullable=False),
        sa.Column('task_description', sa.String(255), nullable=False),
        sa.Column('task_start_time', sa.DateTime),
        sa.Column('compute_instance_id', sa.String(36)),
        sa.Column('volume_id', sa.String(36)),
        sa.Column('server_status', sa.String(64)),
        sa.Column('addresses', sa.JSON),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime),
        mysql_charset='utf8mb4')
    op.create_index('instances_tenant_id', 'instances',
                    ['tenant_id', 'deleted'])
    op.create_table(
        'instance_service_statuses',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), sa.ForeignKey('instances.id'),
                  nullable=False, unique=True),
        sa.Column('status_id', sa.Integer, nullable=False),
        sa.Column('status_description', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=False),
        mysql_charset='utf8mb4')
    op.create_table(
        'instance_faults',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), sa.ForeignKey('instances.id'),
                  nullable=False, index=True),
        sa.Column('message', sa.String(255), nullable=False),
        sa.Column('details', sa.Text),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False),
        mysql_charset='utf8mb4')
    op.create_table(
        'conductor_lastseen',
        sa.Column('instance_id', sa.String(36), primary_key=True),
        sa.Column('method_name', sa.String(36), primary_key=True),
        sa.Column('sent', sa.Double, nullable=False),
        mysql_charset='utf8mb4')
