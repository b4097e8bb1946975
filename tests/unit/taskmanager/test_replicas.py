"""A replica's snapshot on the taskmanager's side: marked BUILDING while
the source's guest writes it, and a snapshot the periodic check ended
meanwhile fails the build and is deleted."""

import contextlib
import types

import pytest

from trove_lite.common import exceptions
from trove_lite.records.backup import BackupState
from trove_lite.taskmanager import replicas


class Claims:
    def acquire(self, instance_id, purpose, wait=0.0):
        return contextlib.nullcontext()


@pytest.fixture
def snapshot_parts(monkeypatch):
    calls = []
    source = types.SimpleNamespace(
        id='src', datastore_manager='mariadb',
        addresses=[{'address': '127.0.0.5'}])
    monkeypatch.setattr(replicas.db, 'read', lambda *args: source)
    monkeypatch.setattr(replicas.backup_api, 'create',
                        lambda *args, **kwargs: types.SimpleNamespace(
                            id='b1'))
    monkeypatch.setattr(replicas.backups, 'backup_info',
                        lambda backup, container: 'info')
    monkeypatch.setattr(replicas.backup_api, 'mark_building',
                        lambda backup_id: calls.append('building') or True)

    class Guest:
        def get_replication_snapshot(self, context, snapshot_info):
            calls.append(('snapshot', snapshot_info['replication_user']))
            return {'dataset': {'size': 0.1, 'checksum': 'c', 'lsn': 9}}

    monkeypatch.setattr(replicas, 'guest_of', lambda instance_id: Guest())
    monkeypatch.setattr(replicas, 'delete_snapshot',
                        lambda context, backup_id, driver:
                        calls.append(('deleted', backup_id)))
    return calls


def test_a_snapshot_ended_meanwhile_fails_the_build_and_goes(
        snapshot_parts, monkeypatch):
    ends = []
    monkeypatch.setattr(replicas.backup_api, 'end',
                        lambda context, backup_id, state, **values:
                        ends.append(state) and False)
    spec = types.SimpleNamespace(replica_of='src', instance_id='r-1',
                                 datastore_version_id='v', volume_size=1)
    with pytest.raises(exceptions.DatastoreOperationError,
                       match='ended meanwhile'):
        replicas.take_snapshot(None, Claims(), spec)
    assert snapshot_parts[0] == 'building'
    user = snapshot_parts[1][1]
    # The source's guest is told a hash, never the password.
    assert user['password_hash'].startswith('*')
    assert len(user['password_hash']) == 41
    assert ends == [BackupState.COMPLETED, BackupState.FAILED]
    assert snapshot_parts[-1] == ('deleted', 'b1')
