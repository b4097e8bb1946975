"""Host-local servers (the local driver's default): two taskmanager hosts,
each with its own state directory, addresses and guest uids, as two
machines would have. New instances go to the live host with the most
room, every later request to that host's own queue
(``taskmanager.<host>``), and a deployment with no room refuses a create
with 503, leaving nothing."""

import collections
import contextlib
import os
import shutil
import tempfile

import pytest

from tests.functional import multihost
from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional

ROOM = 2  # servers per host


@pytest.fixture(scope='module')
def hosts(tmp_path_factory):
    other_state = tempfile.mkdtemp(prefix='tl-state-b-')
    os.chmod(other_state, 0o711)
    deployment = multihost.MultiHostStack(
        str(tmp_path_factory.mktemp('scale-routing')),
        overrides={'local_compute': {'max_servers': str(ROOM)}})
    deployment.other_state = other_state
    try:
        deployment.setup()
        deployment.start_on('taskmanager', 'host-b', sections={
            'local_compute': {
                'state_path': other_state,
                'address_pools': stack_module.free_address_pool(),
                'guest_uid_range': stack_module.free_uid_range()}})
        stack_module.wait_until(lambda: sorted(
            row[2] for row in deployment.service_list()
            if row[1] == 'trove-lite-taskmanager' and row[4] == 'up') == [
                'host-a', 'host-b'], timeout=60)
        yield deployment
    finally:
        with contextlib.suppress(Exception):
            deployment.teardown()
        # Host B's guests, users and memory cgroups (its parent group
        # among them), as the stack's teardown does for host A's.
        stack_module.kill_guests(other_state)
        shutil.rmtree(other_state, ignore_errors=True)


def placements(deployment):
    return dict(deployment.query('SELECT id, host FROM instances WHERE '
                                 'deleted = 0'))


def test_instances_are_placed_by_room_and_requests_go_to_their_host(hosts):
    api = hosts.api('routed')
    ids = [api.create_instance(name=f'routed-{index}')['id']
           for index in range(2 * ROOM)]
    where = placements(hosts)
    assert collections.Counter(where.values()) == {'host-a': ROOM,
                                                   'host-b': ROOM}
    for instance_id in ids:
        api.wait_active(instance_id, timeout=300)
    # Each server is on its host's own disk.
    state = {'host-a': hosts.state_path, 'host-b': hosts.other_state}
    for instance_id, host in where.items():
        assert [server['instance_id'] for server in
                stack_module.server_records(state[host])].count(
                    instance_id) == 1

    # No room left anywhere: refused, and nothing written.
    before = hosts.query('SELECT COUNT(*) FROM instances')[0][0]
    response = api.post('/instances', {'instance': {
        'name': 'no-room', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}}})
    assert response.status_code == 503, response.text
    assert 'No valid host' in response.json()['serviceUnavailable'][
        'message']
    assert hosts.query('SELECT COUNT(*) FROM instances')[0][0] == before

    # A restart is run by the instance's own host's taskmanager.
    on_b = next(i for i, host in where.items() if host == 'host-b')
    assert api.post(f'/instances/{on_b}/action',
                    {'restart': {}}).status_code == 202
    api.wait_for(on_b, lambda i: i['status'] == 'ACTIVE', timeout=120)
    stack_module.wait_until(
        lambda: f'restart of {on_b} done' in hosts.log(
            'taskmanager@host-b'), timeout=30)
    assert f'restart of {on_b}' not in hosts.log('taskmanager')

    for instance_id in ids:
        assert api.delete(f'/instances/{instance_id}').status_code == 202
    for instance_id in ids:
        api.wait_gone(instance_id, timeout=120)
    assert stack_module.server_records(hosts.state_path) == []
    assert stack_module.server_records(hosts.other_state) == []
    for instance_id, host in where.items():
        service = 'taskmanager' if host == 'host-a' else 'taskmanager@host-b'
        # Logged once the row is gone: a moment after the API shows it so.
        stack_module.wait_until(
            lambda line=f'Instance {instance_id} deleted', name=service:
            line in hosts.log(name), timeout=30)
