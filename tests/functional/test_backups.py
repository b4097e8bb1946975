"""Backups and restores on the real stack: the guest's mariabackup streams
into the real OpenStack Swift of tools/swift.sh (over HTTP, which contained
guests reach as any other), and a new instance restores the data. Rows are
compared where a tenant sees them, in the instances' own MariaDB."""

import os
import pathlib
import signal
import subprocess
import threading

import pytest
import swiftclient

from tests.functional import clients
from tests.functional import stack as stack_module
from tests.functional.backup_helpers import APP_PASSWORD
from tests.functional.backup_helpers import backup_completed
from tests.functional.backup_helpers import backup_of
from tests.functional.backup_helpers import create_backup
from tests.functional.backup_helpers import execute
from tests.functional.backup_helpers import insert
from tests.functional.backup_helpers import make_instance
from tests.functional.backup_helpers import mariabackup_of
from tests.functional.backup_helpers import restore
from tests.functional.backup_helpers import rows
from tests.functional.backup_helpers import wait_backup
from tests.functional.stack import connect
from tests.functional.stack import wait_until
from trove_lite import storage

pytestmark = pytest.mark.functional

BACKUP_KEY = 'functional-backup-key-' + 'k' * 20

@pytest.fixture(scope='module')
def stack(tmp_path_factory, swift_server):
    """A stack of its own on the swift storage, whose taskmanager notices
    a dead guest within seconds (heartbeat expiry and periodic checks)."""
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('backups')), overrides={
            'DEFAULT': {'agent_heartbeat_expiry': '12',
                        'periodic_interval': '2',
                        'storage_strategy': 'swift',
                        'backup_aes_cbc_key': BACKUP_KEY},
            'swift': swift_server.options()})
    with deployment:
        yield deployment


@pytest.fixture
def api(stack):
    return stack.api('demo')


@pytest.fixture(scope='module')
def store(swift_server):
    """The demo project's backups in Swift, as the guests store them."""
    return storage.get_storage('demo', swift_server.conf(
        backup_aes_cbc_key=BACKUP_KEY))


def stored_objects(store, backup_id):
    """Every object (manifest or segment) Swift holds of a backup."""
    found = []
    for container in ('database_backups', 'database_backups_segments'):
        try:
            _, listing = store.connection.get_container(
                container, prefix='demo/', full_listing=True)
        except Exception as e:
            if getattr(e, 'http_status', None) == 404:
                continue
            raise
        found += [f'{container}/{item["name"]}' for item in listing
                  if backup_id in item['name']]
    return found


def used_backups(api):
    response = api.get('/limits')
    assert response.status_code == 200, response.text
    absolute = next(limit for limit in response.json()['limits']
                    if limit['verb'] == 'ABSOLUTE')
    return absolute['max_backups']


def backup_usage(stack, project='demo'):
    found = stack.query("SELECT in_use FROM quota_usages WHERE tenant_id=%s "
                        "AND resource='backups'", project)
    return found[0][0] if found else 0


def test_full_backup_restores_the_rows(stack, api, store):
    source = make_instance(api, 'bk-source')
    insert(source, 1, 500)
    usage = backup_usage(stack)
    backup = create_backup(api, source, 'full-1', description='first')
    assert backup_usage(stack) == usage + 1
    assert api.instance(source['id'])['status'] == 'BACKUP'
    done = wait_backup(api, backup['id'])
    assert done['status'] == 'COMPLETED', done
    assert done['size'] > 0
    container, obj, _ = store._parse(done['locationRef'])
    assert container == 'database_backups'
    assert obj == f'demo/{backup["id"]}.xbstream'
    # Trove's size is in GB.
    stored = store.get_info(done['locationRef']).size
    assert stored / 2 ** 30 == pytest.approx(done['size'], abs=1e-9)
    assert done['datastore']['type'] == 'mariadb'
    assert done['instance_id'] == source['id']
    assert done['parent_id'] is None and done['description'] == 'first'
    assert backup['id'] in [b['id'] for b in api.get(
        f'/instances/{source["id"]}/backups').json()['backups']]
    api.wait_active(source['id'])

    restored = restore(api, done, 'bk-restored')
    assert rows(restored) == rows(source)
    assert len(rows(restored)) == 500


