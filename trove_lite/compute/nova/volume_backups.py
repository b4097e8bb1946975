"""Volume backups of the nova driver ("cinder" backups) with Cinder.

A Cinder snapshot is cut while the guest holds its datastore read-locked
(point-in-time at the block level, so the lock is released as soon as
the snapshot is available). A snapshot depends on its volume, which goes
when the instance is deleted, so it is then turned into a Cinder backup
(``cinder-backup``, independent of the volume) and removed. A new
instance's volume is the restore of that backup.

Everything is found again by name, ``trove-backup-<backup id>``, so what
a failed or interrupted backup made can be removed.
"""

import logging

from cinderclient import exceptions as cinder_exceptions

from trove_lite.common import exceptions
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

GB = 1024 ** 3


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
        Cinder backup; the bytes of the volume it holds."""
        name = backup_name(backup_id)
        metadata = {'trove_backup_id': backup_id,
                    'trove_project_id': project_id}
        with self._calling('Cinder', f'snapshot {name}'):
            snapshot = self._cinder.volume_snapshots.create(
                volume_id, force=True, name=name, metadata=metadata)
        self._wait(self._cinder.volume_snapshots, snapshot.id,
                   f'snapshot {name} ({snapshot.id})')
        thaw()
        with self._calling('Cinder', f'backup {name}'):
            backup = self._cinder.backups.create(
                volume_id, name=name, snapshot_id=snapshot.id, force=True)
        backup = self._wait(self._cinder.backups, backup.id,
                            f'backup {name} ({backup.id})')
        with self._calling('Cinder', f'removing snapshot {name}'):
            self._cinder.volume_snapshots.delete(snapshot.id)
        LOG.info('Volume %s kept as Cinder backup %s (%s)', volume_id,
                 name, backup.id)
        return backup.size * GB

    def _named(self, manager, name):
        with self._calling('Cinder', f'finding {name}'):
            return [found for found in manager.list(
                search_opts={'name': name}) if found.name == name]

    def delete(self, backup_id):
        """Remove the Cinder backup and any snapshot left of it."""
        name = backup_name(backup_id)
        for snapshot in self._named(self._cinder.volume_snapshots, name):
            with self._calling('Cinder', f'removing snapshot {name}'):
                self._cinder.volume_snapshots.delete(snapshot.id)
        for backup in self._named(self._cinder.backups, name):
            with self._calling('Cinder', f'removing backup {name}'):
                self._cinder.backups.delete(backup.id)
        LOG.info('Cinder backup %s removed', name)

    def restore(self, backup_id, volume_name, size_gb, metadata):
        """A new volume ``volume_name`` of at least ``size_gb`` holding the
        backup's data; its id."""
        name = backup_name(backup_id)
        found = self._named(self._cinder.backups, name)
        if not found:
            raise exceptions.ComputeError(
                reason=f'Cinder backup {name} does not exist')
        with self._calling('Cinder', f'restoring backup {name}'):
            restored = self._cinder.restores.restore(found[0].id,
                                                     name=volume_name)
        volume_id = restored.volume_id
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
