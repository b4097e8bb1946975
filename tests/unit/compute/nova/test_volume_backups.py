"""The nova driver's "cinder" backups against a fake Cinder client: the
snapshot is cut while the guest is locked, kept as a Cinder backup where
the cloud runs cinder-backup (else as the snapshot itself), and every
piece is found again by name."""

import contextlib
import types

import pytest

from trove_lite.common import exceptions
from trove_lite.compute.nova import volume_backups


class FakeManager:
    """Resources of one kind; each ``get`` moves a resource one step
    along its ``lifecycle`` (as Cinder's creating -> available)."""

    def __init__(self, cinder, kind, lifecycle=('creating', 'available')):
        self.cinder = cinder
        self.kind = kind
        self.lifecycle = lifecycle
        self.items = {}

    def _add(self, **fields):
        item = types.SimpleNamespace(
            id=f'{self.kind}-{len(self.items) + 1}',
            status=self.lifecycle[0], **fields)
        self.items[item.id] = item
        self.cinder.log.append((self.kind, 'create', item.id))
        return item

    def create(self, volume_id, **fields):
        return self._add(volume_id=volume_id, size=fields.pop('size', 2),
                         **fields)

    def get(self, item_id):
        from cinderclient import exceptions as cinder_exceptions
        if item_id not in self.items:
            raise cinder_exceptions.NotFound(404)
        item = self.items[item_id]
        steps = self.lifecycle
        item.status = steps[min(steps.index(item.status) + 1,
                                len(steps) - 1)]
        return item

    def list(self, search_opts=None):
        wanted = search_opts or {}
        return [item for item in self.items.values()
                if all(getattr(item, key, None) == value
                       for key, value in wanted.items())]

    def delete(self, item_id):
        self.cinder.log.append((self.kind, 'delete', item_id))
        self.items.pop(item_id, None)


class FakeVolumes(FakeManager):
    def create(self, size, **fields):
        return self._add(size=size, **fields)


class FakeCinder:
    def __init__(self):
        self.log = []
        self.volume_snapshots = FakeManager(self, 'snapshot')
        self.backups = FakeManager(self, 'backup')
        self.volumes = FakeVolumes(self, 'volume')
        self.volumes.set_metadata = self.set_metadata
        self.volumes.extend = lambda volume_id, size: self.log.append(
            ('volume', 'extend', volume_id, size))
        self.restores = types.SimpleNamespace(restore=self._restore)
        self.backup_services = [types.SimpleNamespace(
            binary='cinder-backup', state='up', status='enabled')]
        self.services = types.SimpleNamespace(
            list=lambda binary=None: [s for s in self.backup_services
                                      if s.binary == binary])

    def set_metadata(self, volume_id, metadata):
        self.log.append(('volume', 'metadata', volume_id, metadata))
        volume = self.volumes.items.get(volume_id)
        if volume is not None:
            volume.metadata = {**getattr(volume, 'metadata', {}),
                               **metadata}

    def _restore(self, backup_id, name=None):
        volume = self.volumes._add(name=name, size=self.backups.items[
            backup_id].size)
        self.log.append(('backup', 'restore', backup_id, volume.id))
        return types.SimpleNamespace(volume_id=volume.id)


@contextlib.contextmanager
def calling(service, what):
    yield


def poll(fetch, is_done, timeout):
    for _ in range(5):
        value = fetch()
        if is_done(value):
            return True, value
    return False, value


@pytest.fixture
def cinder():
    return FakeCinder()


@pytest.fixture
def backups(cinder):
    return volume_backups.VolumeBackups(cinder, calling, poll)


def test_snapshot_is_cut_locked_then_kept_as_a_backup(cinder, backups):
    thawed = []

    def thaw():
        # The snapshot exists (available) when the guest is thawed, and
        # the backup is made only after.
        assert [entry[:2] for entry in cinder.log] == [
            ('snapshot', 'create')]
        assert cinder.volume_snapshots.items['snapshot-1'].status == \
            'available'
        thawed.append(True)

    size = backups.take('vol-1', 'b1', 'proj', thaw)
    assert thawed == [True]
    assert size == 2 * 1024 ** 3
    backup = cinder.backups.items['backup-1']
    assert backup.name == 'trove-backup-b1'
    assert backup.snapshot_id == 'snapshot-1' and backup.volume_id == 'vol-1'
    # The snapshot (which would pin the instance's volume) is gone.
    assert cinder.volume_snapshots.items == {}


def test_a_snapshot_in_error_fails_before_thawing(cinder, backups):
    cinder.volume_snapshots.lifecycle = ('creating', 'error')
    with pytest.raises(exceptions.ComputeError, match='error'):
        backups.take('vol-1', 'b1', 'proj', lambda: pytest.fail('thawed'))
    # What it made is found by name and removed.
    backups.delete('b1')
    assert cinder.volume_snapshots.items == {}


