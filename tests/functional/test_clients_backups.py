"""python-troveclient, ``openstack database backup`` and ``trove-lite
backup`` against the real stack (the quickstart's default: local storage,
contained guests): create, list, show, delete, and a restore into a new
instance whose rows are the backup's."""

import time

import pytest

from tests.functional import clients
from tests.functional.backup_helpers import insert
from tests.functional.backup_helpers import make_instance
from tests.functional.backup_helpers import remove_instances
from tests.functional.backup_helpers import rows

trove_exceptions = clients.trove_exceptions
pytestmark = pytest.mark.functional


@pytest.fixture(scope='module', autouse=True)
def cleanup(stack):
    yield
    remove_instances(stack, 'tc-backup', 'osc-backup', 'cli-backup')


def source_instance(stack, project, name):
    """An ACTIVE instance with the app user and 20 rows."""
    instance = make_instance(stack.api(project), name)
    insert(instance, 1, 20)
    return instance


def wait_backup_with_troveclient(client, backup_id, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        backup = client.backups.get(backup_id)
        if backup.status in ('COMPLETED', 'FAILED'):
            return backup
        assert time.monotonic() < deadline, backup.status
        time.sleep(0.5)


def test_troveclient_drives_backups_and_restores(stack):
    project = 'tc-backup'
    api = stack.api(project)
    source = source_instance(stack, project, 'tc-bk-source')
    client = clients.troveclient(stack, project)

    full = client.backups.create('tc-full', source['id'],
                                 description='by troveclient')
    assert full.status == 'NEW'
    full = wait_backup_with_troveclient(client, full.id)
    assert full.status == 'COMPLETED', full.fault
    assert full.instance_id == source['id'] and full.size > 0
    assert full.datastore['type'] == 'mariadb'
    api.wait_active(source['id'])
    insert(source, 100, 5)
    incremental = client.backups.create('tc-inc', source['id'],
                                        incremental=True)
    incremental = wait_backup_with_troveclient(client, incremental.id)
    assert (incremental.status, incremental.parent_id) == (
        'COMPLETED', full.id)
    api.wait_active(source['id'])

    assert [b.id for b in client.backups.list()] == [incremental.id,
                                                     full.id]
    first = client.backups.list(limit=1)
    assert [b.id for b in first] == [incremental.id] and first.next
    assert [b.id for b in client.backups.list(limit=1,
                                              marker=first.next)] == \
        [full.id]
    assert {b.id for b in client.instances.backups(source['id'])} == {
        full.id, incremental.id}
    assert [b.id for b in client.backups.list(
        instance_id=source['id'])] == [incremental.id, full.id]
    assert len(client.backups.list(datastore='mariadb')) == 2
    assert list(client.backups.list(datastore='mysql')) == []

    restored = client.instances.create(
        'tc-bk-restored', flavor_id='1', volume={'size': 1},
        datastore='mariadb', restorePoint={'backupRef': incremental.id})
    restored = api.wait_active(restored.id, timeout=120)
    assert rows(restored) == rows(source)
    assert len(rows(restored)) == 25

    with pytest.raises(trove_exceptions.ClientException) as refused:
        client.backups.delete(full.id)
    assert refused.value.http_status == 409
    client.backups.delete(incremental.id)
    client.backups.delete(full.id)
    with pytest.raises(trove_exceptions.NotFound):
        client.backups.get(full.id)
    assert list(client.backups.list()) == []


def test_openstack_database_backup_commands(stack):
    project = 'osc-backup'
    api = stack.api(project)
    source = source_instance(stack, project, 'osc-bk-source')

    created = clients.openstack(
        stack, project, 'database', 'backup', 'create', 'osc-full',
        '--instance', 'osc-bk-source', '--description', 'by osc', '-f',
        'json')
    assert created.code == 0, created.stderr
    backup_id = created.json()['id']
    assert created.json()['status'] == 'NEW'
    deadline = time.monotonic() + 120
    while True:
        shown = clients.openstack(stack, project, 'database', 'backup',
                                  'show', 'osc-full', '-f', 'json')
        assert shown.code == 0, shown.stderr
        if shown.json()['status'] in ('COMPLETED', 'FAILED'):
            break
        assert time.monotonic() < deadline
        time.sleep(1)
    shown = shown.json()
    assert (shown['id'], shown['status'], shown['instance_id']) == (
        backup_id, 'COMPLETED', source['id'])
    api.wait_active(source['id'])

    listed = clients.openstack(stack, project, 'database', 'backup', 'list',
                               '-f', 'json')
    assert listed.code == 0, listed.stderr
    assert [(b['ID'], b['Name'], b['Status']) for b in listed.json()] == [
        (backup_id, 'osc-full', 'COMPLETED')]
    of_instance = clients.openstack(stack, project, 'database', 'backup',
                                    'list', '--instance', 'osc-bk-source',
                                    '-f', 'json')
    assert of_instance.code == 0, of_instance.stderr
    assert [b['ID'] for b in of_instance.json()] == [backup_id]

    restored = clients.openstack(
        stack, project, 'database', 'instance', 'create', 'osc-bk-restored',
        '--flavor', 'tiny', '--size', '1', '--datastore', 'mariadb',
        '--backup', 'osc-full', '-f', 'json')
    assert restored.code == 0, restored.stderr
    restored = api.wait_active(restored.json()['id'], timeout=120)
    assert rows(restored) == rows(source)

    deleted = clients.openstack(stack, project, 'database', 'backup',
                                'delete', 'osc-full')
    assert deleted.code == 0, deleted.stdout + deleted.stderr
    assert api.get(f'/backups/{backup_id}').status_code == 404
    missing = clients.openstack(stack, project, 'database', 'backup',
                                'show', 'osc-full')
    assert missing.code == 1


def test_trove_lite_backup_commands(stack):
    project = 'cli-backup'
    api = stack.api(project)
    source = source_instance(stack, project, 'cli-bk-source')

    created = clients.trove_lite(
        stack, project, 'backup', 'create', 'cli-full', '--instance',
        'cli-bk-source', '--wait', '-f', 'json')
    assert created.code == 0, created.stderr
    full = created.json()
    assert full['status'] == 'COMPLETED' and full['size'] > 0
    # Not a terminal: one progress line per status, on stderr.
    progress = created.stderr.splitlines()
    assert progress[0].startswith('Backup cli-full: ')
    assert progress[-1].startswith('Backup cli-full: COMPLETED after ')
    api.wait_active(source['id'])
    insert(source, 200, 3)
    incremental = clients.trove_lite(
        stack, project, 'backup', 'create', 'cli-inc', '--instance',
        source['id'], '--parent', 'cli-full', '--wait', '-f', 'json')
    assert incremental.code == 0, incremental.stderr
    assert incremental.json()['parent_id'] == full['id']
    api.wait_active(source['id'])

    listed = clients.trove_lite(stack, project, 'backup', 'list', '-f',
                                'value', '-c', 'name', '-c', 'status')
    assert (listed.code, listed.stdout) == (
        0, 'cli-inc COMPLETED\ncli-full COMPLETED\n')
    of_instance = clients.trove_lite(stack, project, 'backup', 'list',
                                     '--instance', 'cli-bk-source', '-f',
                                     'value', '-c', 'name')
    assert of_instance.stdout == 'cli-inc\ncli-full\n'
    shown = clients.trove_lite(stack, project, 'backup', 'show', 'cli-inc',
                               '-f', 'json')
    assert shown.code == 0, shown.stderr
    assert shown.json()['locationRef'].startswith(
        'local://database_backups/cli-backup/')

    restored = clients.trove_lite(
        stack, project, 'instance', 'create', 'cli-bk-restored', '--flavor',
        'tiny', '--size', '1', '--backup', 'cli-inc', '--wait', '-f',
        'json')
    assert restored.code == 0, restored.stderr
    assert rows({'ip': [restored.json()['ip']]}) == \
        rows(source)

    refused = clients.trove_lite(stack, project, 'backup', 'delete',
                                 'cli-full')
    assert refused.code == 1
    assert refused.stderr.rstrip().endswith('(HTTP 409)')
    for name in ('cli-inc', 'cli-full'):
        deleted = clients.trove_lite(stack, project, 'backup', 'delete',
                                     name, '--wait')
        assert deleted.code == 0, deleted.stderr
        assert deleted.stderr.splitlines()[-1].startswith(
            f'Backup {name}: DELETED after ')
    listed = clients.trove_lite(stack, project, 'backup', 'list', '-f',
                                'value')
    assert (listed.code, listed.stdout) == (0, '')
    missing = clients.trove_lite(stack, project, 'backup', 'show', 'nope')
    assert (missing.code, missing.stderr) == (
        1, "No backup with a name or ID of 'nope' exists.\n")
