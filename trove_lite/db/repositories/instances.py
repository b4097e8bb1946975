"""Instances, their faults, and the rows born and deleted with them (the
guest's status row), as records.instance.Instance records.

The list query and the single lookup select the same columns; the
datastore names come from a cached copy of the catalogue rather than two
more joins and four more columns per row.
"""

import dataclasses
import datetime
import json
import threading
import time
import typing

import orjson
import sqlalchemy as sa

from trove_lite.common import exceptions
from trove_lite.common.context import ALL_PROJECTS
from trove_lite.db import models
from trove_lite.db import sql
from trove_lite.db.repositories import backup_policies
from trove_lite.records.instance import Instance
from trove_lite.records.status import InstanceTasks
from trove_lite.records.status import ServiceStatuses

_I = models.Instance.__table__
_S = models.InstanceServiceStatus.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_F = models.InstanceFault.__table__
_C = models.Configuration.__table__

_COLUMNS = (
    _I.c.id, _I.c.name, _I.c.tenant_id, _I.c.created, _I.c.updated,
    _I.c.flavor_id, _I.c.volume_size, _I.c.region_id, _I.c.task_id,
    _I.c.task_start_time, _I.c.server_status, _I.c.addresses,
    _I.c.compute_instance_id, _I.c.volume_id, _I.c.datastore_version_id,
    _S.c.status_id.label('service_status_id'),
    _S.c.updated_at.label('service_status_updated'),
    _I.c.configuration_id,
    _C.c.name.label('configuration_name'),
    _I.c.encrypted_key.is_not(None).label('encrypted_rpc_messaging'),
    _S.c.volume_used, _S.c.volume_used_percent,
    _I.c.host, _I.c.slave_of_id, _I.c.access, _S.c.replication_lag,
)

# Rows become Instances positionally (then the datastore names): keep the
# orders in step.
assert [column.key for column in _COLUMNS] == [
    field.name for field in dataclasses.fields(Instance)][:len(_COLUMNS)]

_FROM = (_I.outerjoin(_S, _S.c.instance_id == _I.c.id)
         .outerjoin(_C, _C.c.id == _I.c.configuration_id))


class _VersionNames:
    """Datastore version id -> (datastore name, version name, version
    number, manager). Read whole, again when an unknown id turns up or the
    copy is older than CATALOGUE_TTL (a renamed version shows its new
    name within that time)."""

    CATALOGUE_TTL = 30.0
    UNKNOWN = (None, None, None, None)

    def __init__(self):
        self._names = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    def _read(self, conn):
        query = sa.select(_V.c.id, _D.c.name, _V.c.name, _V.c.version,
                          _V.c.manager).select_from(
            _V.outerjoin(_D, _D.c.id == _V.c.datastore_id))
        self._names = {row[0]: tuple(row[1:])
                       for row in conn.execute(query)}
        self._read_at = time.monotonic()

    def of(self, conn, version_id):
        with self._lock:
            stale = time.monotonic() - self._read_at > self.CATALOGUE_TTL
            if stale or version_id not in self._names:
                self._read(conn)
            return self._names.get(version_id, self.UNKNOWN)


_VERSION_NAMES = _VersionNames()

_VERSION_FIELD = [column.key for column in _COLUMNS].index(
    'datastore_version_id')


def _record(conn, row):
    return Instance(*row, *_VERSION_NAMES.of(conn, row[_VERSION_FIELD]))


# The list query is built once: executing a prepared statement skips the
# construction and most of the cache-key work on every request. Each row
# comes back as one JSON array: PyMySQL decodes every column of every row
# in Python, the json module decodes a whole row in C (a page costs about
# half as much to read).
_LIST_PAGE = (sa.select(sa.func.json_array(*_COLUMNS, type_=sa.String))
              .select_from(_FROM)
              .where(_I.c.tenant_id == sa.bindparam('tenant_id'),
                     _I.c.deleted.is_(False),
                     _I.c.id > sa.bindparam('marker'))
              .order_by(_I.c.id).limit(sa.bindparam('rows')))


def _loads(document):
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        # What only the json module reads (an escaped lone surrogate in a
        # JSON column, a number past a double's range) is read as before.
        return json.loads(document)


