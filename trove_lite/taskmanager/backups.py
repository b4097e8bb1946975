"""Backups on the taskmanager's side: send a new backup to its guest, and
remove the stored object of a deleted one. The guest does the backup and
reports its progress and end through the conductor, so a taskmanager
restart meanwhile loses nothing."""

import datetime
import logging

from oslo_utils import timeutils

from trove_lite import db
from trove_lite import storage
from trove_lite.backup import api as backup_api
from trove_lite.common import notifications
from trove_lite.common import objects
from trove_lite.conf import CONF
from trove_lite.db.repositories import backups
from trove_lite.db.repositories import instances
from trove_lite.instance import keys
from trove_lite.records.backup import BackupState
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.storage import grants
from trove_lite.taskmanager import volume_backups

LOG = logging.getLogger(__name__)

PUBLISHER = 'taskmanager'


def object_name(backup_id):
    return f'{backup_id}.xbstream'


def backup_info(backup, container):
    """The BackupInfo the guest writes ``backup`` with, its location
    recorded first: whatever a failed backup leaves there can be found
    and removed. Its grant covers that object only."""
    store = storage.get_storage(backup.tenant_id)
    name = object_name(backup.id)
    info = objects.BackupInfo(
        id=backup.id, project_id=backup.tenant_id, container=container,
        name=name, location=store.location(container, name),
        backup_type=backup.backup_type,
        storage=grants.for_names(backup.tenant_id, container, [name],
                                 grants.WRITE))
    if backup.parent_id is not None:
        parent = db.read(backups.find, backup.parent_id)
        if parent is None or parent.lsn is None:
            raise ValueError(f'the parent backup {backup.parent_id} is '
                             f'gone or has no log position')
        info.parent_lsn = parent.lsn
    with db.transaction() as tx:
        if not backups.update_if(tx, backup.id, {BackupState.NEW},
                                 location=info.location):
            return None
    return info


def create_backup(context, backup_id, container, driver):
    """Send a NEW backup to its instance's guest (a volume backup: take
    it here with the compute ``driver``); a backup that cannot be sent
    ends FAILED (its quota back, its instance free)."""
    backup = db.read(backups.find, backup_id)
    if backup is None or backup.state != BackupState.NEW:
        LOG.warning('Backup %s skipped: gone or no longer new', backup_id)
        return
    if backup.is_volume_backup:
        volume_backups.create_volume_backup(context, backup, driver)
        return
    try:
        info = backup_info(backup, container)
        if info is None:
            return
        guest_rpcapi.API(backup.instance_id, keys.key_of(
            backup.instance_id)).create_backup(context, info)
    except Exception as error:
        LOG.warning('Backup %s could not be started: %s', backup_id, error,
                    exc_info=True)
        backup_api.end(context, backup_id, BackupState.FAILED,
                       publisher=PUBLISHER,
                       fault=f'The backup could not be started: '
                             f'{error}'[:255])
        return
    LOG.info('Backup %s sent to the guest of %s', backup_id,
             backup.instance_id)


def remove_object(backup, driver):
    """Remove what a backup stored (nothing there is no error)."""
    if backup.is_volume_backup:
        volume_backups.remove_snapshot(driver, backup)
    elif backup.location:
        storage.get_storage(backup.tenant_id).delete(backup.location)


def delete_backup(context, backup_id, driver):
    """Remove the stored object of a backup the API deleted."""
    backup = db.read(backups.find, backup_id, include_deleted=True)
    if backup is None:
        return
    payload = notifications.backup_payload(backup)
    try:
        remove_object(backup, driver)
    except Exception as error:
        LOG.warning('The object %s of deleted backup %s could not be '
                    'removed: %s', backup.location, backup_id, error)
        notifications.notify(context, PUBLISHER, 'delete', 'error',
                             dict(payload, message=str(error)),
                             resource='backup')
        return
    LOG.info('The object of backup %s is removed', backup_id)
    notifications.notify(context, PUBLISHER, 'delete', 'end', payload,
                         resource='backup')


def _why_dead(backup, now):
    """Why a running backup can no longer end by itself, or None: its
    instance is gone or no longer backing up, or its guest has been silent
    past ``agent_heartbeat_expiry`` (the guest died), or the guest never
    started it."""
    instance = db.read(instances.find, backup.instance_id)
    if instance is None:
        return 'The instance was deleted during the backup.'
    if instance.task != InstanceTasks.BACKING_UP:
        return 'The instance stopped backing up (its status was reset).'
    expiry = datetime.timedelta(seconds=CONF.agent_heartbeat_expiry)
    heard = instance.service_status_updated
    if heard is None or now - heard > expiry:
        return 'The guest stopped responding during the backup.'
    if backup.is_volume_backup:
        # The taskmanager takes it, and one that stopped meanwhile never
        # ends it; past the guest's own freeze limit it cannot succeed.
        limit = datetime.timedelta(
            seconds=CONF.volume_backup_freeze_timeout + expiry.seconds)
        if now - backup.updated > limit:
            return 'The volume backup did not end in time.'
        return None
    if backup.state == BackupState.NEW and now - backup.updated > expiry:
        return 'The guest did not start the backup.'
    return None


def fail_dead_backups(context, driver):
    """Periodic: end the running backups that cannot end by themselves
    FAILED (quota back, instance free) and remove what they stored."""
    now = timeutils.utcnow()
    for backup in db.read(backups.running):
        reason = _why_dead(backup, now)
        if reason is None:
            continue
        LOG.warning('Periodic: backup %s fails: %s', backup.id, reason)
        try:
            remove_object(backup, driver)
        except Exception as error:
            LOG.warning('What backup %s stored at %s could not be removed: '
                        '%s', backup.id, backup.location, error)
        backup_api.end(context, backup.id, BackupState.FAILED,
                       publisher=PUBLISHER, fault=reason)
