"""Engine, sessions and every query the services run.

Writes of single rows go through the ORM; the hot paths (instance list,
heartbeats) are single Core statements.
"""

import dataclasses
import datetime
import functools
import json
import logging
import threading
import time
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db import models
from trove_lite.instance.status import InstanceTasks
from trove_lite.instance.status import ServiceStatuses

LOG = logging.getLogger(__name__)

_ENGINES = {}
_SESSIONMAKER = None
_LOCK = threading.Lock()


def _create_engine(autocommit):
    url = CONF.database.connection
    # The autocommit engine serves the hot reads and heartbeats: it pings
    # only connections that sat idle (see _ping_if_idle); one the server
    # dropped meanwhile fails one statement, which
    # ``retry_once_on_disconnect`` repeats where that is safe.
    kwargs = {'pool_pre_ping': not autocommit}
    if url.startswith('sqlite'):
        # An in-memory database (unit tests) exists once, shared by every
        # thread; SQLite has no server round trips to save.
        kwargs.update(poolclass=sa.pool.StaticPool,
                      connect_args={'check_same_thread': False})
        return sa.create_engine(url, **kwargs)
    # A fixed number of connections, kept: a connection made per request
    # (pool overflow) costs more than the request itself. Threads beyond
    # it wait for one.
    kwargs.update(pool_size=CONF.database.max_pool_size, max_overflow=0,
                  pool_recycle=CONF.database.connection_recycle_time)
    if not any(option.startswith('ssl')
               for option in sa.engine.make_url(url).query):
        # PyMySQL otherwise prepares TLS for every new connection (loading
        # the CA store, ~50 ms) in case the server offers it; a URL that
        # asks for TLS (ssl_ca=..., ssl_verify_cert=...) keeps it.
        kwargs['connect_args'] = {'ssl_disabled': True}
    if not autocommit:
        return sa.create_engine(url, **kwargs)
    # Connections born in autocommit mode: no BEGIN, no ROLLBACK on return
    # to the pool, one round trip per statement.
    engine = sa.create_engine(url, isolation_level='AUTOCOMMIT',
                              skip_autocommit_rollback=True, **kwargs)
    sa.event.listen(engine, 'checkin', _note_idle_since)
    sa.event.listen(engine, 'checkout', _ping_if_idle)
    return engine


# A connection idle this long is pinged before use (a busy one is not: the
# ping would cost a round trip per request).
IDLE_PING_SECONDS = 5.0


def _note_idle_since(dbapi_connection, connection_record):
    connection_record.info['idle_since'] = time.monotonic()


def _ping_if_idle(dbapi_connection, connection_record, proxy):
    idle_since = connection_record.info.get('idle_since')
    if idle_since is None or \
            time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping(reconnect=False)
    except Exception as error:
        # The pool replaces the connection and tries the next one.
        raise sa.exc.DisconnectionError(str(error)) from error


def get_engine(autocommit=False):
    """The process's engine, built on first use (after any fork). The
    ``autocommit`` engine serves single statements (reads, heartbeats)."""
    global _SESSIONMAKER
    with _LOCK:
        if not _ENGINES:
            _ENGINES[False] = _create_engine(autocommit=False)
            _ENGINES[True] = (_ENGINES[False]
                              if _ENGINES[False].dialect.name == 'sqlite'
                              else _create_engine(autocommit=True))
            _SESSIONMAKER = orm.sessionmaker(_ENGINES[False],
                                             expire_on_commit=False)
    return _ENGINES[autocommit]


def session():
    get_engine()
    return _SESSIONMAKER()


def dispose():
    global _SESSIONMAKER
    with _LOCK:
        for engine in set(_ENGINES.values()):
            engine.dispose()
        _ENGINES.clear()
        _SESSIONMAKER = None


def is_unavailable(error):
    """Whether an error means the database cannot be reached (as opposed
    to a bad statement)."""
    return isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError,
                              sa.exc.TimeoutError))


def retry_on_unavailable(function):
    """Retry a service-side write while the database is unreachable (up
    to ``[database] max_retries`` times), so a short outage delays the
    write instead of losing it."""
    @functools.wraps(function)
    def retrying(*args, **kwargs):
        attempt = 0
        while True:
            try:
                return function(*args, **kwargs)
            except sa.exc.SQLAlchemyError as error:
                attempt += 1
                if not is_unavailable(error) or \
                        attempt > CONF.database.max_retries:
                    raise
                LOG.warning('Database unavailable (%s); retry %d of %d in '
                            '%.1f s', type(error).__name__, attempt,
                            CONF.database.max_retries,
                            CONF.database.retry_interval)
                time.sleep(CONF.database.retry_interval)
    return retrying


