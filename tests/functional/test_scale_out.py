"""Several conductors and API processes on different hosts against one
broker and database: the service registry, rate limits that hold across
API processes, and the lastseen guarantee with two conductors."""

import concurrent.futures
import random
import time

import pytest

from tests.functional import multihost
from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional

GETS_PER_MINUTE = 6


@pytest.fixture(scope='module')
def hosts(tmp_path_factory):
    """The base stack (host-a) plus a conductor on host-b, and two API
    processes with a low GET rate on hosts rl-a and rl-b."""
    deployment = multihost.MultiHostStack(
        str(tmp_path_factory.mktemp('scale-out')))
    try:
        deployment.setup()
        deployment.start_on('conductor', 'host-b')
        for host in ('rl-a', 'rl-b'):
            deployment.start_on('api', host,
                                http_get_rate=GETS_PER_MINUTE)
        yield deployment
    finally:
        deployment.teardown()


def states(deployment):
    return {(row[1], row[2]): row[4] for row in deployment.service_list()}


def test_service_list_shows_each_taskmanager_and_conductor_by_host(hosts):
    expected = {('trove-lite-conductor', 'host-a'): 'up',
                ('trove-lite-conductor', 'host-b'): 'up',
                ('trove-lite-taskmanager', 'host-a'): 'up'}
    stack_module.wait_until(lambda: states(hosts) == expected)
    topics = {row[2]: row[3] for row in hosts.service_list()
              if row[1] == 'trove-lite-conductor'}
    assert topics == {'host-a': 'trove-conductor',
                      'host-b': 'trove-conductor'}

    name = hosts.start_on('conductor', 'host-c')
    stack_module.wait_until(lambda: states(hosts).get(
        ('trove-lite-conductor', 'host-c')) == 'up')
    # Down once stopped: at once after a clean stop, else when its
    # heartbeats are service_down_time old.
    hosts.stop_extra(name)
    stack_module.wait_until(lambda: states(hosts) == {
        **expected, ('trove-lite-conductor', 'host-c'): 'down'}, timeout=30)


def test_rate_limits_hold_across_api_processes_and_hosts(hosts):
    clients = [hosts.api_on(host, 'spread') for host in ('rl-a', 'rl-b')]
    # 4 worker processes on 2 hosts; in parallel, so requests race.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(
            lambda index: clients[index % 2].get('/flavors').status_code,
            range(4 * GETS_PER_MINUTE)))
    assert sorted(codes) == [200] * GETS_PER_MINUTE + \
        [413] * (3 * GETS_PER_MINUTE)
    for client in clients:
        refused = client.get('/flavors')
        assert refused.status_code == 413
        assert refused.json()['overLimit']['details'] == (
            f'Only {GETS_PER_MINUTE} GET request(s) can be made to * every '
            f'minute.')
    # Another project's count is its own.
    assert hosts.api_on('rl-b', 'calm').get('/flavors').status_code == 200


def test_two_conductors_keep_the_newest_report_whatever_the_order(hosts):
    api = hosts.api('reorder')
    instance = api.create_instance(name='reorder', datastore='mysql',
                                   version='silent')
    stack_module.wait_until(lambda: hosts.instance_key(instance['id']))
    base = time.time()
    reports = []
    for index in range(40):
        status = 'shutdown' if index % 2 else 'healthy'
        reports.append((base + index, status))
    newest_sent, newest_status = reports[-1]
    random.Random(17).shuffle(reports)
    casts = [(('host-a', 'host-b')[index % 2], 'heartbeat',
              {'instance_id': instance['id'],
               'payload': {'service_status': status}, 'sent': sent})
             for index, (sent, status) in enumerate(reports)]
    hosts.casts(stack_module.CONDUCTOR_TOPIC, instance['id'], casts)

    def lastseen():
        rows = hosts.query('SELECT sent FROM conductor_lastseen WHERE '
                           'instance_id = %s', instance['id'])
        return rows and rows[0][0] == newest_sent
    stack_module.wait_until(lastseen, timeout=60)
    # Every report has been handled once the queues are empty.
    stack_module.wait_until(lambda: all(
        count == 0 for name, count in hosts.queues().items()
        if name.startswith('trove-conductor')))
    status = hosts.query('SELECT status_description FROM '
                         'instance_service_statuses WHERE instance_id = %s',
                         instance['id'])
    assert status[0][0].lower() == newest_status
    # Both conductors dropped late reports the other had overtaken.
    drops = [hosts.log(name).count(f'Heartbeat from {instance["id"]} '
                                   'dropped: stale')
             for name in ('conductor', 'conductor@host-b')]
    assert sum(drops) > 0, drops
    # None was lost to a race between them.
    for name in ('conductor', 'conductor@host-b'):
        assert 'Deadlock' not in hosts.log(name)
    # The silent guest never reports on its own: its build ends at the
    # usage timeout, and an instance in BUILD cannot be deleted (Trove).
    api.wait_for(instance['id'], lambda i: i['status'] != 'BUILD',
                 timeout=120)
    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    api.wait_gone(instance['id'], timeout=120)
