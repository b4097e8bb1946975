"""What guests report: the service status of each instance, and the
conductor's lastseen guard (the newest ``sent`` stamp applied per instance
and RPC method), which drops reports older than one already applied."""

import sqlalchemy as sa

from trove_lite.db import models
from trove_lite.db import sql
from trove_lite.records.status import ServiceStatuses

_I = models.Instance.__table__
_S = models.InstanceServiceStatus.__table__
_L = models.ConductorLastSeen.__table__


def service_status(conn, instance_id):
    """The status the guest of an instance reported last, or None."""
    row = conn.execute(sa.select(_S.c.status_id).where(
        _S.c.instance_id == instance_id)).first()
    return None if row is None else ServiceStatuses.from_code(row[0])


def set_service_status(tx, instance_id, status):
    """Set the service status outside of a heartbeat (taskmanager/API)."""
    tx.execute(_S.update().where(_S.c.instance_id == instance_id).values(
        status_id=status.code, status_description=status.description,
        updated_at=models.utcnow()))


def lastseen(conn, instance_id):
    """The guest clock stamp of the newest heartbeat applied, or None."""
    return conn.execute(sa.select(_L.c.sent).where(
        _L.c.instance_id == instance_id,
        _L.c.method_name == 'heartbeat')).scalar()


def forget_lastseen(tx, instance_id):
    tx.execute(_L.delete().where(_L.c.instance_id == instance_id))


def _claim_lastseen(tx, instance_id, method, sent):
    """Record ``sent`` as the newest message of (instance, method); False
    when a message at least as new was already seen. The row lock it takes
    orders racing workers until the transaction ends."""
    newer = tx.execute(
        _L.update().where(_L.c.instance_id == instance_id,
                          _L.c.method_name == method, _L.c.sent < sent)
        .values(sent=sent))
    if newer.rowcount:
        return True
    # No row yet, or one at least as new: only a first message inserts.
    first = tx.execute(
        sql.insert_ignore(_L).values(instance_id=instance_id,
                                     method_name=method, sent=sent))
    return bool(first.rowcount)


def apply(tx, instance_id, status, sent):
    """Apply a guest heartbeat (``status`` None: only its time) unless one
    at least as new (``sent``) was applied. Returns ``(applied,
    changed)``: changed when the status itself changed, not just its
    time. Not applied (a stale report, an unknown or deleted instance):
    the caller rolls ``tx`` back, so the report leaves no trace."""
    # The status row first, then the guard's: the order in which
    # refresh_unchanged's one statement locks them. The other order
    # deadlocks against it when two conductors race on one instance.
    tx.execute(sa.select(_S.c.instance_id).where(
        _S.c.instance_id == instance_id).with_for_update())
    if sent is not None and not _claim_lastseen(tx, instance_id,
                                                'heartbeat', sent):
        return False, False
    now = models.utcnow()
    live = sa.exists().where(_I.c.id == _S.c.instance_id,
                             _I.c.deleted.is_(False))
    mine = (_S.c.instance_id == instance_id, live)
    changed = 0
    if status is not None:
        # A restart-required mark stays until a restart clears it.
        changed = tx.execute(
            _S.update().where(
                *mine, _S.c.status_id != status.code,
                _S.c.status_id != ServiceStatuses.RESTART_REQUIRED.code)
            .values(status_id=status.code,
                    status_description=status.description,
                    updated_at=now)).rowcount
    matched = changed or tx.execute(
        _S.update().where(*mine).values(updated_at=now)).rowcount
    return bool(matched), bool(changed)


def refresh_unchanged(conn, instance_id, status, sent):
    """The common heartbeat (a live instance, a newer ``sent``, the status
    unchanged) in one multiple-table UPDATE on an autocommit connection:
    the guard and the refresh lock the same rows, so racing heartbeats stay
    ordered. False means ``apply`` must decide (first heartbeat, a change,
    a stale or unknown report, or a database without multiple-table
    UPDATE)."""
    if conn.dialect.name != 'mysql':
        return False
    conditions = [_S.c.instance_id == instance_id,
                  _L.c.instance_id == _S.c.instance_id,
                  _L.c.method_name == 'heartbeat', _L.c.sent < sent,
                  _I.c.id == _S.c.instance_id, _I.c.deleted.is_(False)]
    if status is not None:
        conditions.append(_S.c.status_id == status.code)
    statement = _S.update().where(*conditions).values(
        {_S.c.updated_at: models.utcnow(), _L.c.sent: sent})
    return conn.execute(statement).rowcount > 0