def test_guests_hold_neither_the_backup_key_nor_swift_credentials(
        stack, api, swift_server):
    """They wrote and restored backups above with grants only."""
    make_instance(api, 'bk-config')
    configs = list(pathlib.Path(stack.state_path, 'servers').rglob(
        'guest.conf'))
    assert configs
    secrets = (BACKUP_KEY, swift_server.credentials['SWIFT_KEY'],
               swift_server.credentials['SWIFT_USER'])
    for config in configs:
        text = config.read_text()
        assert 'storage_strategy = swift' in text
        assert not [secret for secret in secrets if secret in text]


def test_incremental_chain_restores_the_rows_and_guards_its_parent(stack,
                                                                   api):
    source = make_instance(api, 'bk-chain')
    insert(source, 1, 200)
    full = backup_completed(api, source, 'chain-full')
    insert(source, 1000, 50)
    first = backup_completed(api, source, 'chain-inc-1',
                             parent_id=full['id'])
    assert first['parent_id'] == full['id']
    execute(source, "UPDATE t SET note = 'changed' WHERE id <= 10",
            'DELETE FROM t WHERE id BETWEEN 100 AND 110')
    second = backup_completed(api, source, 'chain-inc-2', incremental=1)
    assert second['parent_id'] == first['id']

    response = api.delete(f'/backups/{full["id"]}')
    assert response.status_code == 409, response.text
    assert first['id'] in response.json()['conflict']['message']
    assert backup_of(api, full['id'])['status'] == 'COMPLETED'

    restored = restore(api, second, 'bk-chain-restored')
    assert rows(restored) == rows(source)
    assert len(rows(restored)) == 250 - 11


def test_backup_of_a_deleted_instance_restores(stack, api):
    source = make_instance(api, 'bk-gone')
    insert(source, 1, 30)
    expected = rows(source)
    backup = backup_completed(api, source, 'outlives')
    assert api.delete(f'/instances/{source["id"]}').status_code == 202
    api.wait_gone(source['id'])
    assert backup_of(api, backup['id'])['status'] == 'COMPLETED'
    restored = restore(api, backup, 'bk-gone-restored')
    assert rows(restored) == expected


def test_delete_frees_the_quota_and_the_stored_object(stack, api, store):
    source = make_instance(api, 'bk-delete')
    insert(source, 1, 5)
    backup = backup_completed(api, source, 'to-delete')
    assert f'database_backups/demo/{backup["id"]}.xbstream' in \
        stored_objects(store, backup['id'])
    usage = backup_usage(stack)
    assert api.delete(f'/backups/{backup["id"]}').status_code == 202
    assert api.get(f'/backups/{backup["id"]}').status_code == 404
    assert backup_usage(stack) == usage - 1
    wait_until(lambda: not stored_objects(store, backup['id']))


