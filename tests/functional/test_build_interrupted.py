"""A taskmanager SIGKILLed at each point of a build: the build ends in a
defined state, and after the delete nothing of the instance is left
listening, running or on disk. The periodic reaper removes a guest no
instance owns, even one whose server record is gone."""

import json
import os
import signal

import pytest

from tests.functional import stack as stack_module
from trove_lite.compute.local import guest_users

pytestmark = pytest.mark.functional

ADMIN = {'X-Roles': 'admin'}


@pytest.fixture(scope='module')
def kill_stack(tmp_path_factory):
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('interrupted')),
        overrides={'DEFAULT': {'periodic_interval': '2',
                               'usage_timeout': '60'},
                   # A silent guest that says a word first, for its log.
                   'local_compute': {'guest_images': (
                       'silent:sh -c "echo the guest fell silent && '
                       'exec sleep 3600"')}})
    with deployment:
        yield deployment


@pytest.fixture
def kapi(kill_stack):
    return kill_stack.api('interrupted')


def processes_under(path):
    """Pids of processes working under ``path`` (also a removed one)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f'/proc/{entry}/cwd')
            with open(f'/proc/{entry}/stat') as stat:
                state = stat.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        cwd = cwd.removesuffix(' (deleted)')
        if (cwd == path or cwd.startswith(path + '/')) and state != 'Z':
            found.append(int(entry))
    return found


def volume_records(stack):
    folder = os.path.join(stack.state_path, 'volumes')
    records = []
    for name in os.listdir(folder):
        if name.endswith('.json'):
            with open(os.path.join(folder, name)) as record:
                records.append(json.load(record))
    return records


def reported(stack, instance_id):
    rows = stack.query('SELECT status_id FROM instance_service_statuses '
                       'WHERE instance_id = %s', instance_id)
    return bool(rows) and rows[0][0] != 0x17  # NEW


def server_of(stack, instance_id):
    return next((s for s in stack.servers()
                 if s['instance_id'] == instance_id), None)


# Where the build is when the taskmanager dies.
KILL_POINTS = {
    'at once': lambda stack, instance_id: True,
    'volume made': lambda stack, instance_id: any(
        v['instance_id'] == instance_id for v in volume_records(stack)),
    'server recorded': lambda stack, instance_id: server_of(
        stack, instance_id) is not None,
    'guest started': lambda stack, instance_id: (server_of(
        stack, instance_id) or {}).get('pid') is not None,
    'guest reported': reported,
}


def assert_nothing_left(stack, instance_id, addresses, volume_ids):
    state = stack.state_path
    assert processes_under(os.path.join(state, 'servers')) == []
    assert processes_under(os.path.join(state, 'volumes')) == []
    assert server_of(stack, instance_id) is None
    assert not set(volume_ids) & set(stack.volumes())
    assert not any(v['instance_id'] == instance_id
                   for v in volume_records(stack))
    for address in addresses:
        assert not stack_module._listening(address, 3306), address
    assert os.listdir(os.path.join(state, 'servers')) == []


@pytest.mark.parametrize('point', list(KILL_POINTS))
def test_taskmanager_killed_during_a_build_leaves_nothing_after_delete(
        kill_stack, kapi, point):
    created = kapi.create_instance(name=f'kill-{point.replace(" ", "-")}')
    instance_id = created['id']
    stack_module.wait_until(
        lambda: KILL_POINTS[point](kill_stack, instance_id), timeout=60,
        interval=0.002)
    kill_stack.stop_service('taskmanager', sig=signal.SIGKILL)
    server = server_of(kill_stack, instance_id)
    addresses = [server['address']] if server else []
    volume_ids = [v['id'] for v in volume_records(kill_stack)
                  if v['instance_id'] == instance_id]
    kill_stack.start_service('taskmanager')

    instance = kapi.wait_for(
        instance_id, lambda i: i['status'] != 'BUILD' or 'fault' in i,
        timeout=120)
    if instance['status'] == 'ERROR':
        instance = kapi.wait_build_failed(instance_id)
        assert 'create it again' in instance['fault']['message']
    else:
        instance = kapi.wait_active(instance_id)
    server = server_of(kill_stack, instance_id) or server
    if server:
        addresses = sorted(set(addresses) | {server['address']})
    assert kapi.delete(f'/instances/{instance_id}').status_code == 202
    kapi.wait_gone(instance_id, timeout=90)

    assert_nothing_left(kill_stack, instance_id, addresses, volume_ids)


def test_failed_build_keeps_its_guest_log_for_admins(kill_stack, kapi):
    created = kapi.create_instance(name='silent', datastore='mysql',
                                   version='silent')
    failed = kapi.wait_build_failed(created['id'], timeout=90)
    assert failed['fault']['details'] is None
    as_admin = kapi.get(f'/instances/{created["id"]}', headers=ADMIN)
    details = as_admin.json()['instance']['fault']['details']
    kept = os.path.join(kill_stack.state_path, 'logs', created['id'])
    logs = os.listdir(kept)
    assert len(logs) == 1
    with open(os.path.join(kept, logs[0])) as log:
        text = log.read()
    assert 'the guest fell silent' in details
    assert details in text
    assert server_of(kill_stack, created['id']) is None
    kapi.delete(f'/instances/{created["id"]}')
    kapi.wait_gone(created['id'])


def test_reaper_stops_a_guest_whose_record_is_lost(kill_stack, kapi):
    instance = kapi.wait_active(kapi.create_instance(name='lost')['id'])
    server = server_of(kill_stack, instance['id'])
    sandbox = os.path.join(kill_stack.state_path, 'servers', server['id'])
    # A crash lost the server's record, and the instance was deleted.
    os.remove(os.path.join(sandbox, 'server.json'))
    kill_stack.query('UPDATE instances SET deleted = 1 WHERE id = %s',
                     instance['id'])

    stack_module.wait_until(
        lambda: not processes_under(sandbox) and not processes_under(
            os.path.join(kill_stack.state_path, 'volumes',
                         server['volume_id'])), timeout=60)
    assert not stack_module._listening(server['address'], 3306)
    stack_module.wait_until(lambda: server['volume_id'] not in
                            kill_stack.volumes(), timeout=30)
    assert 'removing orphan server' in kill_stack.log('taskmanager')
    # Its broker user too (a credential of a deleted instance), found by
    # the volume its server left.
    stack_module.wait_until(
        lambda: f'trove-guest-{instance["id"]}' not in kill_stack.rabbitmqctl(
            'list_users', '--no-table-headers').split(), timeout=30)
    # And its Unix user, found by the sandbox it owned.
    stack_module.wait_until(
        lambda: not guest_users.is_guest_user(server['uid']), timeout=30)
    # The reaper and the deletes of this module's earlier tests met on
    # servers: each server was removed once, no remove failed.
    assert 'userdel failed' not in kill_stack.log('taskmanager')
