"""Schema migrations (alembic) run from the installed package."""

import importlib.resources

from alembic import command
from alembic import config as alembic_config
from alembic import migration
from alembic import script

from trove_lite.db import engine


def _alembic_config():
    location = importlib.resources.files('trove_lite.migrations')
    config = alembic_config.Config()
    config.set_main_option('script_location', str(location))
    return config


def upgrade(revision='head'):
    """Bring the schema to ``revision``; idempotent."""
    config = _alembic_config()
    with engine.get_engine().begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, revision)


def current_revision():
    with engine.get_engine().connect() as connection:
        return migration.MigrationContext.configure(
            connection).get_current_revision()


def head_revision():
    return script.ScriptDirectory.from_config(
        _alembic_config()).get_current_head()
