"""Several taskmanagers against one broker and database: two
taskmanagers, two conductors and two API processes on hosts of their own
share the work; every request is handled once, a taskmanager joining
mid-build changes nothing, and the builds of a SIGKILLed taskmanager are
finished or failed by another one once its lease lapses, with nothing
left behind.

The local driver runs with ``shared_state`` (every taskmanager of this
machine reaches every server), so any taskmanager takes any request as
with Nova; a host-local deployment's routing is in
test_scale_out_routing.py."""

import collections
import concurrent.futures
import os
import pwd
import signal
import subprocess
import time

import pytest

from tests.functional import multihost
from tests.functional import stack as stack_module
from tests.functional.test_build_interrupted import processes_under

pytestmark = pytest.mark.functional

LEASE = 6
INSTANCES = 20
PROJECT = 'scale'


@pytest.fixture(scope='module')
def shared(tmp_path_factory):
    deployment = multihost.MultiHostStack(
        str(tmp_path_factory.mktemp('scale-tm')),
        overrides={'DEFAULT': {'taskmanager_lease_timeout': str(LEASE),
                               'periodic_interval': '5'},
                   'local_compute': {'shared_state': 'true'}})
    try:
        deployment.setup()
        for service in ('taskmanager', 'conductor', 'api'):
            deployment.start_on(service, 'host-b')
        stack_module.wait_until(lambda: hosts_up(deployment) >= 2,
                                timeout=60)
        yield deployment
    finally:
        deployment.teardown()


def hosts_up(deployment):
    return sum(1 for row in deployment.service_list()
               if row[1] == 'trove-lite-taskmanager' and row[4] == 'up')


def in_parallel(function, items, workers=10):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, items))


def ends_by_instance(notes):
    """{(event type, instance id): [publishing hosts]} of .end events."""
    found = collections.defaultdict(list)
    for note in notes:
        if note['event_type'].endswith('.end'):
            found[(note['event_type'], note['payload'].get(
                'instance_id'))].append(note['publisher_id'])
    return found


def guest_accounts(deployment):
    first, last = map(int, deployment.uid_range.split('-'))
    return [entry.pw_name for entry in pwd.getpwall()
            if first <= entry.pw_uid <= last]


def broker_users(deployment, instance_ids):
    out = subprocess.run(['rabbitmqctl', '-q', 'list_users'],
                         capture_output=True, text=True, check=True,
                         timeout=60).stdout
    return [instance_id for instance_id in instance_ids
            if f'trove-guest-{instance_id}' in out]


def assert_nothing_left(deployment, instance_ids):
    assert deployment.servers() == []
    for folder in ('servers', 'volumes'):
        assert processes_under(os.path.join(deployment.state_path,
                                            folder)) == []
    assert deployment.volumes() == []
    assert guest_accounts(deployment) == []
    assert broker_users(deployment, instance_ids) == []
    assert deployment.query('SELECT instance_id FROM instance_claims') == ()
    live = deployment.query('SELECT id FROM instances WHERE deleted = 0 '
                            'AND tenant_id = %s', PROJECT)
    assert live == ()


def action(api, instance_id, body):
    response = api.post(f'/instances/{instance_id}/action', body)
    assert response.status_code == 202, response.text