def test_restore_makes_the_volume_from_the_backup_and_grows_it(cinder,
                                                               backups):
    backups.take('vol-1', 'b1', 'proj', lambda: None)
    volume_id = backups.restore('b1', 'trove-i2', 5,
                                {'trove_instance_id': 'i2'})
    assert ('backup', 'restore', 'backup-1', volume_id) in cinder.log
    assert ('volume', 'metadata', volume_id,
            {'trove_instance_id': 'i2'}) in cinder.log
    assert ('volume', 'extend', volume_id, 5) in cinder.log
    assert cinder.volumes.items[volume_id].name == 'trove-i2'


def test_restore_of_a_missing_backup_is_a_compute_error(backups):
    with pytest.raises(exceptions.ComputeError, match='does not exist'):
        backups.restore('gone', 'trove-i2', 1, {})


def test_delete_removes_the_backup_and_only_it(cinder, backups):
    backups.take('vol-1', 'b1', 'proj', lambda: None)
    backups.take('vol-1', 'b2', 'proj', lambda: None)
    backups.delete('b1')
    assert [b.name for b in cinder.backups.items.values()] == [
        'trove-backup-b2']
    backups.delete('b1')  # again: nothing there is no error


@pytest.fixture
def no_backup_service(cinder):
    cinder.backup_services = []


def _volume(cinder, size=2):
    return cinder.volumes.create(size, name='trove-i1', metadata={})


def test_without_cinder_backup_the_snapshot_is_the_backup(
        cinder, backups, no_backup_service):
    volume = _volume(cinder, size=3)
    size = backups.take(volume.id, 'b1', 'proj', lambda: None)
    snapshot, = cinder.volume_snapshots.items.values()
    assert snapshot.name == 'trove-backup-b1'
    assert snapshot.metadata == {'trove_backup_id': 'b1',
                                 'trove_project_id': 'proj'}
    assert size == snapshot.size * 1024 ** 3
    assert cinder.backups.items == {}


def test_restore_without_a_backup_makes_the_volume_from_the_snapshot(
        cinder, backups, no_backup_service):
    volume = _volume(cinder)
    backups.take(volume.id, 'b1', 'proj', lambda: None)
    restored_id = backups.restore('b1', 'trove-i2', 5,
                                  {'trove_instance_id': 'i2'})
    restored = cinder.volumes.items[restored_id]
    assert restored.snapshot_id == 'snapshot-1'
    assert restored.size == 5 and restored.name == 'trove-i2'
    assert restored.metadata == {'trove_instance_id': 'i2'}
    assert restored.status == 'available'


def test_a_volume_pinned_by_snapshots_is_retired_until_the_last_goes(
        cinder, backups, no_backup_service):
    volume = _volume(cinder)
    other = _volume(cinder)
    assert backups.retire(other.id) is False  # nothing pins it
    backups.take(volume.id, 'b1', 'proj', lambda: None)
    backups.take(volume.id, 'b2', 'proj', lambda: None)

    assert backups.retire(volume.id) is True
    assert volume_backups.is_retired(volume)
    backups.delete('b1')
    assert volume.id in cinder.volumes.items  # b2 still pins it
    backups.delete('b2')
    assert volume.id not in cinder.volumes.items
    assert cinder.volume_snapshots.items == {}
    assert other.id in cinder.volumes.items


def test_deleting_a_snapshot_of_a_live_volume_keeps_the_volume(
        cinder, backups, no_backup_service):
    volume = _volume(cinder)
    backups.take(volume.id, 'b1', 'proj', lambda: None)
    backups.delete('b1')
    assert volume.id in cinder.volumes.items
    assert cinder.volume_snapshots.items == {}


def test_a_snapshot_that_will_not_go_fails_the_delete(
        cinder, backups, no_backup_service):
    volume = _volume(cinder)
    backups.take(volume.id, 'b1', 'proj', lambda: None)
    cinder.volume_snapshots.delete = lambda snapshot_id: None  # stays
    with pytest.raises(exceptions.ComputeError, match='still available'):
        backups.delete('b1')


def test_a_restored_volume_that_fails_is_removed(cinder, backups,
                                                 no_backup_service):
    volume = _volume(cinder)
    backups.take(volume.id, 'b1', 'proj', lambda: None)
    cinder.volumes.lifecycle = ('creating', 'error')
    with pytest.raises(exceptions.ComputeError, match='went to error'):
        backups.restore('b1', 'trove-i2', 2, {})
    assert [v.name for v in cinder.volumes.items.values()] == ['trove-i1']
