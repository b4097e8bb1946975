"""A "cinder" backup on the taskmanager's side: the guest is thawed
whatever happens, and a failure removes what was made and ends FAILED."""

import pytest

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.common import context as trove_context
from trove_lite.common import exceptions
from trove_lite.db.repositories import backups
from trove_lite.records import backup as models
from trove_lite.records.backup import BackupState
from trove_lite.taskmanager import volume_backups


class Guest:
    calls = []
    fail_freeze = None

    def __init__(self, instance_id, key):
        pass

    def freeze_datastore(self, context, mode, max_seconds):
        self.calls.append(('freeze', mode))
        if self.fail_freeze:
            raise self.fail_freeze

    def thaw_datastore(self, context):
        self.calls.append(('thaw',))


class Driver:
    volume_snapshot_quiesce = 'stop'

    def __init__(self, fail=None):
        self.fail = fail
        self.calls = []

    def snapshot_volume(self, volume_id, backup_id, project_id, thaw):
        self.calls.append(('snapshot', volume_id, backup_id, project_id))
        if self.fail:
            raise self.fail
        thaw()
        Guest.calls.append(('copied',))
        return 3 * 1024 ** 3

    def delete_volume_snapshot(self, backup_id, project_id):
        self.calls.append(('delete', backup_id, project_id))


@pytest.fixture
def backup(catalogue, monkeypatch):
    Guest.calls = []
    Guest.fail_freeze = None
    monkeypatch.setattr(volume_backups.guest_rpcapi, 'API', Guest)
    monkeypatch.setattr(volume_backups.backup_api.notifications, 'notify',
                        lambda *args, **kwargs: None)
    instance = db_fixtures.create_instance({
        'name': 'v', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 4})
    db_fixtures.update_instance(instance.id, volume_id='vol-1')
    with db.transaction() as tx:
        backup_id = backups.create(tx, {
            'name': 'b', 'tenant_id': 'p', 'instance_id': instance.id,
            'backup_type': 'full',
            'location': models.volume_location('x')})
    return db.read(backups.get, backup_id)


def run(backup, driver):
    volume_backups.create_volume_backup(
        trove_context.get_admin_context(), backup, driver)
    return db.read(backups.find, backup.id, include_deleted=True)


def test_the_snapshot_is_taken_frozen_and_thawed_once(backup):
    driver = Driver()
    done = run(backup, driver)
    assert done.state == BackupState.COMPLETED
    assert done.size == 3
    assert driver.calls == [('snapshot', 'vol-1', backup.id, 'p')]
    # Thawed as soon as the copy exists, and not again.
    assert Guest.calls == [('freeze', 'stop'), ('thaw',), ('copied',)]


def test_a_failed_snapshot_thaws_removes_and_fails(backup):
    driver = Driver(fail=exceptions.ComputeError(reason='disk full'))
    done = run(backup, driver)
    assert done.state == BackupState.FAILED
    assert 'disk full' in done.fault
    assert Guest.calls == [('freeze', 'stop'), ('thaw',)]
    assert driver.calls[-1] == ('delete', backup.id, 'p')


def test_a_freeze_that_timed_out_is_thawed_all_the_same(backup):
    Guest.fail_freeze = exceptions.GuestTimeout()
    driver = Driver()
    done = run(backup, driver)
    assert done.state == BackupState.FAILED
    assert Guest.calls == [('freeze', 'stop'), ('thaw',)]
    assert ('snapshot', 'vol-1', backup.id, 'p') not in driver.calls
