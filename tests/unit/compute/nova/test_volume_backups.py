"""The nova driver's "cinder" backups against a fake Cinder client: the
snapshot is cut while the guest is locked, kept as a Cinder backup, and
every piece is found again by name."""

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
        name = (search_opts or {}).get('name')
        return [item for item in self.items.values()
                if name is None or item.name == name]

    def delete(self, item_id):
        self.cinder.log.append((self.kind, 'delete', item_id))
        self.items.pop(item_id, None)


class FakeCinder:
    def __init__(self):
        self.log = []
        self.volume_snapshots = FakeManager(self, 'snapshot')
        self.backups = FakeManager(self, 'backup')
        self.volumes = FakeManager(self, 'volume')
        self.volumes.set_metadata = lambda volume_id, metadata: \
            self.log.append(('volume', 'metadata', volume_id, metadata))
        self.volumes.extend = lambda volume_id, size: self.log.append(
            ('volume', 'extend', volume_id, size))
        self.restores = types.SimpleNamespace(restore=self._restore)

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