def _unpacker(columns):
    """``unpack(document)``: the values of ``columns`` from a row packed
    by JSON_ARRAY, where datetimes come as text, and a JSON column as
    text where the database (SQLite) does not embed it."""
    datetimes = [index for index, column in enumerate(columns)
                 if isinstance(column.type, sa.DateTime)]
    documents = [index for index, column in enumerate(columns)
                 if isinstance(column.type, sa.JSON)]

    def unpack(document):
        values = _loads(document)
        for index in datetimes:
            if values[index] is not None:
                values[index] = datetime.datetime.fromisoformat(
                    values[index])
        for index in documents:
            if isinstance(values[index], str):
                values[index] = _loads(values[index])
        return values
    return unpack


_unpack_instance = _unpacker(_COLUMNS)


def _record_from_json(conn, document):
    """An Instance from a row of _LIST_PAGE."""
    return _record(conn, _unpack_instance(document))


def list_page(conn, tenant_id, limit, marker=None):
    """One page of a project's instances ordered by id, plus whether
    another page follows (Trove pages by id, then shows newest first)."""
    rows = conn.execute(_LIST_PAGE, {'tenant_id': sql.require_project(
                                         tenant_id),
                                     'marker': marker or '',
                                     'rows': limit + 1}).all()
    records = [_record_from_json(conn, row[0]) for row in rows[:limit]]
    return records, len(rows) > limit


def _lookup(conn, instance_id, project, include_deleted):
    """The row of an instance of ``project`` (see sql.project_condition),
    or None."""
    if not sql.is_uuid(instance_id):
        return None
    query = (sa.select(*_COLUMNS).select_from(_FROM)
             .where(_I.c.id == instance_id))
    if not include_deleted:
        query = query.where(_I.c.deleted.is_(False))
    query = query.where(sql.project_condition(_I.c.tenant_id, project))
    return conn.execute(query).first()


def _with_fault(conn, row):
    """The Instance of ``row`` with, in an error task, its latest fault."""
    record = _record(conn, row[:len(_COLUMNS)])
    if record.task.is_error:
        fault = conn.execute(
            sa.select(_F.c.message, _F.c.details, _F.c.created)
            .where(_F.c.instance_id == record.id, _F.c.deleted.is_(False))
            .order_by(_F.c.created.desc()).limit(1)).first()
        if fault is not None:
            record.fault_message, record.fault_details, \
                record.fault_created = fault
    return record


def find(conn, instance_id, project=ALL_PROJECTS,
         include_deleted=False):
    """An instance of ``project`` (see sql.project_condition) with its
    status and, in an error task, its latest fault; None when there is
    none (undeleted, unless ``include_deleted``)."""
    row = _lookup(conn, instance_id, project, include_deleted)
    return None if row is None else _with_fault(conn, row)


class Shown(typing.NamedTuple):
    """What the show of an instance reads."""

    instance: Instance
    backup_policy: object  # records.backup.BackupPolicy or None
    replica_ids: list
    automatic_failover: bool


_REPLICA = _I.alias('replica')
_SHOW_COLUMNS = (
    *_COLUMNS, *backup_policies.COLUMNS,
    sa.select(sa.func.group_concat(_REPLICA.c.id))
    .where(_REPLICA.c.slave_of_id == _I.c.id,
           _REPLICA.c.deleted.is_(False)).scalar_subquery(),
    _I.c.automatic_failover)
_unpack_shown = _unpacker(_SHOW_COLUMNS)


def _show_statement(of_project):
    # Built once, like the list's: a show only binds its ids.
    query = (sa.select(sa.func.json_array(*_SHOW_COLUMNS, type_=sa.String))
             .select_from(_FROM.outerjoin(
                 backup_policies.TABLE, backup_policies.current_of(_I.c.id)))
             .where(_I.c.id == sa.bindparam('instance_id'),
                    _I.c.deleted.is_(False)))
    if of_project:
        query = query.where(_I.c.tenant_id == sa.bindparam('project'))
    return query


_SHOW = {True: _show_statement(True), False: _show_statement(False)}


