"""Configuration groups: the parameter catalogue of each datastore
version, the groups and their values, and the group attached to each
instance (Trove's tables and columns).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'datastore_configuration_parameters',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(128), nullable=False),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), nullable=False),
        sa.Column('restart_required', sa.Boolean, nullable=False),
        sa.Column('max_size', sa.String(40)),
        sa.Column('min_size', sa.String(40)),
        sa.Column('data_type', sa.String(128), nullable=False),
        sa.Column('allowed_values', sa.JSON),
        sa.Column('multiple', sa.Boolean, nullable=False),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.UniqueConstraint('datastore_version_id', 'name',
                            name='ds_config_parameters'),
        mysql_charset='utf8mb4')
    op.create_table(
        'configurations',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(255)),
        sa.Column('tenant_id', sa.String(36), nullable=False),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Index('configurations_tenant_id', 'tenant_id', 'deleted'),
        mysql_charset='utf8mb4')
    op.create_table(
        'configuration_parameters',
        sa.Column('configuration_id', sa.String(36),
                  sa.ForeignKey('configurations.id'), primary_key=True),
        sa.Column('configuration_key', sa.String(128), primary_key=True),
        sa.Column('configuration_value', sa.Text, nullable=False),
        mysql_charset='utf8mb4')
    op.add_column('instances', sa.Column(
        'configuration_id', sa.String(36),
        sa.ForeignKey('configurations.id',
                      name='instances_configuration_id_fkey')))
