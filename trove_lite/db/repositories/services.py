"""The service registry: each taskmanager and conductor (one row per host
and binary) with the database time of its last heartbeat."""

import datetime

import sqlalchemy as sa

from trove_lite.db import models
from trove_lite.db import sql

_T = models.Service.__table__


def heartbeat(conn, binary, host, topic):
    """Record that ``binary`` on ``host`` is alive now (registering it on
    its first heartbeat, or again after a stop)."""
    now = sql.database_now(conn)
    updated = conn.execute(_T.update().where(
        _T.c.binary == binary, _T.c.host == host).values(
            topic=topic, updated_at=now, stopped_at=None)).rowcount
    if not updated:
        # A racing worker of the same host may insert first: then its row
        # is this one's too.
        conn.execute(sql.insert_ignore(_T).values(
            binary=binary, host=host, topic=topic, created_at=now,
            updated_at=now))


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