def get_for_show(conn, instance_id, project=ALL_PROJECTS):
    """The instance (as ``get`` finds it) with its current backup policy,
    its replicas' ids and whether they fail over by themselves, in one
    statement; or InstanceNotFound."""
    document = None
    if sql.is_uuid(instance_id):
        of_project = project is not ALL_PROJECTS
        document = conn.execute(_SHOW[of_project], {
            'instance_id': instance_id,
            **({'project': sql.require_project(project)}
               if of_project else {})}).scalar()
    if document is None:
        raise exceptions.InstanceNotFound(uuid=instance_id)
    values = _unpack_shown(document)
    policy_end = len(_COLUMNS) + len(backup_policies.COLUMNS)
    replicas, automatic = values[policy_end:]
    return Shown(_with_fault(conn, values[:len(_COLUMNS)]),
                 backup_policies.from_joined(values[len(_COLUMNS):
                                                    policy_end]),
                 sorted(replicas.split(',')) if replicas else [],
                 bool(automatic))


def get(conn, instance_id, project=ALL_PROJECTS):
    """An undeleted instance (see find), or InstanceNotFound."""
    record = find(conn, instance_id, project)
    if record is None:
        raise exceptions.InstanceNotFound(uuid=instance_id)
    return record


def with_tasks(conn, tasks):
    """Undeleted instances whose task is one of ``tasks``."""
    rows = conn.execute(
        sa.select(*_COLUMNS).select_from(_FROM)
        .where(_I.c.deleted.is_(False),
               _I.c.task_id.in_([task.code for task in tasks]))
        .order_by(_I.c.id)).all()
    return [_record(conn, row) for row in rows]


def count_by_host(conn):
    """{host: undeleted instances placed on it}."""
    return dict(conn.execute(
        sa.select(_I.c.host, sa.func.count()).where(
            _I.c.deleted.is_(False), _I.c.host.is_not(None))
        .group_by(_I.c.host)).all())


def create(tx, values):
    """Insert an instance (task BUILDING, server BUILD) with ``values``
    (its columns) and its guest's status row (NEW); returns its id."""
    now = models.utcnow()
    values = dict(values)
    instance_id = values.pop('id', None) or sql.new_id()
    tx.execute(_I.insert().values(
        id=instance_id, created=now, updated=now,
        task_id=InstanceTasks.BUILDING.code,
        task_description=InstanceTasks.BUILDING.description,
        task_start_time=now, server_status='BUILD', deleted=False,
        **values))
    tx.execute(_S.insert().values(
        id=sql.new_id(), instance_id=instance_id,
        status_id=ServiceStatuses.NEW.code,
        status_description=ServiceStatuses.NEW.description,
        created_at=now, updated_at=now))
    return instance_id


def _task_columns(task, now):
    return dict(task_id=task.code, task_description=task.description,
                task_start_time=now)


def update(tx, instance_id, task=None, **values):
    """Update columns of an instance; ``task`` sets the task."""
    now = models.utcnow()
    if task is not None:
        values.update(_task_columns(task, now))
    tx.execute(_I.update().where(_I.c.id == instance_id)
               .values(updated=now, **values))


def set_task_if(tx, instance_id, expected_tasks, task, **values):
    """Set the task (and other columns) of an undeleted instance only if
    its task is one of ``expected_tasks``; whether it was set (guards
    against racing actions)."""
    now = models.utcnow()
    return tx.execute(
        _I.update().where(_I.c.id == instance_id, _I.c.deleted.is_(False),
                          _I.c.task_id.in_([t.code for t in
                                            expected_tasks]))
        .values(updated=now, **_task_columns(task, now),
                **values)).rowcount == 1


def update_if_task(tx, instance_id, task, **values):
    """Update columns of an undeleted instance only while its task is
    ``task`` (the work of that task records its outcome; a delete that
    got in first has the row); whether it was updated."""
    return tx.execute(
        _I.update().where(_I.c.id == instance_id, _I.c.deleted.is_(False),
                          _I.c.task_id == task.code)
        .values(updated=models.utcnow(), **values)).rowcount == 1


