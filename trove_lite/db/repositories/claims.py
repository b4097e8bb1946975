"""Claims on instances: which taskmanager host works on which instance
(taskmanager.claims holds the rules; this is their rows). A claim lapses
when its host's heartbeat in the service registry is older than the
lease."""

import datetime

import sqlalchemy as sa

from trove_lite.db import coordination_models
from trove_lite.db import sql

_T = coordination_models.InstanceClaim.__table__
_S = coordination_models.Service.__table__

TASKMANAGER = 'trove-lite-taskmanager'


def _alive(service, now, lease_timeout):
    # updated_at is kept to the second: the beat it records may have come
    # up to a second later, and a lease never lapses early.
    return service is not None and service.stopped_at is None and \
        now - service.updated_at <= datetime.timedelta(
            seconds=lease_timeout + 1)


def _taskmanager(conn, host):
    return conn.execute(sa.select(_S.c.updated_at, _S.c.stopped_at).where(
        _S.c.binary == TASKMANAGER, _S.c.host == host)).first()


def take(tx, instance_id, host, purpose, lease_timeout):
    """Claim ``instance_id`` for ``host``: ``(True, previous owner or
    None)`` when taken, ``(False, owner)`` when a live taskmanager holds
    it. A claim whose owner's lease lapsed is taken over, and so is one
    recorded for ``host`` itself: the caller does not hold it, so the
    process that took it is gone (one taskmanager per host)."""
    now = sql.database_now(tx)
    row = dict(instance_id=instance_id, host=host, purpose=purpose,
               claimed_at=now)
    if tx.execute(sql.insert_ignore(_T).values(row)).rowcount:
        return True, None
    current = tx.execute(sa.select(_T.c.host).where(
        _T.c.instance_id == instance_id).with_for_update()).first()
    if current is None:
        # Released between the insert and the read.
        return bool(tx.execute(sql.insert_ignore(_T).values(row))
                    .rowcount), None
    owner = current.host
    if owner != host and _alive(_taskmanager(tx, owner), now,
                                lease_timeout):
        return False, owner
    tx.execute(_T.update().where(_T.c.instance_id == instance_id,
                                 _T.c.host == owner).values(row))
    return True, owner


def release(tx, instance_id, host):
    """Drop ``host``'s claim on ``instance_id`` (a claim taken over by
    another host meanwhile stays)."""
    tx.execute(_T.delete().where(_T.c.instance_id == instance_id,
                                 _T.c.host == host))


def live_owner(conn, instance_id, lease_timeout):
    """The host holding ``instance_id``'s claim if its lease holds, else
    None."""
    row = conn.execute(sa.select(_T.c.host).where(
        _T.c.instance_id == instance_id)).first()
    if row is None:
        return None
    now = sql.database_now(conn)
    return row.host if _alive(_taskmanager(conn, row.host), now,
                              lease_timeout) else None


def lapsed(conn, host, lease_timeout):
    """``(instance id, owner)`` of every claim whose owner is gone: its
    lease lapsed, or it is ``host``'s own (taken by a process of this
    host that is gone; the caller leaves out what it holds)."""
    now = sql.database_now(conn)
    rows = conn.execute(
        sa.select(_T.c.instance_id, _T.c.host, _S.c.updated_at,
                  _S.c.stopped_at)
        .select_from(_T.outerjoin(_S, sa.and_(_S.c.host == _T.c.host,
                                              _S.c.binary == TASKMANAGER)))
        .order_by(_T.c.claimed_at)).all()
    return [(row.instance_id, row.host) for row in rows
            if row.host == host or not _alive(
                None if row.updated_at is None else row, now,
                lease_timeout)]


def all_claims(conn):
    """Every claim as ``(instance id, host, purpose)``."""
    return [tuple(row) for row in conn.execute(
        sa.select(_T.c.instance_id, _T.c.host, _T.c.purpose)
        .order_by(_T.c.instance_id))]
