"""Alembic environment: runs on the connection trove-lite hands over."""

from alembic import context

from trove_lite.db import coordination_models  # noqa: F401 (its tables)
from trove_lite.db import models

connection = context.config.attributes.get('connection')
if connection is None:
    raise RuntimeError('Run migrations through trove-lite-manage db-sync')

context.configure(connection=connection,
                  target_metadata=models.Base.metadata)
with context.begin_transaction():
    context.run_migrations()
