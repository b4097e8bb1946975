"""Backups on the quickstart's default: the ``local`` storage strategy
with contained guests (each a unix user of its own in a mount namespace of
its own). A guest writes and reads its own project's directory only; the
attacks of another tenant's guest, and of its tenant root, are refused.
"""

import errno
import json
import os
import signal
import stat
import subprocess

import pytest

from tests.functional import stack as stack_module
from tests.functional.backup_helpers import backup_completed
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
from trove_lite.compute.local import storage_access

pytestmark = pytest.mark.functional

PYTHON = '/usr/bin/python3'
PROJECT = 'bkl-demo'
INTRUDER = 'bkl-intruder'
# Each attempt's outcome: "done" or the OSError's class name.
PROBE = (
    'import json, os, sys\n'
    'outcomes = {}\n'
    'for kind, path in json.loads(sys.argv[1]):\n'
    '    try:\n'
    '        if kind == "read":\n'
    '            open(path, "rb").read(1)\n'
    '        elif kind == "list":\n'
    '            os.listdir(path)\n'
    '        elif kind == "write":\n'
    '            open(path, "ab").close()\n'
    '        elif kind == "symlink":\n'
    '            target, link = path.split("|")\n'
    '            os.symlink(target, link)\n'
    '        outcomes[kind + " " + path] = "done"\n'
    '    except OSError as error:\n'
    '        outcomes[kind + " " + path] = type(error).__name__\n'
    'print(json.dumps(outcomes))\n')


def storage_root(stack):
    return os.path.join(stack.state_path, 'storage')


def stored_file(stack, backup, project=None):
    return os.path.join(storage_root(stack), project or PROJECT,
                        'database_backups',
                        f'{backup["id"]}.xbstream')


def probe(stack, instance_id, attempts, in_namespace):
    """Run PROBE as the guest's user: in the guest's own mount namespace
    (what its agent and database see), or in the host's (what is left
    when the namespace is gone)."""
    server = stack.server_of(instance_id)
    as_guest = ['setpriv', f'--reuid={server["uid"]}',
                f'--regid={server["gid"]}', '--clear-groups', '--']
    command = as_guest + [PYTHON, '-c', PROBE, json.dumps(attempts)]
    if in_namespace:
        command = ['nsenter', f'--target={server["pid"]}', '--mount',
                   '--'] + command
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=30, check=True, cwd='/')
    return json.loads(result.stdout)


def user_entries(path):
    """The uids a file's ACL names."""
    try:
        raw = os.getxattr(path, 'system.posix_acl_access',
                          follow_symlinks=False)
    except OSError as error:
        assert error.errno == errno.ENODATA
        return set()
    return {uid for (tag, uid) in storage_access._decode(raw)
            if tag == storage_access._USER}


@pytest.fixture(scope='module')
def stack(tmp_path_factory):
    """A stack of its own with the quickstart's storage (the default:
    local, guests contained), whose taskmanager notices a dead guest
    within seconds."""
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('backups-local')), overrides={
            'DEFAULT': {'agent_heartbeat_expiry': '20',
                        'periodic_interval': '2'}})
    with deployment:
        yield deployment


@pytest.fixture(scope='module')
def source(stack):
    """An instance with rows and a full backup."""
    assert not {'storage_strategy', 'storage_local_path'} & set(
        stack.config()['DEFAULT'])
    api = stack.api(PROJECT)
    instance = make_instance(api, 'bkl-source')
    insert(instance, 1, 300)
    backup = backup_completed(api, instance, 'bkl-full')
    return instance, backup


@pytest.fixture(scope='module')
def intruder(stack):
    """Another tenant's instance, its root enabled: (instance, root
    password)."""
    api = stack.api(INTRUDER)
    created = api.create_instance(name='intruder')
    instance = api.wait_active(created['id'], timeout=120)
    response = api.post(f'/instances/{instance["id"]}/root')
    assert response.status_code == 200, response.text
    return instance, response.json()['user']['password']


def test_local_backup_restores_the_rows(stack, source):
    api = stack.api(PROJECT)
    instance, backup = source
    path = stored_file(stack, backup)
    assert backup['locationRef'] == \
        f'local://database_backups/{PROJECT}/{backup["id"]}.xbstream'
    info = os.lstat(path)
    # Written by the guest's user, open to the project's guests only.
    assert info.st_uid == stack.server_of(instance['id'])['uid']
    assert stat.S_IMODE(info.st_mode) & 0o007 == 0
    assert stack.server_of(instance['id'])['uid'] in user_entries(path)
    project_dir = os.lstat(os.path.join(storage_root(stack), PROJECT))
    assert (project_dir.st_uid, stat.S_IMODE(project_dir.st_mode)) == \
        (0, 0o770)
    assert stat.S_IMODE(os.lstat(storage_root(stack)).st_mode) == 0o711

    restored = restore(api, backup, 'bkl-restored')
    assert rows(restored) == rows(instance)
    assert len(rows(restored)) == 300
    assert stack.server_of(restored['id'])['uid'] != \
        stack.server_of(instance['id'])['uid']


