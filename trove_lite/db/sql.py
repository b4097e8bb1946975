"""Statement helpers the repositories share."""

import datetime
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import sqlite

from trove_lite.common.context import ALL_PROJECTS


def project_condition(column, project):
    """The WHERE condition limiting ``column`` to ``project`` (a project
    id, or ALL_PROJECTS: no condition). A missing project is a programming
    error, refused rather than read as every project."""
    if project is ALL_PROJECTS:
        return sa.true()
    return column == require_project(project)


def require_project(project):
    """``project``, which must be a project id (not None, not empty)."""
    if not project or project is ALL_PROJECTS:
        raise ValueError('a lookup needs a project or ALL_PROJECTS')
    return project


def new_id():
    return str(uuid.uuid4())


def is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def insert_ignore(table):
    """An INSERT that skips a row whose key exists (a racing writer's)
    instead of failing; its rowcount says whether it inserted."""
    return (table.insert().prefix_with('IGNORE', dialect='mysql')
            .prefix_with('OR IGNORE', dialect='sqlite'))


def upsert(conn, table, key, rows, updated):
    """Insert ``rows`` (dicts of the same columns) in one statement; a
    row whose ``key`` (its primary or a unique key's column names) exists
    has its ``updated`` columns set to the new row's values instead. One
    statement of one shape whatever the number of rows: it is compiled
    once, each batch only binds its values."""
    if conn.dialect.name == 'mysql':
        statement = mysql.insert(table)
        statement = statement.on_duplicate_key_update(
            {column: statement.inserted[column] for column in updated})
    else:
        statement = sqlite.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=key,
            set_={column: statement.excluded[column] for column in updated})
    conn.execute(statement, rows)


EPOCH = datetime.datetime(1970, 1, 1)


def database_now(conn):
    """The database server's clock (naive UTC, microseconds): the one
    clock every host of a deployment shares, for heartbeats, leases and
    rate limits that hosts compare with each other."""
    if conn.dialect.name == 'mysql':
        return conn.execute(sa.select(sa.func.utc_timestamp(6))).scalar()
    # SQLite (unit tests) runs in this process: its clock is ours.
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