def test_guest_killed_mid_backup_fails_it_and_refunds_the_quota(stack,
                                                                api,
                                                                store):
    source = make_instance(api, 'bk-killed')
    insert(source, 1, 100)
    usage = backup_usage(stack)
    backup = create_backup(api, source, 'killed')
    pid = wait_until(lambda: mariabackup_of(stack, source['id']),
                     timeout=30, interval=0.005)
    # Hold the stream where it is, then kill the whole guest.
    os.kill(pid, signal.SIGSTOP)
    os.killpg(stack.server_of(source['id'])['pid'], signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    failed = wait_backup(api, backup['id'], timeout=60)
    assert failed['status'] == 'FAILED'
    assert 'guest stopped responding' in failed['fault']
    assert backup_usage(stack) == usage
    assert not stored_objects(store, backup['id'])
    # The instance is no longer busy with it.
    assert api.instance(source['id'])['status'] != 'BACKUP'


def test_storage_down_mid_backup_fails_it_and_frees_all(stack, api, store,
                                                       swift_server):
    source = make_instance(api, 'bk-storage-down')
    insert(source, 1, 100)
    usage = backup_usage(stack)
    backup = create_backup(api, source, 'storage-down')
    assert backup_usage(stack) == usage + 1
    pid = wait_until(lambda: mariabackup_of(stack, source['id']),
                     timeout=30, interval=0.005)
    # Hold the stream where it is, take Swift's proxy away, go on.
    os.kill(pid, signal.SIGSTOP)
    try:
        swift_server.kill('proxy')
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        failed = wait_backup(api, backup['id'], timeout=60)
    finally:
        swift_server.restart_missing()
    assert failed['status'] == 'FAILED'
    assert 'Backup storage is unavailable' in failed['fault']
    assert swift_server.credentials['SWIFT_KEY'] not in failed['fault']
    assert backup_usage(stack) == usage
    assert api.wait_active(source['id'])['status'] == 'ACTIVE'
    assert not stored_objects(store, backup['id'])
    # A failed backup can be deleted, and costs nothing more.
    assert api.delete(f'/backups/{backup["id"]}').status_code == 202
    assert api.get(f'/backups/{backup["id"]}').status_code == 404
    assert backup_usage(stack) == usage
    # The storage serves the next backup again.
    backup_completed(api, source, 'storage-back')


def test_silent_guest_fails_its_backup_and_refunds_the_quota(stack, api):
    source = make_instance(api, 'bk-silent')
    usage = backup_usage(stack)
    pgid = stack.server_of(source['id'])['pid']
    os.killpg(pgid, signal.SIGSTOP)
    try:
        backup = create_backup(api, source, 'silent')
        # What needs the backup still running comes first: a show of the
        # instance asks its (silent) guest for the volume usage and waits
        # api_guest_call_timeout for it, by when the periodic check may
        # rightly have failed the backup (the CI failure: 202 here).
        running = api.delete(f'/backups/{backup["id"]}')
        assert running.status_code == 422, running.text
        # Only one backup of an instance at a time.
        second = api.post('/backups', {'backup': {
            'name': 'second', 'instance': source['id']}})
        assert second.status_code == 422, second.text
        assert 'BACKUP' in second.text
        listed = {item['id']: item['status']
                  for item in api.get('/instances').json()['instances']}
        assert listed[source['id']] == 'BACKUP'
        failed = wait_backup(api, backup['id'], timeout=60)
    finally:
        os.killpg(pgid, signal.SIGKILL)
    assert failed['status'] == 'FAILED'
    assert 'guest stopped responding' in failed['fault']
    assert backup_usage(stack) == usage
    assert api.instance(source['id'])['status'] != 'BACKUP'


def test_bad_backup_requests_are_refused_and_leave_nothing(stack, api):
    source = make_instance(api, 'bk-bad')
    usage = backup_usage(stack)
    count = len(api.get('/backups').json()['backups'])
    bad = [
        ({'backup': {'instance': source['id']}}, 400),
        ({'backup': {'name': 'x'}}, 400),
        ({'backup': {'name': 'x', 'instance': source['id'],
                     'incremental': 'yes'}}, 400),
        ({'backup': {'name': 'x', 'instance': source['id'],
                     'swift_container': '../etc'}}, 400),
        ({'backup': {'name': 'x', 'instance': source['id'],
                     'unknown': 1}}, 400),
        ({'backup': {'name': 'x', 'instance': source['id'],
                     'parent_id': '00000000-0000-4000-8000-000000000000'}},
         404),
        ({'backup': {'name': 'x',
                     'instance': '00000000-0000-4000-8000-000000000000'}},
         404),
        ({'backup': {'name': 'x', 'instance': source['id'],
                     'storage_driver': 'ceph'}}, 400),
        ({'backup': {'name': 'x', 'instance': source['id'],
                     'storage_driver': 'cinder', 'incremental': 1}}, 400),
        ({'backup': {'name': 'x', 'instance': source['id'],
                     'storage_driver': 'cinder',
                     'swift_container': 'elsewhere'}}, 400),
    ]
    for body, code in bad:
        response = api.post('/backups', body)
        assert response.status_code == code, (body, response.text)
    # Another project's instance and backups look absent.
    other = stack.api('other')
    response = other.post('/backups', {'backup': {
        'name': 'x', 'instance': source['id']}})
    assert response.status_code == 404, response.text
    assert backup_usage(stack) == usage
    assert len(api.get('/backups').json()['backups']) == count
    assert api.instance(source['id'])['status'] == 'ACTIVE'
    restore = api.post('/instances', {'instance': {
        'name': 'r', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'},
        'restorePoint': {'backupRef':
                         '00000000-0000-4000-8000-000000000000'}}})
    assert restore.status_code == 404, restore.text


def snapshot_path(stack, backup_id, project='demo'):
    return os.path.join(stack.state_path, 'snapshots', project, backup_id)


def test_cinder_backup_is_a_stopped_copy_of_the_volume_and_restores(
        stack, api):
    source = make_instance(api, 'bk-volume')
    insert(source, 1, 300)
    # What a hostile guest could plant in its volume: a link to a host
    # file, for the copies (made as root) to follow.
    planted = os.path.join(stack.volume_path(source['id']), 'leak')
    os.symlink('/etc/shadow', planted)
    shadow = os.stat('/etc/shadow')
    usage = backup_usage(stack)
    backup = create_backup(api, source, 'volume-1', storage_driver='cinder')
    assert backup['locationRef'] == f'cinder://{backup["id"]}'
    assert backup_usage(stack) == usage + 1
    done = wait_backup(api, backup['id'])
    assert done['status'] == 'COMPLETED', done
    assert done['size'] > 0
    # The source serves its rows again once the copy is taken.
    api.wait_active(source['id'])
    assert len(rows(source)) == 300

    # The copy is root's, out of every guest's view of the filesystem.
    kept = snapshot_path(stack, backup['id'])
    assert os.path.isdir(os.path.join(kept, 'mysql'))
    assert os.stat(kept).st_uid == 0
    assert os.stat(os.path.dirname(kept)).st_mode & 0o077 == 0
    guest_pid = stack.server_of(source['id'])['pid']
    seen = f'/proc/{guest_pid}/root{os.path.dirname(os.path.dirname(kept))}'
    assert os.listdir(seen) == []

    # A volume snapshot continues nothing.
    response = api.post('/backups', {'backup': {
        'name': 'inc', 'instance': source['id'], 'parent_id': backup['id']}})
    assert response.status_code == 400, response.text

    # Copied as the link it is, never as the host file's content.
    assert os.readlink(os.path.join(kept, 'leak')) == '/etc/shadow'

    insert(source, 1000, 5)  # after the backup: not in the restore
    restored = restore(api, done, 'bk-volume-restored')
    copied = os.path.join(stack.volume_path(restored['id']), 'leak')
    assert os.readlink(copied) == '/etc/shadow'
    # Giving the restored volume to its guest did not give it the file.
    after = os.stat('/etc/shadow')
    assert (after.st_uid, after.st_gid, after.st_mode) == (
        shadow.st_uid, shadow.st_gid, shadow.st_mode)
    assert len(rows(restored)) == 300
    assert list(rows(restored)) == [row for row in rows(source)
                                    if row[0] < 1000]
    # The restored instance is its own: the app user works, the source's
    # agent password does not matter.
    execute(restored, 'INSERT INTO t VALUES (2000, "new")')

    assert api.delete(f'/backups/{backup["id"]}').status_code == 202
    wait_until(lambda: not os.path.exists(kept))
    assert backup_usage(stack) == usage


def test_cinder_backup_of_another_project_is_not_restored(stack, api):
    source = make_instance(api, 'bk-volume-mine')
    done = backup_completed(api, source, 'mine', storage_driver='cinder')
    other = stack.api('other')
    response = other.post('/instances', {'instance': {
        'name': 'thief', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'},
        'restorePoint': {'backupRef': done['id']}}})
    assert response.status_code == 404, response.text
    assert os.path.isdir(snapshot_path(stack, done['id']))


def test_published_logs_are_read_with_troveclient_log_generator(
        stack, api, swift_server):
    """The published parts of a log are plain Swift objects with their
    line counts: python-troveclient's log_generator reads them unchanged."""
    instance = make_instance(api, 'logs')
    client = clients.troveclient(stack, 'demo')
    client.instances.log_action(instance['id'], 'slow_query', enable=True)
    needles = []
    for turn in range(2):
        needles.append(f'needle_{turn}_{os.urandom(4).hex()}')
        with connect(instance['ip'][0], 'app', APP_PASSWORD) as connection:
            cursor = connection.cursor()
            cursor.execute('SET SESSION long_query_time = 0')
            cursor.execute(f'SELECT 1 AS {needles[-1]}')
        client.instances.log_action(instance['id'], 'slow_query',
                                    publish=True)
    # The tenant reads its own account with its own credentials.
    swift = swiftclient.Connection(
        authurl=swift_server.credentials['SWIFT_AUTH_URL'],
        user=swift_server.credentials['SWIFT_DEMO_USER'],
        key=swift_server.credentials['SWIFT_DEMO_KEY'])

    whole = ''.join(client.instances.log_generator(
        instance['id'], 'slow_query', lines=0, swift=swift)())
    assert needles[0] in whole and needles[1] in whole
    assert whole.index(needles[0]) < whole.index(needles[1])
    last = ''.join(client.instances.log_generator(
        instance['id'], 'slow_query', lines=2, swift=swift)())
    assert len(last.splitlines()) == 2 and needles[0] not in last


def slow_query(instance, needle):
    with connect(instance['ip'][0], 'app', APP_PASSWORD) as connection:
        cursor = connection.cursor()
        cursor.execute('SET SESSION long_query_time = 0')
        cursor.execute(f'SELECT 1 AS {needle}')


def test_the_cli_tails_a_log_and_follows_it(stack, api, swift_server):
    instance = make_instance(api, 'tail')
    clients.troveclient(stack, 'demo').instances.log_action(
        instance['id'], 'slow_query', enable=True)
    url, token = swiftclient.get_auth(
        swift_server.credentials['SWIFT_AUTH_URL'],
        swift_server.credentials['SWIFT_DEMO_USER'],
        swift_server.credentials['SWIFT_DEMO_KEY'])
    storage = ['--storage-url', url, '--storage-token', token]
    first = f'needle_first_{os.urandom(4).hex()}'
    slow_query(instance, first)
    tail = clients.trove_lite(stack, 'demo', 'log', 'tail', instance['id'],
                              'slow_query', '--lines', '3', *storage)
    assert tail.code == 0, tail.stderr
    assert first in tail.stdout and len(tail.stdout.splitlines()) == 3

    follow = subprocess.Popen(
        [clients.console_script('trove-lite'), 'log', 'tail',
         instance['id'], 'slow_query', '--lines', '1', '--follow',
         '--interval', '1', *storage], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=clients.environment(
            TROVE_LITE_URL=stack.url, OS_PROJECT_ID='demo'))
    try:
        seen = []
        reader = threading.Thread(target=lambda: seen.extend(
            iter(follow.stdout.readline, '')), daemon=True)
        reader.start()
        # Its first pass prints the newest line (the query above) ...
        assert wait_until(lambda: seen, 60)
        assert first in seen[0] and len(seen) == 1
        # ... then what the log gains.
        later = f'needle_later_{os.urandom(4).hex()}'
        slow_query(instance, later)
        assert wait_until(lambda: any(later in line for line in seen), 60)
    finally:
        follow.kill()
        follow.wait()
