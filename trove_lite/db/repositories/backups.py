"""Backups (Trove's ``backups``), as records.backup.Backup records."""

import dataclasses

import sqlalchemy as sa

from trove_lite.common import exceptions
from trove_lite.db import models
from trove_lite.db import sql
from trove_lite.records.backup import Backup
from trove_lite.records.backup import BackupState

_B = models.Backup.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__

_COLUMNS = (
    _B.c.id, _B.c.name, _B.c.description, _B.c.location, _B.c.backup_type,
    _B.c.size, _B.c.tenant_id, _B.c.state, _B.c.instance_id, _B.c.checksum,
    _B.c.created, _B.c.updated, _B.c.parent_id, _B.c.datastore_version_id,
    _B.c.lsn, _B.c.fault, _B.c.automated,
    _D.c.name.label('datastore_name'),
    _V.c.name.label('datastore_version_name'),
    _V.c.manager.label('datastore_manager'),
)

# Rows become Backups positionally: keep the orders in step.
assert [column.key for column in _COLUMNS] == [
    field.name for field in dataclasses.fields(Backup)]

_FROM = (_B.outerjoin(_V, _V.c.id == _B.c.datastore_version_id)
         .outerjoin(_D, _D.c.id == _V.c.datastore_id))


def _select(*conditions, include_deleted=False):
    query = sa.select(*_COLUMNS).select_from(_FROM).where(*conditions)
    if not include_deleted:
        query = query.where(_B.c.deleted.is_(False))
    return query


def find(conn, backup_id, tenant_id=None, include_deleted=False):
    """A backup (of ``tenant_id`` when given), or None."""
    if not sql.is_uuid(backup_id):
        return None
    conditions = [_B.c.id == backup_id]
    if tenant_id is not None:
        conditions.append(_B.c.tenant_id == tenant_id)
    row = conn.execute(_select(*conditions,
                               include_deleted=include_deleted)).first()
    return None if row is None else Backup(*row)


def get(conn, backup_id, tenant_id=None):
    """An undeleted backup (of ``tenant_id`` when given), or
    BackupNotFound."""
    found = find(conn, backup_id, tenant_id)
    if found is None:
        raise exceptions.BackupNotFound(uuid=backup_id)
    return found


def list_page(conn, tenant_id, limit, offset=0, instance_id=None,
              version_ids=None):
    """One page of backups, newest ``updated`` first (Trove's order,
    paged by offset), of one project (None: every project's), of one
    instance, of some datastore versions; plus whether another page
    follows."""
    conditions = []
    if tenant_id is not None:
        conditions.append(_B.c.tenant_id == tenant_id)
    if instance_id is not None:
        conditions.append(_B.c.instance_id == instance_id)
    if version_ids is not None:
        conditions.append(_B.c.datastore_version_id.in_(version_ids))
    rows = conn.execute(_select(*conditions)
                        .order_by(_B.c.updated.desc(), _B.c.id)
                        .offset(offset).limit(limit + 1)).all()
    return [Backup(*row) for row in rows[:limit]], len(rows) > limit


def lock(tx, backup_id):
    """Lock an undeleted backup's row until ``tx`` ends and return it, or
    raise BackupNotFound. A child's create and its parent's delete both
    take this lock, so neither misses the other."""
    row = tx.execute(_select(_B.c.id == backup_id)
                     .with_for_update(of=_B)).first()
    if row is None:
        raise exceptions.BackupNotFound(uuid=backup_id)
    return Backup(*row)


def latest_completed(conn, instance_id, skip_scheme=None):
    """The newest completed backup of an instance, or None (the parent of
    an ``incremental`` backup that names none); those whose location
    starts with ``skip_scheme`` do not count."""
    conditions = [_B.c.instance_id == instance_id,
                  _B.c.state == BackupState.COMPLETED]
    if skip_scheme is not None:
        conditions.append(sa.not_(_B.c.location.startswith(
            skip_scheme, autoescape=True)))
    row = conn.execute(
        _select(*conditions)
        .order_by(_B.c.created.desc(), _B.c.id.desc()).limit(1)).first()
    return None if row is None else Backup(*row)


def children(conn, backup_id):
    """Ids of the undeleted backups whose parent is ``backup_id``."""
    return list(conn.execute(sa.select(_B.c.id).where(
        _B.c.parent_id == backup_id, _B.c.deleted.is_(False))
        .order_by(_B.c.id)).scalars())


def running(conn, instance_id=None):
    """Undeleted backups still running (of one instance, when given)."""
    conditions = [_B.c.state.in_(sorted(BackupState.RUNNING))]
    if instance_id is not None:
        conditions.append(_B.c.instance_id == instance_id)
    return [Backup(*row) for row in conn.execute(
        _select(*conditions).order_by(_B.c.created))]


def create(tx, values):
    """Insert a backup in state NEW with ``values`` (its columns); its
    id."""
    now = models.utcnow()
    backup_id = sql.new_id()
    tx.execute(_B.insert().values(id=backup_id, state=BackupState.NEW,
                                  deleted=False, created=now, updated=now,
                                  **values))
    return backup_id


def update_if(tx, backup_id, states, **values):
    """Set columns of an undeleted backup whose state is one of
    ``states``; whether it was set (a late or repeated report changes
    nothing)."""
    return tx.execute(
        _B.update().where(_B.c.id == backup_id, _B.c.deleted.is_(False),
                          _B.c.state.in_(sorted(states)))
        .values(updated=models.utcnow(), **values)).rowcount == 1


def soft_delete(tx, backup_id):
    now = models.utcnow()
    tx.execute(_B.update().where(_B.c.id == backup_id).values(
        deleted=True, deleted_at=now, updated=now))


def completed(conn, instance_id):
    """The undeleted completed backups of an instance (deleted or not),
    oldest end first."""
    return [Backup(*row) for row in conn.execute(
        _select(_B.c.instance_id == instance_id,
                _B.c.state == BackupState.COMPLETED)
        .order_by(_B.c.updated, _B.c.id))]


def automated(conn, instance_id):
    """The undeleted automated backups of an instance, newest first."""
    return [Backup(*row) for row in conn.execute(
        _select(_B.c.instance_id == instance_id,
                _B.c.automated.is_(True))
        .order_by(_B.c.created.desc(), _B.c.id))]