def test_local_incremental_chain_restores_the_rows(stack, source):
    api = stack.api(PROJECT)
    instance, full = source
    insert(instance, 1000, 40)
    first = backup_completed(api, instance, 'bkl-inc-1',
                             parent_id=full['id'])
    execute(instance, 'DELETE FROM t WHERE id <= 20')
    second = backup_completed(api, instance, 'bkl-inc-2', incremental=1)
    assert second['parent_id'] == first['id']
    restored = restore(api, second, 'bkl-chain-restored')
    assert rows(restored) == rows(instance)
    assert len(rows(restored)) == 340 - 20


def test_another_projects_guest_cannot_reach_the_backups(stack, source,
                                                         intruder):
    own, backup = source
    instance, _password = intruder
    path = stored_file(stack, backup)
    demo_dir = os.path.join(storage_root(stack), PROJECT)
    attempts = [('read', path), ('list', demo_dir),
                ('list', os.path.join(demo_dir, 'database_backups')),
                ('write', os.path.join(demo_dir, 'x')),
                ('list', storage_root(stack))]
    # In its namespace, the other project is not even there; outside it
    # (were the namespace lost), the permissions refuse.
    inside = probe(stack, instance['id'], attempts, in_namespace=True)
    assert set(inside.values()) <= {'FileNotFoundError',
                                    'PermissionError'}, inside
    assert inside[f'read {path}'] == 'FileNotFoundError'
    outside = probe(stack, instance['id'], attempts, in_namespace=False)
    assert set(outside.values()) == {'PermissionError'}, outside
    # The project's own guest reads it, both ways.
    for in_namespace in (True, False):
        allowed = probe(stack, own['id'], [('read', path)], in_namespace)
        assert allowed == {f'read {path}': 'done'}, allowed
    assert not os.path.exists(os.path.join(demo_dir, 'x'))


def test_tenant_root_cannot_read_or_restore_another_projects_backup(
        stack, source, intruder):
    _own, backup = source
    instance, password = intruder
    with connect(instance['ip'][0], 'root', password) as db:
        cursor = db.cursor()
        cursor.execute('SELECT LOAD_FILE(%s)', (stored_file(stack, backup),))
        assert cursor.fetchone() == (None,)
    api = stack.api(INTRUDER)
    assert api.get(f'/backups/{backup["id"]}').status_code == 404
    response = api.post('/instances', {'instance': {
        'name': 'steal', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'},
        'restorePoint': {'backupRef': backup['id']}}})
    assert response.status_code == 404, response.text


def test_planted_links_are_not_opened_to_the_project(stack, intruder):
    """A guest plants a symlink to a host file in its project's
    directory; opening the directory to the project's next guest leaves
    the host file as it was."""
    instance, _password = intruder
    project_dir = os.path.join(storage_root(stack), INTRUDER)
    link = os.path.join(project_dir, 'shadow')
    before = os.stat('/etc/shadow')
    planted = probe(stack, instance['id'],
                    [('symlink', f'/etc/shadow|{link}')], in_namespace=True)
    assert set(planted.values()) == {'done'}, planted
    api = stack.api(INTRUDER)
    second = api.wait_active(api.create_instance(name='second')['id'],
                             timeout=120)
    uid = stack.server_of(second['id'])['uid']
    assert uid in user_entries(project_dir)
    assert user_entries('/etc/shadow') == set()
    after = os.stat('/etc/shadow')
    assert (after.st_uid, after.st_mode) == (before.st_uid, before.st_mode)
    assert os.path.islink(link)


def test_a_deleted_guests_uid_keeps_nothing(stack):
    api = stack.api(PROJECT)
    instance = make_instance(api, 'bkl-deleted')
    insert(instance, 1, 5)
    backup = backup_completed(api, instance, 'bkl-of-deleted')
    uid = stack.server_of(instance['id'])['uid']
    path = stored_file(stack, backup)
    assert uid in user_entries(path)
    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    api.wait_gone(instance['id'])
    for directory, _dirs, names in os.walk(storage_root(stack)):
        for name in [directory] + [os.path.join(directory, name)
                                   for name in names]:
            if os.path.islink(name):
                continue  # the intruder's plant
            assert uid not in user_entries(name), name
            assert os.lstat(name).st_uid != uid, name
    # The backup outlives its guest and restores.
    restored = restore(api, backup, 'bkl-deleted-restored')
    assert len(rows(restored)) == 5


def test_guest_killed_mid_backup_leaves_nothing_stored(stack):
    """What the guest was writing (a ``.tmp-`` file in the project's
    directory) is removed by the control plane once the backup fails."""
    api = stack.api(PROJECT)
    instance = make_instance(api, 'bkl-killed')
    insert(instance, 1, 100)
    backup = create_backup(api, instance, 'bkl-killed')
    pid = wait_until(lambda: mariabackup_of(stack, instance['id']),
                     timeout=30, interval=0.005)
    os.kill(pid, signal.SIGSTOP)
    container = os.path.dirname(stored_file(stack, backup))
    # The guest's partial object is there while the stream is held.
    wait_until(lambda: [name for name in os.listdir(container)
                        if backup['id'] in name], timeout=30)
    os.killpg(stack.server_of(instance['id'])['pid'], signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    failed = wait_backup(api, backup['id'], timeout=120)
    assert failed['status'] == 'FAILED'
    assert not [name for name in os.listdir(container)
                if backup['id'] in name]
