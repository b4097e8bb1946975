"""The service registry: each taskmanager and conductor (one row per host
and binary) with the database time of its last heartbeat."""

import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import sqlite

from trove_lite.db import coordination_models
from trove_lite.db import sql

_T = coordination_models.Service.__table__


def heartbeat(conn, binary, host, topic, capacity=None):
    """Record that ``binary`` on ``host`` is alive now (registering it on
    its first heartbeat, or again after a stop), with the servers its host
    runs at most (``capacity``, None: no limit). One upsert: the workers
    of one host share the row and may register at the same moment."""
    now = sql.database_now(conn)
    refreshed = {'topic': topic, 'updated_at': now, 'stopped_at': None,
                 'capacity': capacity}
    row = dict(binary=binary, host=host, created_at=now, **refreshed)
    if conn.dialect.name == 'mysql':
        statement = mysql.insert(_T).values(row).on_duplicate_key_update(
            refreshed)
    else:
        statement = sqlite.insert(_T).values(row).on_conflict_do_update(
            index_elements=['host', 'binary'], set_=refreshed)
    conn.execute(statement)


def stopped(conn, binary, host):
    """Record a clean stop: the service is down from now on."""
    conn.execute(_T.update().where(
        _T.c.binary == binary, _T.c.host == host).values(
            stopped_at=sql.database_now(conn)))


def is_up(row, now, down_time):
    """Whether a registered service counts as alive at ``now``: it has not
    stopped and its last heartbeat is at most ``down_time`` seconds old."""
    return row.stopped_at is None and \
        now - row.updated_at <= datetime.timedelta(seconds=down_time)


def list_all(conn):
    """``(now, rows)``: the database time and every registered service,
    by binary then host."""
    now = sql.database_now(conn)
    rows = conn.execute(sa.select(_T).order_by(_T.c.binary,
                                               _T.c.host)).all()
    return now, rows


def live_hosts(conn, binary, down_time):
    """The hosts whose ``binary`` is alive now."""
    now, rows = list_all(conn)
    return {row.host for row in rows
            if row.binary == binary and is_up(row, now, down_time)}