def retry_once_on_disconnect(function):
    """Run an idempotent statement again once if its connection had been
    dropped by the server (SQLAlchemy then invalidates the stale pool)."""
    @functools.wraps(function)
    def retrying(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except sa.exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
            return function(*args, **kwargs)
    return retrying


def new_id():
    return str(uuid.uuid4())


def is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _insert_ignore(table):
    """An INSERT that skips a row whose key exists (a racing writer's)
    instead of failing; its rowcount says whether it inserted."""
    return (table.insert().prefix_with('IGNORE', dialect='mysql')
            .prefix_with('OR IGNORE', dialect='sqlite'))


# --- Catalogue: datastores, versions, flavors ------------------------------

def datastore_list():
    with session() as s:
        return list(s.scalars(sa.select(models.Datastore)
                              .order_by(models.Datastore.name)))


def datastore_find(id_or_name):
    """A datastore by id or name, or DatastoreNotFound."""
    with session() as s:
        found = s.scalars(sa.select(models.Datastore).where(sa.or_(
            models.Datastore.id == id_or_name,
            models.Datastore.name == id_or_name))).first()
    if found is None:
        raise exceptions.DatastoreNotFound(datastore=id_or_name)
    return found


def version_list(datastore_id=None, active_only=False):
    query = sa.select(models.DatastoreVersion).order_by(
        models.DatastoreVersion.name)
    if datastore_id:
        query = query.where(
            models.DatastoreVersion.datastore_id == datastore_id)
    if active_only:
        query = query.where(models.DatastoreVersion.active.is_(True))
    with session() as s:
        return list(s.scalars(query))


def version_get(version_id):
    """A datastore version by id, or DatastoreVersionNotFound."""
    with session() as s:
        found = s.get(models.DatastoreVersion, version_id)
    if found is None:
        raise exceptions.DatastoreVersionNotFound(version=version_id)
    return found


def version_find(datastore, id_or_name, version_number=None):
    """A version of ``datastore`` by id or name (Trove's rules: an unknown
    UUID is 404, an unknown or ambiguous name is 400)."""
    query = sa.select(models.DatastoreVersion).where(
        models.DatastoreVersion.datastore_id == datastore.id)
    with session() as s:
        if is_uuid(id_or_name):
            found = s.scalars(query.where(
                models.DatastoreVersion.id == id_or_name)).first()
            if found is None:
                raise exceptions.NotFound(uuid=id_or_name)
            return found
        query = query.where(models.DatastoreVersion.name == id_or_name)
        if version_number:
            query = query.where(
                models.DatastoreVersion.version == version_number)
        matches = list(s.scalars(query))
    if len(matches) != 1:
        raise exceptions.DatastoreVersionNotFound(version=id_or_name)
    return matches[0]


def datastore_update(name, default_version=None):
    """Create or update a datastore; ``default_version`` is a name."""
    with session() as s, s.begin():
        datastore = s.scalars(sa.select(models.Datastore).where(
            models.Datastore.name == name)).first()
        if datastore is None:
            datastore = models.Datastore(id=new_id(), name=name)
            s.add(datastore)
        if default_version:
            version = s.scalars(sa.select(models.DatastoreVersion).where(
                models.DatastoreVersion.datastore_id == datastore.id,
                models.DatastoreVersion.name == default_version)).first()
            if version is None:
                raise exceptions.DatastoreVersionNotFound(
                    version=default_version)
            datastore.default_version_id = version.id
        return datastore


def datastore_version_update(datastore_name, name, manager, image_id=None,
                             packages=None, active=True, version=None):
    """Create or update a version (matched by datastore, name, number)."""
    with session() as s, s.begin():
        datastore = s.scalars(sa.select(models.Datastore).where(
            models.Datastore.name == datastore_name)).first()
        if datastore is None:
            raise exceptions.DatastoreNotFound(datastore=datastore_name)
        row = s.scalars(sa.select(models.DatastoreVersion).where(
            models.DatastoreVersion.datastore_id == datastore.id,
            models.DatastoreVersion.name == name,
            models.DatastoreVersion.version == version)).first()
        if row is None:
            row = models.DatastoreVersion(id=new_id(),
                                          datastore_id=datastore.id,
                                          name=name, version=version)
            s.add(row)
        row.manager = manager
        row.image_id = image_id
        row.packages = packages
        row.active = active
        return row


def flavor_create(flavor_id, name, ram, vcpus, disk=0, ephemeral=0):
    """Create or update a flavor of the local catalogue."""
    with session() as s, s.begin():
        flavor = s.get(models.Flavor, flavor_id)
        if flavor is None:
            flavor = models.Flavor(id=flavor_id)
            s.add(flavor)
        flavor.name, flavor.ram, flavor.vcpus = name, ram, vcpus
        flavor.disk, flavor.ephemeral = disk, ephemeral
        return flavor


def flavor_list():
    with session() as s:
        return list(s.scalars(sa.select(models.Flavor)
                              .order_by(models.Flavor.ram,
                                        models.Flavor.id)))


def flavor_get(flavor_id):
    """A flavor by id, or None."""
    with session() as s:
        return s.get(models.Flavor, str(flavor_id))


# --- Instances ---------------------------------------------------------------

@dataclasses.dataclass
class InstanceRecord:
    """One instance with everything its API views need, from one query."""

    id: str
    name: str
    tenant_id: str
    created: datetime.datetime
    updated: datetime.datetime
    flavor_id: str
    volume_size: int | None
    region_id: str | None
    task_id: int
    server_status: str | None
    addresses: list | None
    compute_instance_id: str | None
    volume_id: str | None
    datastore_version_id: str
    service_status_id: int | None
    service_status_updated: datetime.datetime | None
    configuration_id: str | None
    configuration_name: str | None
    # Whether the instance has a key (its guest's messages are sealed).
    encrypted_rpc_messaging: bool
    datastore_name: str | None = None
    datastore_version_name: str | None = None
    datastore_version_number: str | None = None
    datastore_manager: str | None = None
    fault_message: str | None = None
    fault_details: str | None = None
    fault_created: datetime.datetime | None = None

    @property
    def task(self):
        return InstanceTasks.from_code(self.task_id)

    @property
    def service_status(self):
        if self.service_status_id is None:
            return ServiceStatuses.UNKNOWN
        return ServiceStatuses.from_code(self.service_status_id)


_I = models.Instance.__table__
_S = models.InstanceServiceStatus.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_F = models.InstanceFault.__table__
_C = models.Configuration.__table__

_RECORD_COLUMNS = (
    _I.c.id, _I.c.name, _I.c.tenant_id, _I.c.created, _I.c.updated,
    _I.c.flavor_id, _I.c.volume_size, _I.c.region_id, _I.c.task_id,
    _I.c.server_status, _I.c.addresses, _I.c.compute_instance_id,
    _I.c.volume_id, _I.c.datastore_version_id,
    _S.c.status_id.label('service_status_id'),
    _S.c.updated_at.label('service_status_updated'),
    _I.c.configuration_id,
    _C.c.name.label('configuration_name'),
    _I.c.encrypted_key.is_not(None).label('encrypted_rpc_messaging'),
)

# Rows become InstanceRecords positionally (then the datastore names):
# keep the orders in step.
assert [column.key for column in _RECORD_COLUMNS] == [
    field.name for field in dataclasses.fields(InstanceRecord)][
    :len(_RECORD_COLUMNS)]

_RECORD_FROM = (_I.outerjoin(_S, _S.c.instance_id == _I.c.id)
                .outerjoin(_C, _C.c.id == _I.c.configuration_id))


class _VersionNames:
    """Datastore version id -> (datastore name, version name, version
    number, manager), for the instance views without two joins and four
    columns per row. Read whole, again when an unknown id turns up or the
    copy is older than CATALOGUE_TTL (a renamed version shows its new
    name within that time)."""

    CATALOGUE_TTL = 30.0
    UNKNOWN = (None, None, None, None)

    def __init__(self):
        self._names = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    def _read(self):
        query = sa.select(_V.c.id, _D.c.name, _V.c.name, _V.c.version,
                          _V.c.manager).select_from(
            _V.outerjoin(_D, _D.c.id == _V.c.datastore_id))
        with get_engine(autocommit=True).connect() as conn:
            self._names = {row[0]: tuple(row[1:])
                           for row in conn.execute(query)}
        self._read_at = time.monotonic()

    def of(self, version_id):
        with self._lock:
            stale = time.monotonic() - self._read_at > self.CATALOGUE_TTL
            if stale or version_id not in self._names:
                self._read()
            return self._names.get(version_id, self.UNKNOWN)


_VERSION_NAMES = _VersionNames()


_VERSION_FIELD = [column.key for column in _RECORD_COLUMNS].index(
    'datastore_version_id')


def _record(row):
    return InstanceRecord(*row, *_VERSION_NAMES.of(row[_VERSION_FIELD]))


# The list query is built once: executing a prepared statement skips the
# construction and most of the cache-key work on every request. Each row
# comes back as one JSON array: PyMySQL decodes every column of every row
# in Python, the json module decodes a whole row in C (a page costs about
# half as much to read).
_LIST_PAGE = (sa.select(sa.func.json_array(*_RECORD_COLUMNS,
                                           type_=sa.String))
              .select_from(_RECORD_FROM)
              .where(_I.c.tenant_id == sa.bindparam('tenant_id'),
                     _I.c.deleted.is_(False),
                     _I.c.id > sa.bindparam('marker'))
              .order_by(_I.c.id).limit(sa.bindparam('rows')))

_DATETIME_FIELDS = [index for index, column in enumerate(_RECORD_COLUMNS)
                    if isinstance(column.type, sa.DateTime)]
_ADDRESSES_FIELD = [column.key for column in _RECORD_COLUMNS].index(
    'addresses')


def _record_from_json(document):
    """An InstanceRecord from a row packed by JSON_ARRAY: datetimes come
    as text, and a JSON column as text where the database (SQLite) does
    not embed it."""
    values = json.loads(document)
    for index in _DATETIME_FIELDS:
        if values[index] is not None:
            values[index] = datetime.datetime.fromisoformat(values[index])
    if isinstance(values[_ADDRESSES_FIELD], str):
        values[_ADDRESSES_FIELD] = json.loads(values[_ADDRESSES_FIELD])
    return _record(values)


@retry_once_on_disconnect
def instance_list(tenant_id, limit, marker=None):
    """One page of a project's instances ordered by id, plus whether
    another page follows (Trove pages by id, then shows newest first)."""
    with get_engine(autocommit=True).connect() as conn:
        rows = conn.execute(_LIST_PAGE, {'tenant_id': tenant_id,
                                         'marker': marker or '',
                                         'rows': limit + 1}).all()
    records = [_record_from_json(row[0]) for row in rows[:limit]]
    return records, len(rows) > limit


@retry_once_on_disconnect
def instance_get(instance_id, tenant_id=None):
    """An undeleted instance with its status and latest fault, or
    InstanceNotFound. ``tenant_id`` limits the lookup to one project."""
    if not is_uuid(instance_id):
        raise exceptions.InstanceNotFound(uuid=instance_id)
    query = (sa.select(*_RECORD_COLUMNS).select_from(_RECORD_FROM)
             .where(_I.c.id == instance_id, _I.c.deleted.is_(False)))
    if tenant_id is not None:
        query = query.where(_I.c.tenant_id == tenant_id)
    fault_query = (sa.select(_F.c.message, _F.c.details, _F.c.created)
                   .where(_F.c.instance_id == instance_id,
                          _F.c.deleted.is_(False))
                   .order_by(_F.c.created.desc()).limit(1))
    with get_engine(autocommit=True).connect() as conn:
        row = conn.execute(query).first()
        if row is None:
            raise exceptions.InstanceNotFound(uuid=instance_id)
        record = _record(row)
        if record.task.is_error:
            fault = conn.execute(fault_query).first()
            if fault is not None:
                record.fault_message, record.fault_details, \
                    record.fault_created = fault
    return record


def instance_create(values, usage=None):
    """Insert the instance (task BUILDING) and its service status (NEW) in
    one transaction; returns the instance row. ``usage``, a
    quota.UsageChange, is checked and added in the same transaction
    (QuotaExceeded leaves nothing behind). A ``configuration_id`` among
    the values must name a group that is not deleted meanwhile
    (ConfigurationNotFound)."""
    now = models.utcnow()
    instance = models.Instance(
        id=values.pop('id', None) or new_id(), created=now, updated=now,
        task_id=InstanceTasks.BUILDING.code,
        task_description=InstanceTasks.BUILDING.description,
        task_start_time=now, server_status='BUILD', **values)
    status = models.InstanceServiceStatus(
        id=new_id(), instance_id=instance.id,
        status_id=ServiceStatuses.NEW.code,
        status_description=ServiceStatuses.NEW.description,
        created_at=now, updated_at=now)
    if usage is not None:
        _ensure_usage_rows(usage.project_id, list(usage.deltas))
    with session() as s, s.begin():
        if instance.configuration_id is not None:
            _lock_configuration(s.connection(), instance.configuration_id)
        if usage is not None:
            _apply_usage(s.connection(), usage)
        s.add(instance)
        s.flush()
        s.add(status)
    return instance


def instance_update(instance_id, **values):
    """Update columns of an instance; ``task`` sets the task status."""
    task = values.pop('task', None)
    if task is not None:
        values.update(task_id=task.code, task_description=task.description,
                      task_start_time=models.utcnow())
    values['updated'] = models.utcnow()
    with get_engine().begin() as conn:
        conn.execute(_I.update().where(_I.c.id == instance_id)
                     .values(**values))


def instance_set_task_if(instance_id, expected_tasks, task, usage=None,
                         **values):
    """Set the task only if the current one is among ``expected_tasks``;
    returns whether it was set (guards against racing actions). When it is
    set, ``usage`` (a quota.UsageChange) is applied in the same
    transaction."""
    values.update(task_id=task.code, task_description=task.description,
                  task_start_time=models.utcnow(), updated=models.utcnow())
    if usage is not None:
        _ensure_usage_rows(usage.project_id, list(usage.deltas))
    with get_engine().begin() as conn:
        result = conn.execute(
            _I.update().where(_I.c.id == instance_id,
                              _I.c.deleted.is_(False),
                              _I.c.task_id.in_([t.code for t in
                                                expected_tasks]))
            .values(**values))
        if result.rowcount == 1 and usage is not None:
            _apply_usage(conn, usage)
    return result.rowcount == 1


def instance_soft_delete(instance_id):
    now = models.utcnow()
    with get_engine().begin() as conn:
        conn.execute(_I.update().where(_I.c.id == instance_id).values(
            deleted=True, deleted_at=now, updated=now,
            task_id=InstanceTasks.NONE.code,
            task_description=InstanceTasks.NONE.description,
            server_status='DELETED'))
        conn.execute(_S.update().where(_S.c.instance_id == instance_id)
                     .values(status_id=ServiceStatuses.DELETED.code,
                             status_description=ServiceStatuses.DELETED.
                             description, updated_at=now))
        conn.execute(_F.update().where(_F.c.instance_id == instance_id)
                     .values(deleted=True))


def instances_with_tasks(tasks):
    """Undeleted instances whose task is one of ``tasks`` (for
    reconciliation after a restart)."""
    with session() as s:
        return list(s.scalars(sa.select(models.Instance).where(
            models.Instance.deleted.is_(False),
            models.Instance.task_id.in_([t.code for t in tasks]))))


def instance_row(instance_id, include_deleted=False):
    """The raw instance row, or None."""
    with session() as s:
        row = s.get(models.Instance, instance_id)
    if row is None or (row.deleted and not include_deleted):
        return None
    return row


@retry_once_on_disconnect
def instance_encrypted_key(instance_id):
    """(found, key) of an instance, deleted ones included: its guest may
    still report while it is deleted."""
    with get_engine(autocommit=True).connect() as conn:
        row = conn.execute(sa.select(_I.c.encrypted_key).where(
            _I.c.id == instance_id)).first()
    return (False, None) if row is None else (True, row[0])


def fault_add(instance_id, message, details=None, task=None, **values):
    """Record why an instance failed; with ``task`` (and other instance
    ``values``), update the instance in the same transaction, so nobody
    sees ERROR without its reason."""
    now = models.utcnow()
    with get_engine().begin() as conn:
        conn.execute(_F.insert().values(
            id=new_id(), instance_id=instance_id, message=message[:255],
            details=details, created=now, deleted=False))
        if task is not None:
            values.update(task_id=task.code,
                          task_description=task.description,
                          task_start_time=now)
        if values:
            conn.execute(_I.update().where(_I.c.id == instance_id).values(
                updated=now, **values))


# --- Service status and the conductor's lastseen guard ---------------------

@retry_once_on_disconnect
def service_status_get(instance_id):
    with get_engine(autocommit=True).connect() as conn:
        row = conn.execute(sa.select(_S.c.status_id).where(
            _S.c.instance_id == instance_id)).first()
    return None if row is None else ServiceStatuses.from_code(row[0])


def service_status_set(instance_id, status):
    """Set the service status outside of a heartbeat (taskmanager/API)."""
    with get_engine().begin() as conn:
        conn.execute(_S.update().where(_S.c.instance_id == instance_id)
                     .values(status_id=status.code,
                             status_description=status.description,
                             updated_at=models.utcnow()))


_L = models.ConductorLastSeen.__table__


def _claim_lastseen(conn, instance_id, method, sent):
    """Record ``sent`` as the newest message of (instance, method); False
    when a message at least as new was already seen. Runs inside the
    caller's transaction, whose row lock orders racing workers."""
    newer = conn.execute(
        _L.update().where(_L.c.instance_id == instance_id,
                          _L.c.method_name == method, _L.c.sent < sent)
        .values(sent=sent))
    if newer.rowcount:
        return True
    # No row yet, or one at least as new: only a first message inserts.
    first = conn.execute(
        _insert_ignore(_L).values(instance_id=instance_id,
                                  method_name=method, sent=sent))
    return bool(first.rowcount)


def apply_heartbeat(instance_id, status, sent):
    """Apply a guest heartbeat atomically. Returns ``(applied, changed)``:
    applied is False for a stale message or an unknown/deleted instance
    (then nothing is written); changed is True when the status itself
    changed, not just its timestamp."""
    now = models.utcnow()
    engine = get_engine()
    if sent is not None and engine.dialect.name == 'mysql' and \
            _refresh_unchanged(instance_id, status, sent, now):
        return True, False
    live = sa.exists().where(_I.c.id == _S.c.instance_id,
                             _I.c.deleted.is_(False))
    mine = (_S.c.instance_id == instance_id, live)
    with engine.connect() as conn, conn.begin() as transaction:
        if sent is not None and not _claim_lastseen(conn, instance_id,
                                                    'heartbeat', sent):
            return False, False
        changed = 0
        if status is not None:
            # A restart-required mark stays until a restart clears it.
            changed = conn.execute(
                _S.update().where(
                    *mine, _S.c.status_id != status.code,
                    _S.c.status_id != ServiceStatuses.RESTART_REQUIRED.code)
                .values(status_id=status.code,
                        status_description=status.description,
                        updated_at=now)).rowcount
        matched = changed or conn.execute(
            _S.update().where(*mine).values(updated_at=now)).rowcount
        if not matched:
            transaction.rollback()  # unknown or deleted: leave no trace
            return False, False
    return True, bool(changed)


@retry_once_on_disconnect
def _refresh_unchanged(instance_id, status, sent, now):
    """The common heartbeat (a live instance, a newer ``sent``, the status
    unchanged) in one autocommitted multiple-table UPDATE: the guard and
    the refresh lock the same rows, so racing heartbeats stay ordered.
    False means the full path must decide (first heartbeat, a change, a
    stale or unknown report)."""
    conditions = [_S.c.instance_id == instance_id,
                  _L.c.instance_id == _S.c.instance_id,
                  _L.c.method_name == 'heartbeat', _L.c.sent < sent,
                  _I.c.id == _S.c.instance_id, _I.c.deleted.is_(False)]
    if status is not None:
        conditions.append(_S.c.status_id == status.code)
    statement = _S.update().where(*conditions).values(
        {_S.c.updated_at: now, _L.c.sent: sent})
    with get_engine(autocommit=True).connect() as conn:
        return conn.execute(statement).rowcount > 0


def lastseen_delete(instance_id):
    with get_engine().begin() as conn:
        conn.execute(_L.delete().where(_L.c.instance_id == instance_id))


# --- Quotas ------------------------------------------------------------------

_Q = models.Quota.__table__
_U = models.QuotaUsage.__table__


@retry_once_on_disconnect
def quota_limits(tenant_id):
    """The hard limits an admin set for a project: {resource: limit}."""
    with get_engine(autocommit=True).connect() as conn:
        return dict(conn.execute(sa.select(_Q.c.resource, _Q.c.hard_limit)
                                 .where(_Q.c.tenant_id == tenant_id)).all())


def quota_limits_set(tenant_id, limits):
    """Set several hard limits of a project in one transaction."""
    now = models.utcnow()
    with get_engine().begin() as conn:
        for resource, hard_limit in limits.items():
            mine = (_Q.c.tenant_id == tenant_id, _Q.c.resource == resource)
            if conn.execute(_Q.update().where(*mine).values(
                    hard_limit=hard_limit, updated=now)).rowcount:
                continue
            inserted = conn.execute(
                _insert_ignore(_Q).values(
                    id=new_id(), created=now, updated=now,
                    tenant_id=tenant_id, resource=resource,
                    hard_limit=hard_limit)).rowcount
            if not inserted:  # a concurrent request inserted it first
                conn.execute(_Q.update().where(*mine).values(
                    hard_limit=hard_limit, updated=now))


@retry_once_on_disconnect
def quota_usages(tenant_id):
    """What a project uses: {resource: in_use} (missing: nothing)."""
    with get_engine(autocommit=True).connect() as conn:
        return dict(conn.execute(sa.select(_U.c.resource, _U.c.in_use)
                                 .where(_U.c.tenant_id == tenant_id)).all())


def _ensure_usage_rows(tenant_id, resources):
    """Create the project's missing usage rows, in a transaction of their
    own: the locking transaction that follows then only locks rows that
    exist (inserting there could deadlock racing first requests)."""
    with get_engine().begin() as conn:
        present = set(conn.execute(sa.select(_U.c.resource).where(
            _U.c.tenant_id == tenant_id,
            _U.c.resource.in_(resources))).scalars())
        now = models.utcnow()
        for resource in sorted(set(resources) - present):
            conn.execute(_insert_ignore(_U).values(
                id=new_id(), created=now, updated=now, tenant_id=tenant_id,
                resource=resource, in_use=0))


def usage_apply(change):
    """Apply a quota.UsageChange on its own (a refund)."""
    _ensure_usage_rows(change.project_id, list(change.deltas))
    with get_engine().begin() as conn:
        _apply_usage(conn, change)


def _apply_usage(conn, change):
    """Apply a quota.UsageChange inside the caller's transaction. The
    project's usage rows stay locked until it ends, so racing requests
    check and add one after the other; QuotaExceeded rolls it back."""
    locked = conn.execute(
        sa.select(_U.c.resource, _U.c.in_use)
        .where(_U.c.tenant_id == change.project_id,
               _U.c.resource.in_(sorted(change.deltas)))
        .order_by(_U.c.resource).with_for_update()).all()
    in_use = dict(locked)
    if change.limits is not None:
        over = sorted(resource for resource, amount in change.deltas.items()
                      if amount > 0 and change.limits[resource] >= 0 and
                      in_use[resource] + amount > change.limits[resource])
        if over:
            raise exceptions.QuotaExceeded(overs=over)
    now = models.utcnow()
    for resource, amount in sorted(change.deltas.items()):
        conn.execute(_U.update().where(
            _U.c.tenant_id == change.project_id, _U.c.resource == resource)
            .values(in_use=max(0, in_use[resource] + amount), updated=now))


@retry_once_on_disconnect
def heartbeat_lastseen(instance_id):
    """The guest clock stamp of the newest heartbeat applied, or None."""
    with get_engine(autocommit=True).connect() as conn:
        return conn.execute(sa.select(_L.c.sent).where(
            _L.c.instance_id == instance_id,
            _L.c.method_name == 'heartbeat')).scalar()


def instance_reset_status(instance_id):
    """Trove's reset_status: no task, and the guest's status unknown until
    its next heartbeat says otherwise."""
    now = models.utcnow()
    with get_engine().begin() as conn:
        conn.execute(_I.update().where(_I.c.id == instance_id).values(
            task_id=InstanceTasks.NONE.code,
            task_description=InstanceTasks.NONE.description,
            task_start_time=now, updated=now))
        conn.execute(_S.update().where(_S.c.instance_id == instance_id)
                     .values(status_id=ServiceStatuses.UNKNOWN.code,
                             status_description=ServiceStatuses.UNKNOWN.
                             description, updated_at=now))


# --- Root-enabled history ---------------------------------------------------

_R = models.RootEnabledHistory.__table__


@retry_once_on_disconnect
def root_enabled(instance_id):
    """Whether root was enabled and not disabled since (Trove decides
    this from the history, not by asking the guest)."""
    with get_engine(autocommit=True).connect() as conn:
        row = conn.execute(sa.select(_R.c.created, _R.c.deleted_at).where(
            _R.c.id == instance_id)).first()
    return row is not None and not (row.deleted_at
                                    and row.deleted_at >= row.created)


def root_history_record(instance_id, user):
    """Record that ``user`` enabled root now; an enable while root is
    already enabled keeps the first record, as Trove does. Racing first
    enables insert one row: the others find it (no IntegrityError)."""
    values = dict(user=user, created=models.utcnow(), deleted_at=None)
    # Two transactions: the shared lock an ignored insert takes on the row
    # would deadlock racing enables that then update it.
    with get_engine().begin() as conn:
        if conn.execute(_insert_ignore(_R).values(
                id=instance_id, **values)).rowcount:
            return
    # Enabled again only if disabled since (root_enabled's rule), in one
    # statement: of racing enables, the first one stays.
    with get_engine().begin() as conn:
        conn.execute(_R.update().where(
            _R.c.id == instance_id, _R.c.deleted_at.is_not(None),
            _R.c.deleted_at >= _R.c.created).values(**values))


def root_history_disable(instance_id):
    with get_engine().begin() as conn:
        conn.execute(_R.update().where(_R.c.id == instance_id)
                     .values(deleted_at=models.utcnow()))


# --- Configuration parameters (the catalogue of each datastore version) ----

_P = models.DatastoreConfigurationParameter.__table__


def parameter_list(version_id):
    """The catalogue rows of a datastore version, by name."""
    with session() as s:
        return list(s.scalars(
            sa.select(models.DatastoreConfigurationParameter)
            .where(models.DatastoreConfigurationParameter
                   .datastore_version_id == version_id)
            .order_by(models.DatastoreConfigurationParameter.name)))


def _parameter_named(s, version_id, name):
    """One catalogue row by name (in any case) in session ``s``, or
    None."""
    return s.scalars(sa.select(models.DatastoreConfigurationParameter)
                     .where(_P.c.datastore_version_id == version_id,
                            sa.func.lower(_P.c.name) == name.lower())
                     ).first()


def parameter_get(version_id, name):
    """One catalogue row by name (in any case), or None."""
    with session() as s:
        return _parameter_named(s, version_id, name)


def parameter_create(version_id, values):
    """Add a parameter (``values``: the row's columns) to a version's
    catalogue; ConfigurationParameterAlreadyExists when it has one of
    that name."""
    row = models.DatastoreConfigurationParameter(
        id=new_id(), datastore_version_id=version_id, **values)
    try:
        with session() as s, s.begin():
            s.add(row)
    except sa.exc.IntegrityError:
        raise exceptions.ConfigurationParameterAlreadyExists(
            parameter_name=values['name'],
            datastore_version=version_id) from None
    return row


def parameter_update(version_id, name, values):
    """Change a parameter of a version's catalogue; the row, or None
    when there is none of that name."""
    with session() as s, s.begin():
        row = _parameter_named(s, version_id, name)
        if row is None:
            return None
        for key, value in values.items():
            setattr(row, key, value)
        return row


def parameter_delete(version_id, name):
    """Remove a parameter from a version's catalogue; whether there was
    one."""
    with get_engine().begin() as conn:
        return conn.execute(_P.delete().where(
            _P.c.datastore_version_id == version_id,
            sa.func.lower(_P.c.name) == name.lower())).rowcount > 0


def parameters_load(version_id, rows):
    """Create or update many parameters of a version (``rows``: their
    columns) in one transaction; returns (created, updated) counts.
    Parameters not among them stay as they are."""
    created = updated = 0
    with session() as s, s.begin():
        existing = {row.name: row for row in s.scalars(
            sa.select(models.DatastoreConfigurationParameter).where(
                _P.c.datastore_version_id == version_id))}
        for values in rows:
            row = existing.get(values['name'])
            if row is None:
                s.add(models.DatastoreConfigurationParameter(
                    id=new_id(), datastore_version_id=version_id,
                    **values))
                created += 1
            else:
                for key, value in values.items():
                    setattr(row, key, value)
                updated += 1
    return created, updated


# --- Configuration groups ----------------------------------------------------

_CV = models.ConfigurationValue.__table__


@dataclasses.dataclass
class ConfigurationRecord:
    """A configuration group with the names its views show."""

    id: str
    name: str
    description: str | None
    tenant_id: str
    datastore_version_id: str
    created: datetime.datetime
    updated: datetime.datetime
    datastore_name: str
    datastore_version_name: str
    datastore_version_number: str | None


_CONFIGURATION_COLUMNS = (
    _C.c.id, _C.c.name, _C.c.description, _C.c.tenant_id,
    _C.c.datastore_version_id, _C.c.created, _C.c.updated,
    _D.c.name.label('datastore_name'),
    _V.c.name.label('datastore_version_name'),
    _V.c.version.label('datastore_version_number'),
)
_CONFIGURATION_FROM = (_C.join(_V, _V.c.id == _C.c.datastore_version_id)
                       .join(_D, _D.c.id == _V.c.datastore_id))


def _configurations(conn, *conditions, limit=None):
    query = (sa.select(*_CONFIGURATION_COLUMNS)
             .select_from(_CONFIGURATION_FROM)
             .where(_C.c.deleted.is_(False), *conditions)
             .order_by(_C.c.id))
    if limit is not None:
        query = query.limit(limit)
    return [ConfigurationRecord(*row) for row in conn.execute(query)]


def _value_rows(configuration_id, values):
    return [{'configuration_id': configuration_id, 'configuration_key': key,
             'configuration_value': json.dumps(value)}
            for key, value in values.items()]


def configuration_create(tenant_id, name, description, version_id, values):
    """A new group with its values (one transaction); its record."""
    now = models.utcnow()
    configuration_id = new_id()
    with get_engine().begin() as conn:
        conn.execute(_C.insert().values(
            id=configuration_id, name=name, description=description,
            tenant_id=tenant_id, datastore_version_id=version_id,
            deleted=False, created=now, updated=now))
        if values:
            conn.execute(_CV.insert(), _value_rows(configuration_id, values))
    return configuration_get(configuration_id)


@retry_once_on_disconnect
def configuration_get(configuration_id, tenant_id=None):
    """An undeleted group (of ``tenant_id`` when given), or
    ConfigurationNotFound."""
    conditions = [_C.c.id == configuration_id]
    if tenant_id is not None:
        conditions.append(_C.c.tenant_id == tenant_id)
    with get_engine(autocommit=True).connect() as conn:
        found = _configurations(conn, *conditions)
    if not found:
        raise exceptions.ConfigurationNotFound(uuid=configuration_id)
    return found[0]


@retry_once_on_disconnect
def configuration_list(tenant_id, limit, marker=None):
    """One page of groups ordered by id (every project's when
    ``tenant_id`` is None), plus whether another page follows."""
    conditions = [_C.c.id > (marker or '')]
    if tenant_id is not None:
        conditions.append(_C.c.tenant_id == tenant_id)
    with get_engine(autocommit=True).connect() as conn:
        records = _configurations(conn, *conditions, limit=limit + 1)
    return records[:limit], len(records) > limit


def _values_of(conn, configuration_id):
    rows = conn.execute(sa.select(_CV.c.configuration_key,
                                  _CV.c.configuration_value)
                        .where(_CV.c.configuration_id == configuration_id)
                        .order_by(_CV.c.configuration_key)).all()
    return {key: json.loads(value) for key, value in rows}


@retry_once_on_disconnect
def configuration_values(configuration_id):
    """A group's values, {name: value}."""
    with get_engine(autocommit=True).connect() as conn:
        return _values_of(conn, configuration_id)


def configuration_update(configuration_id, values, replace, **columns):
    """Change a group in one transaction: its values (with ``replace``
    they become ``values``, else ``values`` are merged into them) and any
    ``name``/``description``. Returns (old values, new values)."""
    with get_engine().begin() as conn:
        _lock_configuration(conn, configuration_id)
        old = _values_of(conn, configuration_id)
        new = dict(values) if replace else {**old, **values}
        conn.execute(_C.update().where(_C.c.id == configuration_id)
                     .values(updated=models.utcnow(), **columns))
        conn.execute(_CV.delete().where(
            _CV.c.configuration_id == configuration_id))
        if new:
            conn.execute(_CV.insert(), _value_rows(configuration_id, new))
    return old, new


def _lock_configuration(conn, configuration_id):
    """Lock an undeleted group's row until the transaction ends (attaching
    and deleting take this lock, so neither misses the other), or raise
    ConfigurationNotFound."""
    found = conn.execute(sa.select(_C.c.id).where(
        _C.c.id == configuration_id, _C.c.deleted.is_(False))
        .with_for_update()).first()
    if found is None:
        raise exceptions.ConfigurationNotFound(uuid=configuration_id)


def configuration_delete(configuration_id):
    """Delete a group that no instance uses (soft delete, as Trove);
    InstanceAssignedToConfiguration while one does."""
    now = models.utcnow()
    with get_engine().begin() as conn:
        _lock_configuration(conn, configuration_id)
        attached = conn.execute(sa.select(sa.func.count()).where(
            *_attached(configuration_id, None))).scalar()
        if attached:
            raise exceptions.InstanceAssignedToConfiguration()
        conn.execute(_CV.delete().where(
            _CV.c.configuration_id == configuration_id))
        conn.execute(_C.update().where(_C.c.id == configuration_id)
                     .values(deleted=True, deleted_at=now, updated=now))


def _attached(configuration_id, tenant_id):
    conditions = [_I.c.configuration_id == configuration_id,
                  _I.c.deleted.is_(False)]
    if tenant_id is not None:
        conditions.append(_I.c.tenant_id == tenant_id)
    return conditions


@retry_once_on_disconnect
def configuration_instance_count(configuration_id, tenant_id=None):
    with get_engine(autocommit=True).connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(
            *_attached(configuration_id, tenant_id))).scalar()


