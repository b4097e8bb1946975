"""Backup policies of instances, as records.backup.BackupPolicy records."""

import dataclasses

import sqlalchemy as sa

from trove_lite.db import models
from trove_lite.db import sql
from trove_lite.records.backup import BackupPolicy

_P = models.BackupPolicy.__table__
_COLUMNS = tuple(_P.c[field.name]
                 for field in dataclasses.fields(BackupPolicy))


# The table and columns of an instance's current policy, for a statement
# that outer-joins it to the instance (``current_of``).
TABLE = _P
COLUMNS = _COLUMNS


def current_of(instance_id_column):
    """The condition joining an instance to its current policy."""
    return sa.and_(_P.c.instance_id == instance_id_column,
                   _P.c.ended.is_(None))


def from_joined(values):
    """The policy from the ``COLUMNS`` values of a joined row, or None
    when the instance has none."""
    return None if values[0] is None else BackupPolicy(*values)


def find(conn, instance_id, tenant_id=None, include_ended=False):
    """The policy of an instance (of ``tenant_id`` when given), or None;
    one that ended only with ``include_ended``."""
    if not sql.is_uuid(instance_id):
        return None
    query = sa.select(*_COLUMNS).where(_P.c.instance_id == instance_id)
    if tenant_id is not None:
        query = query.where(_P.c.tenant_id == tenant_id)
    if not include_ended:
        query = query.where(_P.c.ended.is_(None))
    row = conn.execute(query).first()
    return None if row is None else BackupPolicy(*row)


def all_policies(conn):
    """Every policy, those that ended too (the periodic task's work)."""
    return [BackupPolicy(*row) for row in conn.execute(
        sa.select(*_COLUMNS).order_by(_P.c.instance_id))]


def put(tx, instance_id, tenant_id, retention_days, window_start,
        window_end):
    """Set an instance's policy (again): what its guest reported
    archived stays, so a policy set back on continues its archive."""
    now = models.utcnow()
    values = dict(retention_days=retention_days, window_start=window_start,
                  window_end=window_end, ended=None, updated=now)
    if tx.execute(_P.update().where(
            _P.c.instance_id == instance_id,
            _P.c.tenant_id == tenant_id).values(**values)).rowcount:
        return
    tx.execute(_P.insert().values(instance_id=instance_id,
                                  tenant_id=tenant_id, created=now,
                                  **values))


def end(tx, instance_id):
    """The policy stops (removed, or its instance deleted): nothing more
    is archived or taken; what was is kept for the retention."""
    now = models.utcnow()
    tx.execute(_P.update().where(_P.c.instance_id == instance_id,
                                 _P.c.ended.is_(None))
               .values(ended=now, updated=now))


def record_archive(tx, instance_id, since, until, sent):
    """What the guest reported archived, unless a later report was applied
    already; whether it was applied."""
    return tx.execute(_P.update().where(
        _P.c.instance_id == instance_id,
        sa.or_(_P.c.archive_sent.is_(None), _P.c.archive_sent < sent))
        .values(archived_since=since, archived_until=until,
                archive_sent=sent)).rowcount == 1


def remove(tx, instance_id):
    tx.execute(_P.delete().where(_P.c.instance_id == instance_id))