def add_fault(tx, instance_id, message, details=None, task=None,
              **values):
    """Record why an instance failed; with ``task`` (and other columns),
    update the instance too, so nobody sees ERROR without its reason."""
    now = models.utcnow()
    tx.execute(_F.insert().values(
        id=sql.new_id(), instance_id=instance_id, message=message[:255],
        details=details, created=now, deleted=False))
    if task is not None:
        values.update(_task_columns(task, now))
    if values:
        tx.execute(_I.update().where(_I.c.id == instance_id).values(
            updated=now, **values))


def soft_delete(tx, instance_id):
    """Mark an instance, its guest's status and its faults deleted (as
    Trove keeps them)."""
    now = models.utcnow()
    tx.execute(_I.update().where(_I.c.id == instance_id).values(
        deleted=True, deleted_at=now, updated=now,
        task_id=InstanceTasks.NONE.code,
        task_description=InstanceTasks.NONE.description,
        server_status='DELETED'))
    tx.execute(_S.update().where(_S.c.instance_id == instance_id).values(
        status_id=ServiceStatuses.DELETED.code,
        status_description=ServiceStatuses.DELETED.description,
        updated_at=now))
    tx.execute(_F.update().where(_F.c.instance_id == instance_id)
               .values(deleted=True))


def reset_status(tx, instance_id):
    """Trove's reset_status: no task, and the guest's status unknown until
    its next heartbeat says otherwise."""
    now = models.utcnow()
    tx.execute(_I.update().where(_I.c.id == instance_id).values(
        updated=now, **_task_columns(InstanceTasks.NONE, now)))
    tx.execute(_S.update().where(_S.c.instance_id == instance_id).values(
        status_id=ServiceStatuses.UNKNOWN.code,
        status_description=ServiceStatuses.UNKNOWN.description,
        updated_at=now))


def encrypted_key(conn, instance_id):
    """(found, key) of an instance, deleted ones included: its guest may
    still report while it is deleted."""
    row = conn.execute(sa.select(_I.c.encrypted_key).where(
        _I.c.id == instance_id)).first()
    return (False, None) if row is None else (True, row[0])


# --- The configuration group of instances --------------------------------

def attach_configuration(tx, instance_id, configuration_id, expected_tasks):
    """Attach a group to an undeleted instance that has none and whose
    task is among ``expected_tasks``; whether it was attached."""
    return tx.execute(_I.update().where(
        _I.c.id == instance_id, _I.c.deleted.is_(False),
        _I.c.configuration_id.is_(None),
        _I.c.task_id.in_([task.code for task in expected_tasks]))
        .values(configuration_id=configuration_id,
                updated=models.utcnow())).rowcount == 1


def detach_configuration(tx, instance_id, configuration_id):
    """Detach ``configuration_id`` from an instance if it is still the
    attached group; whether it was."""
    return tx.execute(_I.update().where(
        _I.c.id == instance_id, _I.c.configuration_id == configuration_id)
        .values(configuration_id=None,
                updated=models.utcnow())).rowcount == 1


def _attached(configuration_id, project=ALL_PROJECTS):
    return [_I.c.configuration_id == configuration_id,
            _I.c.deleted.is_(False),
            sql.project_condition(_I.c.tenant_id, project)]


def count_with_configuration(conn, configuration_id,
                             project=ALL_PROJECTS):
    """How many undeleted instances of ``project`` (see
    sql.project_condition) a group is attached to."""
    return conn.execute(sa.select(sa.func.count()).where(
        *_attached(configuration_id, project))).scalar()


def page_with_configuration(conn, configuration_id, project, limit,
                            marker=None):
    """One page of the instances a group is attached to, (id, name) by
    id, plus whether another page follows."""
    rows = conn.execute(
        sa.select(_I.c.id, _I.c.name)
        .where(*_attached(configuration_id, project),
               _I.c.id > (marker or ''))
        .order_by(_I.c.id).limit(limit + 1)).all()
    return [tuple(row) for row in rows[:limit]], len(rows) > limit


def list_with_configuration(conn, configuration_id):
    """Every undeleted instance a group is attached to."""
    rows = conn.execute(
        sa.select(*_COLUMNS).select_from(_FROM)
        .where(*_attached(configuration_id))
        .order_by(_I.c.id)).all()
    return [_record(conn, row) for row in rows]