@retry_once_on_disconnect
def configuration_instances(configuration_id, tenant_id, limit,
                            marker=None):
    """One page of the instances a group is attached to, (id, name) by
    id, plus whether another page follows."""
    with get_engine(autocommit=True).connect() as conn:
        rows = conn.execute(
            sa.select(_I.c.id, _I.c.name)
            .where(*_attached(configuration_id, tenant_id),
                   _I.c.id > (marker or ''))
            .order_by(_I.c.id).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


@retry_once_on_disconnect
def configuration_attached_records(configuration_id):
    """Every undeleted instance a group is attached to, as
    InstanceRecords."""
    with get_engine(autocommit=True).connect() as conn:
        rows = conn.execute(
            sa.select(*_RECORD_COLUMNS).select_from(_RECORD_FROM)
            .where(*_attached(configuration_id, None))
            .order_by(_I.c.id)).all()
    return [_record(row) for row in rows]


def instance_attach_configuration(instance_id, configuration_id,
                                  expected_tasks):
    """Attach a group to an instance that has none and whose task is
    among ``expected_tasks``; whether it was attached. The group must not
    be deleted meanwhile (ConfigurationNotFound)."""
    with get_engine().begin() as conn:
        _lock_configuration(conn, configuration_id)
        return conn.execute(_I.update().where(
            _I.c.id == instance_id, _I.c.deleted.is_(False),
            _I.c.configuration_id.is_(None),
            _I.c.task_id.in_([task.code for task in expected_tasks]))
            .values(configuration_id=configuration_id,
                    updated=models.utcnow())).rowcount == 1


def instance_detach_configuration(instance_id, configuration_id):
    """Detach ``configuration_id`` from an instance if it is still the
    attached group; whether it was."""
    with get_engine().begin() as conn:
        return conn.execute(_I.update().where(
            _I.c.id == instance_id,
            _I.c.configuration_id == configuration_id)
            .values(configuration_id=None,
                    updated=models.utcnow())).rowcount == 1


@retry_once_on_disconnect
def instance_overrides(instance_id):
    """The values of the group attached to an instance ({} when none):
    what its guest's server settings must hold."""
    with get_engine(autocommit=True).connect() as conn:
        rows = conn.execute(
            sa.select(_CV.c.configuration_key, _CV.c.configuration_value)
            .select_from(_I.join(_CV, _CV.c.configuration_id ==
                                 _I.c.configuration_id))
            .where(_I.c.id == instance_id)).all()
    return {key: json.loads(value) for key, value in rows}
