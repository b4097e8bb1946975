"""Faults injected into a real stack: every one ends in a defined state.

These tests stop and start the broker, the control-plane database and the
services, so they run on a deployment with a RabbitMQ node and a MariaDB
of its own (nothing else on the machine is disturbed).
"""

import os
import signal
import time

import pytest

from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional


@pytest.fixture(scope='module')
def fault_stack(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('faults'))
    rabbit = stack_module.PrivateRabbitMQ(base)
    database = stack_module.PrivateMariaDB(base)
    deployment = stack_module.Stack(
        base, rabbit=rabbit, database=database,
        overrides={'DEFAULT': {'periodic_interval': '2',
                               'usage_timeout': '60'},
                   'database': {'max_retries': '30'}})
    try:
        rabbit.start()
        database.start()
        deployment.setup()
        yield deployment
    finally:
        deployment.teardown()
        database.stop()
        rabbit.stop()


@pytest.fixture
def fapi(fault_stack):
    return fault_stack.api('faults')


def server_of(stack, instance_id):
    return next((s for s in stack.servers()
                 if s['instance_id'] == instance_id), None)


def assert_nothing_left(stack, instance_id):
    assert server_of(stack, instance_id) is None
    volumes = stack.query('SELECT volume_id FROM instances WHERE id = %s',
                          instance_id)
    for (volume_id,) in volumes:
        assert volume_id is None or volume_id not in stack.volumes()


def test_broker_restart_during_creates_loses_nothing(fault_stack, fapi):
    created = [fapi.create_instance(name=f'broker{i}') for i in range(3)]
    fault_stack.rabbit.stop_app()
    try:
        time.sleep(3)
    finally:
        fault_stack.rabbit.start_app()
    # A create sent right after the broker is back is not lost either.
    created.append(fapi.create_instance(name='after-restart'))
    for instance in created:
        fapi.wait_active(instance['id'], timeout=120)
    # Heartbeats flow again: the status keeps being refreshed.
    first = fault_stack.query(
        'SELECT updated_at FROM instance_service_statuses '
        'WHERE instance_id = %s', created[0]['id'])[0][0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        again = fault_stack.query(
            'SELECT updated_at FROM instance_service_statuses '
            'WHERE instance_id = %s', created[0]['id'])[0][0]
        if again > first:
            break
        time.sleep(0.5)
    assert again > first
    # And the guests answer calls again (their consumers came back, their
    # answers reach the caller).
    for instance in created:
        answer = fapi.post(f'/instances/{instance["id"]}/databases',
                           {'databases': [{'name': 'after_restart'}]})
        assert answer.status_code == 202, answer.text
        listed = fapi.get(f'/instances/{instance["id"]}/databases')
        assert listed.status_code == 200, listed.text
        assert 'after_restart' in {database['name'] for database
                                   in listed.json()['databases']}
    for instance in created:
        fapi.delete(f'/instances/{instance["id"]}')


def test_conductor_down_heartbeats_wait_and_apply_on_return(fault_stack,
                                                            fapi):
    fault_stack.stop_service('conductor')
    try:
        created = fapi.create_instance(name='no-conductor')
        # The guest is up and reporting, but nobody applies its reports.
        deadline = time.monotonic() + 30
        while server_of(fault_stack, created['id']) is None and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)
        assert fapi.instance(created['id'])['status'] == 'BUILD'
        waiting = fault_stack.queues().get(
            fault_stack.config()['DEFAULT'].get('conductor_queue',
                                                'trove-conductor'), 0)
        assert waiting >= 1
    finally:
        fault_stack.start_service('conductor')
    fapi.wait_active(created['id'], timeout=60)
    fapi.delete(f'/instances/{created["id"]}')


def test_stale_duplicate_and_unknown_heartbeats_change_nothing(fault_stack,
                                                               fapi):
    instance = fapi.wait_active(fapi.create_instance(name='stale')['id'])
    fault_stack.cast_to_conductor('heartbeat', instance_id=instance['id'],
                      payload={'service_status': 'shutdown'}, sent=1.0)
    fault_stack.cast_to_conductor('heartbeat',
                      instance_id='00000000-0000-0000-0000-000000000000',
                      payload={'service_status': 'healthy'},
                      sent=time.time())
    fault_stack.cast_to_conductor('heartbeat', instance_id=instance['id'],
                      payload={'service_status': 'no such status'},
                      sent=time.time() + 1000)
    time.sleep(2)
    assert fapi.instance(instance['id'])['operating_status'] == 'HEALTHY'
    assert fault_stack.processes['conductor'].poll() is None
    log = fault_stack.log('conductor')
    assert 'dropped: stale, or the instance is unknown' in log
    assert "unknown status 'no such status' dropped" in log
    fapi.delete(f'/instances/{instance["id"]}')


