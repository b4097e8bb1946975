"""Volume backups of the nova driver ("cinder" backups) with Cinder.

A Cinder snapshot is cut while the guest holds its datastore read-locked
(point-in-time at the block level, so the lock is released as soon as
the snapshot is available). Where the cloud runs ``cinder-backup``, the
snapshot is turned into a Cinder backup (independent of the volume) and
removed, and a new instance's volume is the restore of that backup.
Without it the snapshot itself is the backup, and a new instance's volume
is made from it. A snapshot pins its volume (Cinder refuses to delete a
volume with snapshots), so the volume of a deleted instance is kept,
marked retired, until the last backup snapshotted from it is deleted.

Everything is found again by name, ``trove-backup-<backup id>``, so what
a failed or interrupted backup made can be removed.
"""

import contextlib
import logging

from cinderclient import exceptions as cinder_exceptions

from trove_lite.common import exceptions
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

GB = 1024 ** 3
# Metadata of a deleted instance's volume kept for its snapshots.
RETIRED = 'trove_retired'


def backup_name(backup_id):
    return f'trove-backup-{backup_id}'


class VolumeBackups:
    """Cinder snapshots and backups of one driver's volumes; ``calling``
    and ``poll`` are the driver's (error wording, status polling)."""

    def __init__(self, cinder, calling, poll):
        self._cinder = cinder
        self._calling = calling
        self._poll = poll

    def _wait(self, manager, resource_id, what):
        """Until the resource is available (error or gone: ComputeError)."""
        def available(found):
            if found is None or found.status in ('error', 'error_deleting'):
                raise exceptions.ComputeError(
                    reason=f'{what} went to '
                           f'{found.status if found else "nowhere"} in '
                           f'Cinder')
            return found.status == 'available'

        with self._calling('Cinder', what):
            done, found = self._poll(lambda: self._find(manager, resource_id),
                                     available, CONF.volume_time_out)
        if not done:
            raise exceptions.ComputeError(
                reason=f'{what} was still {found.status} after '
                       f'{CONF.volume_time_out} s')
        return found

    @staticmethod
    def _find(manager, resource_id):
        try:
            return manager.get(resource_id)
        except cinder_exceptions.NotFound:
            return None

    def take(self, volume_id, backup_id, project_id, thaw):
        """Snapshot the volume (the guest is locked), thaw, keep it as a
        Cinder backup where the cloud has them; the bytes of the volume
        it holds."""
        name = backup_name(backup_id)
        metadata = {'trove_backup_id': backup_id,
                    'trove_project_id': project_id}
        with self._calling('Cinder', f'snapshot {name}'):
            snapshot = self._cinder.volume_snapshots.create(
                volume_id, force=True, name=name, metadata=metadata)
        snapshot = self._wait(self._cinder.volume_snapshots, snapshot.id,
                              f'snapshot {name} ({snapshot.id})')
        thaw()
        if not self._has_backup_service():
            LOG.info('Volume %s kept as Cinder snapshot %s (%s)', volume_id,
                     name, snapshot.id)
            return snapshot.size * GB
        with self._calling('Cinder', f'backup {name}'):
            backup = self._cinder.backups.create(
                volume_id, name=name, snapshot_id=snapshot.id, force=True)
        backup = self._wait(self._cinder.backups, backup.id,
                            f'backup {name} ({backup.id})')
        self._delete_snapshot(snapshot, name)
        LOG.info('Volume %s kept as Cinder backup %s (%s)', volume_id,
                 name, backup.id)
        return backup.size * GB

    def _has_backup_service(self):
        """Whether a ``cinder-backup`` service is up (asked each time: a
        cloud may add or lose one)."""
        with self._calling('Cinder', 'listing cinder-backup services'):
            services = self._cinder.services.list(binary='cinder-backup')
        return any(service.state == 'up' and service.status == 'enabled'
                   for service in services)

    def _named(self, manager, name):
        with self._calling('Cinder', f'finding {name}'):
            return [found for found in manager.list(
                search_opts={'name': name}) if found.name == name]

    def delete(self, backup_id):
        """Remove the Cinder backup and any snapshot of it, and a retired
        volume that no snapshot pins any more."""
        name = backup_name(backup_id)
        for snapshot in self._named(self._cinder.volume_snapshots, name):
            self._delete_snapshot(snapshot, name)
            self.remove_if_retired(snapshot.volume_id)
        for backup in self._named(self._cinder.backups, name):
            with self._calling('Cinder', f'removing backup {name}'):
                self._cinder.backups.delete(backup.id)
        LOG.info('Cinder backup %s removed', name)

    def _delete_snapshot(self, snapshot, name):
        """Delete the snapshot and wait until it is gone (until then it
        still pins its volume)."""
        with self._calling('Cinder', f'removing snapshot {name}'):
            try:
                self._cinder.volume_snapshots.delete(snapshot.id)
            except cinder_exceptions.NotFound:
                return
            done, found = self._poll(
                lambda: self._find(self._cinder.volume_snapshots,
                                   snapshot.id),
                lambda found: found is None or found.status in (
                    'error', 'error_deleting'),
                CONF.volume_time_out)
        if found is not None:
            raise exceptions.ComputeError(
                reason=f'snapshot {name} ({snapshot.id}) was still '
                       f'{found.status} after {CONF.volume_time_out} s')

    def _snapshots_of(self, volume_id):
        with self._calling('Cinder', f'snapshots of volume {volume_id}'):
            return self._cinder.volume_snapshots.list(
                search_opts={'volume_id': volume_id})

    def retire(self, volume_id):
        """Whether backups' snapshots pin the volume; if so it is marked
        retired (deleted with the last of them, not by the caller)."""
        if not self._snapshots_of(volume_id):
            return False
        with self._calling('Cinder', f'volume {volume_id}'):
            self._cinder.volumes.set_metadata(volume_id, {RETIRED: 'true'})
        LOG.info('Volume %s is kept until the backups snapshotted from it '
                 'are deleted', volume_id)
        return True

    def remove_if_retired(self, volume_id):
        """Delete a retired volume no snapshot pins any more."""
        volume = self._find(self._cinder.volumes, volume_id)
        if volume is None or not is_retired(volume) or \
                self._snapshots_of(volume_id):
            return
        with self._calling('Cinder', f'removing volume {volume_id}'):
            try:
                self._cinder.volumes.delete(volume_id)
            except cinder_exceptions.NotFound:
                return
        LOG.info('Retired volume %s deleted with its last backup',
                 volume_id)

    def restore(self, backup_id, volume_name, size_gb, metadata):
        """A new volume ``volume_name`` of at least ``size_gb`` holding the
        backup's data; its id."""
        name = backup_name(backup_id)
        snapshots = self._named(self._cinder.volume_snapshots, name)
        found = self._named(self._cinder.backups, name)
        if snapshots and not found:
            return self._volume_from_snapshot(snapshots[0], volume_name,
                                              size_gb, metadata)
        if not found:
            raise exceptions.ComputeError(
                reason=f'Cinder backup {name} does not exist')
        with self._calling('Cinder', f'restoring backup {name}'):
            restored = self._cinder.restores.restore(found[0].id,
                                                     name=volume_name)
        volume_id = restored.volume_id
        with self._removed_on_failure(volume_id):
            self._wait(self._cinder.volumes, volume_id,
                       f'volume {volume_name} ({volume_id})')
            with self._calling('Cinder', f'volume {volume_name}'):
                self._cinder.volumes.set_metadata(volume_id, metadata)
                if size_gb > found[0].size:
                    self._cinder.volumes.extend(volume_id, size_gb)
            if size_gb > found[0].size:
                self._wait(self._cinder.volumes, volume_id,
                           f'volume {volume_name} ({volume_id})')
        return volume_id

    def _volume_from_snapshot(self, snapshot, volume_name, size_gb,
                              metadata):
        with self._calling('Cinder', f'volume {volume_name} from snapshot '
                                     f'{snapshot.name}'):
            volume = self._cinder.volumes.create(
                max(size_gb, snapshot.size), name=volume_name,
                snapshot_id=snapshot.id, metadata=metadata)
        with self._removed_on_failure(volume.id):
            self._wait(self._cinder.volumes, volume.id,
                       f'volume {volume_name} ({volume.id})')
        return volume.id

    @contextlib.contextmanager
    def _removed_on_failure(self, volume_id):
        """Remove a restored volume that did not become usable (the
        workflow undoes only steps that finished)."""
        try:
            yield
        except Exception:
            try:
                self._cinder.volumes.delete(volume_id)
            except Exception:
                LOG.exception('Could not remove volume %s after a failed '
                              'restore; it is left behind', volume_id)
            raise


def is_retired(volume):
    """Whether the volume is a deleted instance's, kept for snapshots."""
    return (getattr(volume, 'metadata', None) or {}).get(RETIRED) == 'true'
