"""The access of each instance (Trove's instances.access): who may reach
its datastore port, ``{"is_public": bool, "allowed_cidrs": [...]}``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('instances', sa.Column('access', sa.JSON))
