"""Replication at the API: what a request for new replicas must satisfy,
and detaching a replica (``PATCH`` with ``replica_of`` or ``slave_of``
empty). The taskmanager does the work (taskmanager/replicas.py)."""

import logging

from oslo_utils import timeutils

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.conf import CONF
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replicas
from trove_lite.records import status as instance_status
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi

LOG = logging.getLogger(__name__)

# Datastore managers that replicate.
REPLICATING_MANAGERS = ('mysql', 'mariadb')


def _effective_status(record):
    """The guest's status, failed once its heartbeat expired."""
    return instance_status.effective_service_status(
        record.task, record.service_status, record.service_status_updated,
        timeutils.utcnow(), CONF.agent_heartbeat_expiry)


def _refuse_if_busy(record):
    """Trove's action gate on the source: idle, its guest running."""
    service = _effective_status(record)
    refusal = instance_status.action_refusal(
        record.task, record.server_status, service,
        instance_status.ACTION_ALLOWED_SERVICE)
    if refusal is not None:
        raise exceptions.InstanceBusy(instance_id=record.id,
                                      status_type=refusal[0],
                                      status=refusal[1])


def check_new_replicas(context, request):
    """The source of the replicas a create request asks for (None: the
    request asks for none), checked: of the caller's own project (an
    admin too: the replicas are charged there and are built from its
    data), itself no replica, running and idle, with room for
    ``replica_count`` more under ``max_replicas_per_instance``. A replica
    takes its data, users and datastore from its source, so a request
    naming those is refused."""
    if request.replica_of is None:
        if request.replica_count is not None:
            raise exceptions.BadRequest(
                'replica_count is only allowed with replica_of.')
        return None
    for given, what in ((request.backup_id or request.restore_instance_id,
                         'restorePoint'),
                        (request.databases, 'databases'),
                        (request.users, 'users'),
                        (request.backup_policy, 'backup_policy')):
        if given:
            raise exceptions.BadRequest(
                f'A replica takes its data from its source: {what} is not '
                f'allowed with replica_of.')
    source = db.read(instances.get, request.replica_of,
                     policy.visible_projects(context, context.project_id))
    if source.tenant_id != context.project_id:
        raise exceptions.InstanceNotFound(uuid=request.replica_of)
    if source.datastore_manager not in REPLICATING_MANAGERS:
        raise exceptions.DatastoreOperationUnsupported(
            manager=source.datastore_manager)
    if source.slave_of_id is not None:
        raise exceptions.BadRequest(
            f'Cannot create a replica of a replica {source.id}.')
    _refuse_if_busy(source)
    check_room(db.read(replicas.replica_ids, source.id), source.id,
               count(request))
    return source


def count(request):
    return request.replica_count or 1


def check_room(existing, source_id, more):
    """BadRequest unless ``more`` replicas fit beside ``existing``."""
    limit = CONF.max_replicas_per_instance
    if len(existing) + more > limit:
        raise exceptions.BadRequest(
            f'Instance {source_id} has {len(existing)} replicas; '
            f'{more} more would exceed max_replicas_per_instance '
            f'({limit}).')


def lock_source(tx, source_id, more):
    """In the create's transaction: the source is still there, not being
    deleted, and still has room (two requests racing for the last places
    are serialised here)."""
    replicas.lock_source(tx, source_id)
    current = instances.get(tx, source_id)
    if current.task == InstanceTasks.DELETING:
        raise exceptions.InstanceNotFound(uuid=source_id)
    check_room(replicas.replica_ids(tx, source_id), source_id, more)


def check_no_replicas(tx, record):
    """A source with replicas is not deleted (Trove's 400)."""
    found = replicas.replica_ids(tx, record.id)
    if found:
        raise exceptions.BadRequest(
            f'Instance {record.id} is the replication source of '
            f'{", ".join(found)}: detach or delete its replicas first.')


def detach(context, record):
    """Detach a replica (a record from instance_api.get) from its source:
    it becomes a standalone, writable instance."""
    if record.slave_of_id is None:
        raise exceptions.BadRequest(f'Instance {record.id} is not a '
                                    f'replica.')
    _refuse_if_busy(record)
    with db.transaction() as tx:
        if not instances.set_task_if(tx, record.id,
                                     instance_status.IDLE_TASKS,
                                     InstanceTasks.DETACHING):
            current = instances.get(tx, record.id)
            raise exceptions.InstanceBusy(instance_id=record.id,
                                          status_type='task',
                                          status=current.task.action)
    LOG.info('Detaching replica %s from %s', record.id, record.slave_of_id)
    taskmanager_rpcapi.API(record.host).detach_replica(context, record.id)


def _set_of(record):
    """(source, [its replicas]) of the replication set of the replica
    ``record``."""
    if record.slave_of_id is None:
        raise exceptions.BadRequest(f'Instance {record.id} is not a '
                                    f'replica.')
    source = db.read(instances.get, record.slave_of_id)
    return source, [db.read(instances.get, replica_id) for replica_id
                    in db.read(replicas.replica_ids, source.id)]


def _start_on_set(members, task):
    """Set ``task`` on every member, all idle, or on none (422)."""
    with db.transaction() as tx:
        for member in members:
            if not instances.set_task_if(tx, member.id,
                                         instance_status.IDLE_TASKS, task):
                current = instances.get(tx, member.id)
                raise exceptions.InstanceBusy(instance_id=member.id,
                                              status_type='task',
                                              status=current.task.action)


def promote(context, record):
    """Trove's promote_to_replica_source on the replica ``record``: every
    member of its set must be running and idle; all are PROMOTING until
    the taskmanager has switched the source over."""
    source, members = _set_of(record)
    for member in [source] + members:
        _refuse_if_busy(member)
    _start_on_set([source] + members, InstanceTasks.PROMOTING)
    LOG.info('Promoting replica %s in place of %s', record.id, source.id)
    taskmanager_rpcapi.API(record.host).promote_to_replica_source(
        context, record.id)


def eject(context, record):
    """Trove's eject_replica_source on the replica ``record``: its source
    must have stopped responding (its heartbeat expired; 400 otherwise,
    promote instead), its replicas must be running and idle; they are
    EJECTING until the most advanced one is the source."""
    source, members = _set_of(record)
    if _effective_status(source) in instance_status.DATASTORE_RUNNING:
        raise exceptions.BadRequest(
            f'The replication source {source.id} is still responding: '
            f'promote a replica instead.')
    for member in members:
        _refuse_if_busy(member)
    _start_on_set(members, InstanceTasks.EJECTING)
    LOG.info('Ejecting the replication source %s (asked on %s)', source.id,
             record.id)
    taskmanager_rpcapi.API(record.host).eject_replica_source(context,
                                                             record.id)


def set_automatic_failover(context, record, automatic):
    """trove-lite's ``failover``: turn automatic failover of the instance
    (as a source) on or off."""
    if record.datastore_manager not in REPLICATING_MANAGERS:
        raise exceptions.DatastoreOperationUnsupported(
            manager=record.datastore_manager)
    with db.transaction() as tx:
        replicas.set_automatic_failover(tx, record.id, automatic)
