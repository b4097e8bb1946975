"""Backups taken as snapshots of the instance's volume (``storage_driver``
"cinder"), on the taskmanager's side.

The guest quiesces its datastore in the way the compute driver needs for
a consistent copy (``driver.volume_snapshot_quiesce``: ``lock`` holds
FLUSH TABLES WITH READ LOCK while a block snapshot is cut; ``stop`` stops
the server while the files are copied), the driver snapshots the volume
and thaws the guest as soon as its point-in-time copy exists, then keeps
the snapshot where only the backup's project reaches it. The guest thaws
by itself after ``volume_backup_freeze_timeout`` whatever happens here,
so a taskmanager that dies mid-snapshot leaves no datastore locked or
stopped.
"""

import logging

from trove_lite import db
from trove_lite.backup import api as backup_api
from trove_lite.conf import CONF
from trove_lite.db.repositories import instances
from trove_lite.instance import keys
from trove_lite.records.backup import BackupState
from trove_lite.rpcapi import guestagent as guest_rpcapi

LOG = logging.getLogger(__name__)

PUBLISHER = 'taskmanager'


class _Thaw:
    """Thaws the guest once (the driver calls it after its point-in-time
    copy; the caller again in any case)."""

    def __init__(self, context, guest):
        self._context = context
        self._guest = guest
        self.done = False

    def __call__(self):
        if not self.done:
            self.done = True
            self._guest.thaw_datastore(self._context)


def create_volume_backup(context, backup, driver):
    """Take a NEW volume backup to its end: COMPLETED with its size, or
    FAILED (quota back, what was made removed)."""
    try:
        instance = db.read(instances.find, backup.instance_id)
        if instance is None or not instance.volume_id:
            raise ValueError('the instance or its volume is gone')
        if not backup_api.mark_building(backup.id):
            return
        guest = guest_rpcapi.API(instance.id, keys.key_of(instance.id))
        thaw = _Thaw(context, guest)
        try:
            guest.freeze_datastore(context, driver.volume_snapshot_quiesce,
                                   CONF.volume_backup_freeze_timeout)
            size = driver.snapshot_volume(instance.volume_id, backup.id,
                                          backup.tenant_id, thaw)
        finally:
            # Also after a freeze that timed out here but may still
            # happen there (a thaw of a thawed guest does nothing).
            thaw()
    except Exception as error:
        LOG.warning('Volume backup %s failed: %s', backup.id, error,
                    exc_info=True)
        try:
            remove_snapshot(driver, backup)
        except Exception:
            pass  # logged; the backup fails all the same
        backup_api.end(context, backup.id, BackupState.FAILED,
                       publisher=PUBLISHER,
                       fault=f'The volume backup failed: {error}'[:255])
        return
    backup_api.end(context, backup.id, BackupState.COMPLETED,
                   publisher=PUBLISHER, size=size / 1024 ** 3)


def remove_snapshot(driver, backup):
    """Remove what a volume backup made (nothing there is no error)."""
    try:
        driver.delete_volume_snapshot(backup.id, backup.tenant_id)
    except Exception as error:
        LOG.warning('The snapshot of backup %s could not be removed: %s',
                    backup.id, error)
        raise
