"""A key per instance for the messages to and from its guest (Trove's
``instances.encrypted_key``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('instances', sa.Column('encrypted_key', sa.String(255)))