def test_taskmanager_killed_while_guest_silent_build_fails_cleanly(
        fault_stack, fapi):
    created = fapi.create_instance(name='tm-kill', datastore='mysql',
                                   version='silent')
    deadline = time.monotonic() + 30
    while server_of(fault_stack, created['id']) is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    fault_stack.stop_service('taskmanager', sig=signal.SIGKILL)
    server = server_of(fault_stack, created['id'])
    fault_stack.start_service('taskmanager')
    instance = fapi.wait_for(created['id'], lambda i: i['status'] != 'BUILD',
                             timeout=60)
    assert instance['status'] == 'ERROR'
    # Reconciliation or the periodic check (whichever comes first here,
    # with a 6 s usage timeout) fails it, saying what to do.
    assert 'create it again' in instance['fault']['message']
    assert_nothing_left(fault_stack, created['id'])
    assert not os.path.exists(f'/proc/{server["pid"]}') or \
        open(f'/proc/{server["pid"]}/stat').read().split()[2] == 'Z'
    fapi.delete(f'/instances/{created["id"]}')
    fapi.wait_gone(created['id'])


def test_taskmanager_killed_mid_create_ends_defined_and_clean(fault_stack,
                                                              fapi):
    created = fapi.create_instance(name='tm-kill-2')
    deadline = time.monotonic() + 30
    while server_of(fault_stack, created['id']) is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    fault_stack.stop_service('taskmanager', sig=signal.SIGKILL)
    fault_stack.start_service('taskmanager')
    instance = fapi.wait_for(created['id'], lambda i: i['status'] != 'BUILD',
                             timeout=90)
    if instance['status'] == 'ERROR':  # killed before the guest got going
        assert_nothing_left(fault_stack, created['id'])
    else:
        instance = fapi.wait_active(created['id'])
        assert server_of(fault_stack, created['id']) is not None
    fapi.delete(f'/instances/{created["id"]}')
    fapi.wait_gone(created['id'])
    assert server_of(fault_stack, created['id']) is None


