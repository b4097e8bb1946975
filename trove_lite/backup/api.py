"""The internal backup API: the REST controllers create, find, list and
delete backups here, and the taskmanager, conductor and housekeeping end
them here.

A backup's life: the API writes it NEW, charges the project's ``backups``
quota and sets the instance's task BACKUP in one transaction, then casts
``create_backup`` to the taskmanager, which records where the backup goes
and casts to the guest. The guest streams it to the backup storage and
reports BUILDING, then COMPLETED or FAILED, through the conductor
(``update_backup``). ``end`` is the one way out of a running backup: it
sets the final state, gives the quota back for a failed one and frees the
instance, in one transaction.
"""

import dataclasses
import logging

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.conf import CONF
from trove_lite.db.repositories import backups
from trove_lite.db.repositories import instances
from trove_lite.instance import actions as instance_actions
from trove_lite.instance import api as instance_api
from trove_lite.quota import api as quota
from trove_lite.records import backup as backup_records
from trove_lite.records import status as instance_status
from trove_lite.records.backup import BackupState
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi
from trove_lite.storage import base as storage_base

LOG = logging.getLogger(__name__)

FULL = 'full'
INCREMENTAL = 'incremental'
#: ``storage_driver`` of a backup taken as a snapshot of the instance's
#: volume (``records.backup.VOLUME_SCHEME`` locations) instead of a mariabackup
#: stream into the object storage.
VOLUME_DRIVER = 'cinder'


@dataclasses.dataclass
class CreateRequest:
    """A validated ``POST /backups`` body."""

    name: str
    instance_id: str
    description: str | None = None
    parent_id: str | None = None
    incremental: bool = False
    swift_container: str | None = None
    storage_driver: str | None = None
    # Taken by the instance's backup policy (expires with its retention).
    automated: bool = False


def _visible_to(context):
    return None if context.is_admin else context.project_id


def get(context, backup_id):
    """A backup the caller may see (its project's; any for an admin),
    else BackupNotFound."""
    return db.read(backups.get, backup_id, _visible_to(context))


def list_page(context, limit, offset=0, instance_id=None, datastore=None,
              all_projects=False):
    """One page of the backups the caller asks for, newest first, plus
    whether another page follows. ``datastore`` (a datastore's id or
    name) keeps those of its versions; ``all_projects`` (for admins, the
    controller checks the rule) lists every project's."""
    version_ids = None
    if datastore is not None:
        found = catalogue_api.find_datastore(datastore)
        if found is None:
            raise exceptions.DatastoreNotFound(datastore=datastore)
        version_ids = [version.id
                       for version in catalogue_api.versions(found.id)]
    return db.read(backups.list_page,
                   None if all_projects else context.project_id, limit,
                   offset, instance_id, version_ids)


def _parent(context, record, request):
    """The backup a new one continues from (None: a full backup): the
    named one, or with ``incremental`` the instance's newest completed
    one, as Trove."""
    if request.parent_id is not None:
        parent = db.read(backups.get, request.parent_id, record.tenant_id)
        if parent.instance_id != record.id:
            raise exceptions.BadRequest(
                f'Backup {parent.id} is not a backup of instance '
                f'{record.id}: an incremental backup continues a backup '
                f'of its own instance.')
        if parent.state != BackupState.COMPLETED:
            raise exceptions.BackupNotComplete(backup_id=parent.id,
                                               state=parent.state)
        if parent.is_volume_backup:
            raise exceptions.BadRequest(
                f'Backup {parent.id} is a volume snapshot: an incremental '
                f'backup continues a backup of the object storage.')
        return parent
    if request.incremental:
        return db.read(backups.latest_completed, record.id,
                       backup_records.VOLUME_SCHEME)
    return None