def test_parallel_creates_actions_and_deletes_each_run_once(shared):
    apis = [shared.api(PROJECT), shared.api_on('host-b', PROJECT)]
    shared.drain_notifications()

    created = in_parallel(lambda index: apis[index % 2].create_instance(
        name=f'many-{index}'), range(INSTANCES))
    ids = [instance['id'] for instance in created]
    # A taskmanager joining mid-build takes new work, never running work.
    stack_module.wait_until(lambda: shared.query(
        'SELECT COUNT(*) FROM instance_claims')[0][0] > 0, timeout=60)
    third = shared.start_on('taskmanager', 'host-c')
    in_parallel(lambda index: apis[index % 2].wait_active(
        ids[index], timeout=900), range(INSTANCES))

    # Restarts and volume resizes in parallel, through both APIs.
    in_parallel(lambda index: action(
        apis[index % 2], ids[index],
        {'restart': {}} if index % 2 else
        {'resize': {'volume': {'size': 2}}}), range(INSTANCES))
    done = in_parallel(lambda index: apis[index % 2].wait_for(
        ids[index], lambda i: i['status'] in ('ACTIVE', 'ERROR') and (
            index % 2 or i['volume']['size'] == 2), timeout=600),
        range(INSTANCES))
    assert [instance['status'] for instance in done] == \
        ['ACTIVE'] * INSTANCES

    in_parallel(lambda index: apis[index % 2].delete(
        f'/instances/{ids[index]}'), range(INSTANCES))
    in_parallel(lambda index: apis[index % 2].wait_gone(ids[index],
                                                        timeout=600),
                range(INSTANCES))

    ends = collections.defaultdict(list)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _merge(ends, shared.drain_notifications())
        if all(('trove.instance.delete.end', i) in ends for i in ids):
            break
        time.sleep(0.5)
    builders = collections.Counter()
    for index, instance_id in enumerate(ids):
        # Each request was handled exactly once, by one taskmanager.
        creates = ends[('trove.instance.create.end', instance_id)]
        assert len(creates) == 1, (instance_id, creates)
        builders[creates[0]] += 1
        assert len(ends[('trove.instance.delete.end', instance_id)]) == 1
        done_action = 'restart' if index % 2 else 'resize_volume'
        assert len(ends[(f'trove.instance.{done_action}.end',
                         instance_id)]) == 1, (instance_id, done_action)
    # The broker spread the builds over the taskmanagers.
    assert len(builders) >= 2, builders
    for name in ('taskmanager', 'taskmanager@host-b', third):
        log = shared.log(name)
        assert 'went away' not in log and 'taken over' not in log
    assert_nothing_left(shared, ids)
    shared.stop_extra(third)


def _merge(ends, notes):
    for key, hosts in ends_by_instance(notes).items():
        ends[key].extend(hosts)


def owner_of(deployment, instance_id):
    rows = deployment.query('SELECT host FROM instance_claims WHERE '
                            'instance_id = %s', instance_id)
    return rows[0][0] if rows else None


@pytest.mark.parametrize('version', ['silent', None],
                         ids=['guest never answers', 'guest answers'])
def test_a_killed_taskmanagers_build_is_taken_over_after_the_lease(
        shared, version):
    api = shared.api(PROJECT)
    kind = {'datastore': 'mysql', 'version': 'silent'} if version else {}
    instance_id = api.create_instance(name='orphaned', **kind)['id']
    owner = stack_module.wait_until(lambda: owner_of(shared, instance_id),
                                    timeout=60)
    # Once the server runs, so that there is something to leak.
    stack_module.wait_until(lambda: any(
        server['instance_id'] == instance_id and server.get('pid')
        for server in shared.servers()), timeout=120, interval=0.01)
    victim = 'taskmanager' if owner == multihost.BASE_HOST \
        else f'taskmanager@{owner}'
    survivor_host = 'host-b' if owner == multihost.BASE_HOST \
        else multihost.BASE_HOST
    killed_at = time.monotonic()
    shared.stop_service(victim, sig=signal.SIGKILL)

    new_owner = stack_module.wait_until(
        lambda: owner_of(shared, instance_id) not in (owner,) and (
            owner_of(shared, instance_id) or 'released'), timeout=120,
        interval=0.05)
    took = time.monotonic() - killed_at
    # Not before the lease lapsed (the registry's clock: allow a second).
    assert took >= LEASE - 1, took
    assert new_owner in (survivor_host, 'released')

    if version == 'silent':
        failed = api.wait_build_failed(instance_id, timeout=120)
        # Failed by the take-over ("went away"), or by the periodic check
        # of builds past their usage timeout ("lost"), whichever took the
        # lapsed claim first: the silent image's is only 6 s.
        assert 'create it again' in failed['fault']['message']
        # Failed cleanly: its server is gone already.
        stack_module.wait_until(lambda: not any(
            server['instance_id'] == instance_id
            for server in shared.servers()), timeout=60)
    else:
        done = api.wait_for(instance_id, lambda i: i['status'] != 'BUILD'
                            or 'fault' in i, timeout=180)
        assert done['status'] in ('ACTIVE', 'ERROR'), done
    survivor = 'taskmanager' if survivor_host == multihost.BASE_HOST \
        else 'taskmanager@host-b'
    assert f'taken over from {owner}' in shared.log(survivor)

    assert api.delete(f'/instances/{instance_id}').status_code == 202
    api.wait_gone(instance_id, timeout=120)
    # The killed one back, as its host's operator would restart it.
    if victim == 'taskmanager':
        shared.start_service('taskmanager')
    else:
        shared.start_on('taskmanager', owner)
    stack_module.wait_until(lambda: hosts_up(shared) >= 2, timeout=60)
    assert_nothing_left(shared, [instance_id])