def test_taskmanager_killed_mid_delete_finishes_the_delete(fault_stack,
                                                           fapi):
    instance = fapi.wait_active(fapi.create_instance(name='tm-del')['id'])
    server = server_of(fault_stack, instance['id'])
    os.kill(server['pid'], signal.SIGSTOP)  # the guest will not stop soon
    try:
        assert fapi.delete(f'/instances/{instance["id"]}').status_code == 202
        time.sleep(1.5)  # the taskmanager is now waiting for the guest
        fault_stack.stop_service('taskmanager', sig=signal.SIGKILL)
        assert fapi.instance(instance['id'])['status'] == 'SHUTDOWN'
        fault_stack.start_service('taskmanager')
        fapi.wait_gone(instance['id'], timeout=90)
    finally:
        try:
            os.kill(server['pid'], signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert server_of(fault_stack, instance['id']) is None
    assert server['volume_id'] not in fault_stack.volumes()


def test_database_outage_gives_503_and_everything_recovers(fault_stack,
                                                           fapi):
    instance = fapi.wait_active(fapi.create_instance(name='db-down')['id'])
    fault_stack.private_db.stop()
    try:
        response = fapi.get('/instances')
        assert response.status_code == 503
        assert response.json()['serviceUnavailable']['code'] == 503
        response = fapi.post('/instances', {'instance': {
            'name': 'during-outage', 'flavorRef': '1',
            'volume': {'size': 1}, 'datastore': {'type': 'mariadb'}}})
        assert response.status_code == 503
        time.sleep(3)  # heartbeats meanwhile are dropped, not fatal
    finally:
        fault_stack.private_db.start()
    assert fapi.get('/instances').status_code == 200
    for service in ('api', 'conductor', 'taskmanager'):
        assert fault_stack.processes[service].poll() is None, service
    assert fault_stack.query("SELECT COUNT(*) FROM instances WHERE name = "
                             "'during-outage'") == ((0,),)
    # A later heartbeat lands again.
    marker = fault_stack.query(
        'SELECT updated_at FROM instance_service_statuses WHERE '
        'instance_id = %s', instance['id'])[0][0]
    deadline = time.monotonic() + 30
    while fault_stack.query(
            'SELECT updated_at FROM instance_service_statuses WHERE '
            'instance_id = %s', instance['id'])[0][0] <= marker:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    fresh = fapi.wait_active(fapi.create_instance(name='after-outage')['id'])
    for item in (instance, fresh):
        fapi.delete(f'/instances/{item["id"]}')


def test_orphan_server_of_a_deleted_instance_is_reaped(fault_stack, fapi):
    instance = fapi.wait_active(fapi.create_instance(name='orphan')['id'])
    server = server_of(fault_stack, instance['id'])
    # Simulate a crash between "rows soft-deleted" and "server removed".
    fault_stack.query('UPDATE instances SET deleted = 1 WHERE id = %s',
                      instance['id'])
    deadline = time.monotonic() + 30  # periodic_interval is 2 s here
    while server_of(fault_stack, instance['id']) is not None or \
            server['volume_id'] in fault_stack.volumes():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert 'removing orphan server' in fault_stack.log('taskmanager')


def agent_pid(stack, instance_id):
    return server_of(stack, instance_id)['pid']


def test_dead_guest_agent_shows_expired_and_restart_recovers(fault_stack,
                                                             fapi):
    instance = fapi.wait_active(fapi.create_instance(
        name='dead-agent', databases=[{'name': 'keep'}],
        users=[{'name': 'keeper', 'password': 'keep-pass-1',
                'databases': [{'name': 'keep'}]}])['id'])
    dead = agent_pid(fault_stack, instance['id'])
    os.kill(dead, signal.SIGKILL)

    def expired():
        # Compress time past agent_heartbeat_expiry (90 s); again while a
        # report the agent sent before it died is still being applied.
        fault_stack.query('UPDATE instance_service_statuses SET updated_at '
                          '= updated_at - INTERVAL 100 SECOND WHERE '
                          'instance_id = %s', instance['id'])
        shown = fapi.instance(instance['id'])
        return (shown['status'], shown['operating_status']) == (
            'ACTIVE', 'ERROR')
    stack_module.wait_until(expired, timeout=60, interval=1)

    response = fapi.post(f'/instances/{instance["id"]}/action',
                         {'restart': {}})
    assert response.status_code == 202
    assert fapi.instance(instance['id'])['status'] == 'REBOOT'
    back = fapi.wait_active(instance['id'], timeout=120)
    assert agent_pid(fault_stack, instance['id']) != dead
    import pymysql
    with pymysql.connect(host=back['ip'][0], user='keeper',
                         password='keep-pass-1', database='keep',
                         ssl_disabled=True, connect_timeout=5):
        pass
    assert 'does not answer; rebooting its server' in \
        fault_stack.log('taskmanager')
    fapi.delete(f'/instances/{instance["id"]}')
    fapi.wait_gone(instance['id'])


def test_reset_status_lets_an_admin_unstick_an_instance_for_delete(
        fault_stack, fapi):
    fault_stack.stop_service('taskmanager')
    try:
        stuck = fapi.create_instance(name='stuck')
        time.sleep(1)
        assert fapi.instance(stuck['id'])['status'] == 'BUILD'
        refused = fapi.delete(f'/instances/{stuck["id"]}')
        assert refused.status_code == 422
        assert refused.json()['unprocessableEntity']['code'] == 422
        action = f'/instances/{stuck["id"]}/action'
        assert fapi.post(action, {'reset_status': {}}).status_code == 403
        assert fapi.post(action, {'reset_status': {}},
                         headers={'X-Roles': 'admin'}).status_code == 202
        assert fapi.delete(f'/instances/{stuck["id"]}').status_code == 202
    finally:
        fault_stack.start_service('taskmanager')
    fapi.wait_gone(stuck['id'], timeout=90)
    assert server_of(fault_stack, stuck['id']) is None


def test_a_create_no_taskmanager_queue_takes_fails_at_once(fault_stack,
                                                            fapi):
    # As in a deployment whose taskmanager has never started: no live
    # taskmanager and no queue for the build's request. The broker returns
    # the request (it is sent mandatory) instead of dropping it, so the
    # create fails now, and says so, rather than being failed later as
    # "lost with its taskmanager".
    fault_stack.stop_service('taskmanager')
    try:
        fault_stack.rabbitmqctl('delete_queue', '-p', fault_stack.vhost,
                                'taskmanager')
        response = fapi.post('/instances', {'instance': {
            'name': 'no-queue', 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'mariadb'}}})
    finally:
        fault_stack.start_service('taskmanager')
    assert response.status_code == 503, response.text
    assert response.json()['serviceUnavailable']['code'] == 503
    [failed] = [instance for instance in fapi.get('/instances').json()[
        'instances'] if instance['name'] == 'no-queue']
    shown = fapi.instance(failed['id'])
    assert shown['status'] == 'ERROR'
    assert shown['fault']['message'] == ('The build request could not be '
                                         'sent to the taskmanager.')
    # Back with its queue, the taskmanager deletes it as any other.
    stack_module.wait_until(lambda: 'taskmanager' in fault_stack.queues(),
                            timeout=60)
    assert fapi.delete(f'/instances/{failed["id"]}').status_code == 202
    fapi.wait_gone(failed['id'], timeout=60)