def create(context, request, send=True):
    """Start a backup of an idle instance: checked completely first, then
    the row, the quota and the instance's task together, then (``send``)
    cast it to the taskmanager. Returns the new backup (NEW). Without
    ``send`` the caller, the taskmanager, takes it itself (a replica's
    snapshot)."""
    record = instance_api.get(context, request.instance_id)
    if record.datastore_manager not in instance_api.DATA_MANAGERS:
        raise exceptions.DatastoreOperationUnsupported(
            manager=record.datastore_manager)
    instance_actions.check_can_perform_action(record)
    volume_backup = request.storage_driver == VOLUME_DRIVER
    if volume_backup and not record.volume_size:
        raise exceptions.BadRequest(
            f'Instance {record.id} has no volume to snapshot.')
    container = storage_base.check_container(
        request.swift_container or CONF.backup_swift_container)
    parent = _parent(context, record, request)
    usage = quota.UsageChange(record.tenant_id, {'backups': 1},
                              quota.get_limits(record.tenant_id))
    quota.prepare(usage)
    with db.transaction() as tx:
        if parent is not None:
            backups.lock(tx, parent.id)  # not deleted meanwhile
        if not instances.set_task_if(tx, record.id,
                                     instance_status.IDLE_TASKS,
                                     InstanceTasks.BACKING_UP):
            current = instances.get(tx, record.id)
            raise exceptions.InstanceBusy(instance_id=record.id,
                                          status_type='task',
                                          status=current.task.action)
        quota.apply(tx, usage)
        backup_id = backups.create(tx, {
            'name': request.name,
            'description': request.description,
            'tenant_id': record.tenant_id,
            'instance_id': record.id,
            'parent_id': parent.id if parent is not None else None,
            'backup_type': INCREMENTAL if parent is not None else FULL,
            'datastore_version_id': record.datastore_version_id,
            'automated': request.automated,
        })
        if volume_backup:
            # Known from the start: whatever a failed snapshot left can
            # be found and removed.
            backups.update_if(tx, backup_id, {BackupState.NEW},
                              location=backup_records.volume_location(backup_id))
    backup = db.read(backups.get, backup_id)
    LOG.info('Backup %s of instance %s created (%s)', backup.id, record.id,
             backup.backup_type)
    notifications.notify(context, 'api', 'create', 'start',
                         notifications.backup_payload(backup),
                         resource='backup')
    if not send:
        return backup
    try:
        # The instance's host: a volume backup is taken by its driver.
        taskmanager_rpcapi.API(record.host).create_backup(
            context, backup.id, container)
    except Exception as error:
        LOG.exception('Could not send create_backup for %s', backup.id)
        end(context, backup.id, BackupState.FAILED,
            fault='The backup request could not be sent to the '
                  'taskmanager.')
        raise exceptions.ServiceUnavailable() from error
    return backup


def end(context, backup_id, state, publisher='conductor', **values):
    """End a running backup in ``state`` (COMPLETED or FAILED) with its
    other ``values`` (size, checksum, lsn, fault): a failed one gives its
    quota back; either way the instance's task BACKUP ends. Whether it
    ended here (False: it had ended already, or is gone)."""
    backup = db.read(backups.find, backup_id)
    if backup is None or not backup.is_running:
        return False
    refund = None
    if state == BackupState.FAILED:
        refund = quota.UsageChange(backup.tenant_id, {'backups': -1})
        quota.prepare(refund)
    with db.transaction() as tx:
        if not backups.update_if(tx, backup_id, BackupState.RUNNING,
                                 state=state, **values):
            return False
        quota.apply(tx, refund)
        if backup.instance_id:
            instances.set_task_if(tx, backup.instance_id,
                                  [InstanceTasks.BACKING_UP],
                                  InstanceTasks.NONE)
    backup = db.read(backups.find, backup_id, include_deleted=True)
    if state == BackupState.COMPLETED:
        LOG.info('Backup %s completed', backup_id)
        notifications.notify(context, publisher, 'create', 'end',
                             notifications.backup_payload(backup),
                             resource='backup')
    else:
        LOG.warning('Backup %s failed: %s', backup_id, values.get('fault'))
        notifications.notify(context, publisher, 'create', 'error',
                             notifications.backup_payload(
                                 backup, message=values.get('fault')),
                             resource='backup')
    return True


def mark_building(backup_id, **values):
    """The guest started writing the backup; whether it was still
    running."""
    with db.transaction() as tx:
        return backups.update_if(tx, backup_id, BackupState.RUNNING,
                                 state=BackupState.BUILDING, **values)


def delete(context, backup):
    """Delete a backup that has ended and that no incremental backup
    continues (409), giving its quota back (a failed one has given it
    already); the taskmanager then removes
    its stored object."""
    refund = quota.UsageChange(backup.tenant_id, {'backups': -1})
    quota.prepare(refund)
    with db.transaction() as tx:
        current = backups.lock(tx, backup.id)
        if current.is_running:
            raise exceptions.BackupRunning(backup_id=backup.id,
                                           state=current.state)
        children = backups.children(tx, backup.id)
        if children:
            raise exceptions.BackupHasChildren(
                backup_id=backup.id, children=', '.join(children))
        backups.soft_delete(tx, backup.id)
        # A failed backup gave its quota back when it failed.
        if current.state != BackupState.FAILED:
            quota.apply(tx, refund)
    LOG.info('Backup %s deleted', backup.id)
    notifications.notify(context, 'api', 'delete', 'start',
                         notifications.backup_payload(backup),
                         resource='backup')
    try:
        taskmanager_rpcapi.API(_host_of(backup)).delete_backup(context,
                                                               backup.id)
    except Exception:
        # The row is gone and the quota back; only the stored bytes stay.
        LOG.exception('Could not send delete_backup for %s: its object %s '
                      'stays in the storage', backup.id, backup.location)


def _host_of(backup):
    """The host of the backup's instance (deleted or not), where a volume
    backup is kept on a host-local compute driver; None: any host."""
    instance = db.read(instances.find, backup.instance_id,
                       include_deleted=True) if backup.instance_id else None
    return instance.host if instance is not None else None
