"""Read replicas on the real stack (local storage, contained guests): a
replica is built from a snapshot of its source, follows it with GTID
replication and refuses writes; its source is not deleted while it has
replicas; a detached replica is writable. The replication password
reaches only the replica, and another tenant cannot replicate a source.
"""

import configparser
import os
import signal
import stat
import threading

import pymysql
import pytest

from tests.functional import stack as stack_module
from tests.functional.stack import connect
from tests.functional.stack import wait_until
from tests.functional.test_backups import APP_PASSWORD
from tests.functional.test_backups import backup_usage
from tests.functional.test_backups import execute
from tests.functional.test_backups import insert
from tests.functional.test_backups import make_instance
from tests.functional.test_backups import rows

pytestmark = pytest.mark.functional

PROJECT = 'rep-demo'
INTRUDER = 'rep-intruder'
# Seconds without a heartbeat before automatic failover (the stack's).
FAILOVER_TIMEOUT = 5
# Milliseconds a semi-synchronous source waits for a replica's
# acknowledgement before it commits without one: far beyond what any
# test here takes, so none of their commits goes unacknowledged.
SEMI_SYNC_TIMEOUT = 120000


@pytest.fixture(scope='module')
def stack(tmp_path_factory):
    # A source whose guest died is seen so within seconds (eject).
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('replication')), overrides={
            'DEFAULT': {'agent_heartbeat_expiry': '10',
                        'failover_timeout': str(FAILOVER_TIMEOUT),
                        'periodic_interval': '2'}})
    with deployment:
        yield deployment


@pytest.fixture(scope='module')
def api(stack):
    return stack.api(PROJECT)


@pytest.fixture(scope='module')
def source(api):
    instance = make_instance(api, 'rep-source')
    insert(instance, 1, 50)
    return instance


def create_replica(api, source, name, **extra):
    body = {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
            'replica_of': source['id'], **extra}
    return api.post('/instances', {'instance': body})


@pytest.fixture(scope='module')
def replica(api, source):
    response = create_replica(api, source, 'rep-replica')
    assert response.status_code == 200, response.text
    created = response.json()['instance']
    assert created['replica_of']['id'] == source['id']
    return api.wait_active(created['id'], timeout=240)


def master_info(stack, instance_id):
    """What the replica's server keeps of its source (master.info)."""
    with open(os.path.join(stack.volume_path(instance_id),
                           'master.info')) as info:
        return info.read().splitlines()


def fault_code(response):
    return next(iter(response.json().values()))['code']


def test_replica_follows_its_source_and_refuses_writes(stack, api, source,
                                                       replica):
    shown = api.instance(source['id'])
    assert [r['id'] for r in shown['replicas']] == [replica['id']]
    assert shown['replicas'][0]['links'][0]['href'].endswith(
        f'/instances/{replica["id"]}')
    assert replica['replica_of']['id'] == source['id']
    assert replica['replica_of']['links'][0]['href'].endswith(
        f'/instances/{source["id"]}')
    # The snapshot's rows, then what the source writes afterwards.
    assert rows(replica) == rows(source)
    insert(source, 51, 20)
    wait_until(lambda: len(rows(replica)) == 70, timeout=60)
    # Its lag comes with its heartbeat; a source shows none.
    wait_until(lambda: api.instance(replica['id'])['replication_lag'] == 0,
               timeout=60)
    assert 'replication_lag' not in api.instance(source['id'])
    with pytest.raises(pymysql.err.OperationalError) as refused:
        execute(replica, "INSERT INTO t VALUES (1000, 'on the replica')")
    assert refused.value.args[0] == 1290  # --read-only
    # The snapshot is gone once the replica is built, and its quota too.
    assert api.get('/backups').json()['backups'] == []
    assert backup_usage(stack, PROJECT) == 0


def test_source_with_replicas_is_not_deleted(api, source, replica):
    response = api.delete(f'/instances/{source["id"]}')
    assert response.status_code == 400, response.text
    assert replica['id'] in response.json()['badRequest']['message']
    assert api.instance(source['id'])['status'] == 'ACTIVE'


def test_replication_password_reaches_only_the_replica(stack, api, source,
                                                       replica):
    info = master_info(stack, replica['id'])
    user, password = info[4], info[5]
    assert user.startswith('os_repl_')
    # The source's guest, the services and every log never saw it: the
    # source holds only its hash.
    assert password not in stack.all_logs()
    for root, _dirs, files in os.walk(stack.server_dir(source['id'])):
        for name in files:
            path = os.path.join(root, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                with open(path, 'rb') as kept:
                    assert password.encode() not in kept.read(), path
    # The account may replicate, nothing else; tenants do not see it and
    # cannot make one like it.
    with connect(source['ip'][0], user, password) as connection:
        with pytest.raises(pymysql.err.OperationalError):
            connection.cursor().execute('SELECT * FROM appdb.t')
    listed = api.get(f'/instances/{source["id"]}/users').json()['users']
    assert [u['name'] for u in listed] == ['app']
    response = api.post(f'/instances/{source["id"]}/users', {'users': [
        {'name': 'os_repl_x', 'password': 'Passw0rd-x'}]})
    assert response.status_code == 400, response.text


def test_another_project_cannot_replicate_a_source(stack, source):
    intruder = stack.api(INTRUDER)
    response = create_replica(intruder, source, 'stolen')
    assert response.status_code == 404, response.text
    assert intruder.get('/instances').json()['instances'] == []


def test_bad_replica_requests_are_refused_and_leave_nothing(api, source,
                                                            replica):
    before = {i['id'] for i in api.get('/instances').json()['instances']}
    for extra, code in (
            ({'replica_count': 0}, 400), ({'replica_count': 'two'}, 400),
            ({'replica_count': 3}, 400),  # 1 + 3 > max_replicas (3)
            ({'users': [{'name': 'u', 'password': 'Passw0rd-u'}]}, 400),
            ({'replica_of': replica['id']}, 400),  # a replica's replica
            ({'replica_of': '3f0b1b4e-0000-4000-8000-000000000000'}, 404)):
        response = create_replica(api, source, 'bad', **extra)
        assert response.status_code == code, (extra, response.text)
        assert fault_code(response) == code
    response = api.post('/instances', {'instance': {
        'name': 'bad', 'flavorRef': '1', 'volume': {'size': 1},
        'replica_count': 2}})
    assert response.status_code == 400, response.text
    after = {i['id'] for i in api.get('/instances').json()['instances']}
    assert after == before


def test_detach_makes_the_replica_writable_then_the_source_deletes(
        stack, api, source, replica):
    user, password = master_info(stack, replica['id'])[4:6]
    response = api.request('PATCH', f'/instances/{replica["id"]}',
                           json={'instance': {'replica_of': ''}})
    assert response.status_code == 202, response.text
    detached = api.wait_for(replica['id'], lambda i: 'replica_of' not in i
                            and i['status'] == 'ACTIVE', timeout=60)
    assert 'replicas' not in api.instance(source['id'])
    execute(detached, "INSERT INTO t VALUES (1000, 'standalone')")
    insert(source, 71, 1)
    assert len(rows(detached)) == 71  # 70 replicated + its own
    # Its account on the source is gone.
    with pytest.raises(pymysql.err.OperationalError) as refused:
        connect(source['ip'][0], user, password).close()
    assert refused.value.args[0] == 1045
    # Detached twice: it is no replica any more.
    response = api.request('PATCH', f'/instances/{replica["id"]}',
                           json={'instance': {'slave_of': ''}})
    assert response.status_code == 400, response.text
    for instance in (source, replica):
        assert api.delete(f'/instances/{instance["id"]}').status_code == 202
        api.wait_gone(instance['id'], timeout=120)


class Writer(threading.Thread):
    """Inserts rows into the source until stopped, keeping the ids whose
    commit the server acknowledged."""

    def __init__(self, instance, first):
        super().__init__(daemon=True)
        self.instance = instance
        self.next_id = first
        self.acknowledged = []
        self.stopping = threading.Event()

    def run(self):
        with connect(self.instance['ip'][0], 'app', APP_PASSWORD,
                     'appdb') as connection:
            cursor = connection.cursor()
            while not self.stopping.is_set():
                try:
                    cursor.execute('INSERT INTO t VALUES (%s, %s)',
                                   (self.next_id, 'in flight'))
                    self.acknowledged.append(self.next_id)
                except pymysql.err.MySQLError:
                    self.stopping.wait(0.05)  # refused: read-only now
                self.next_id += 1


def act(api, instance, action):
    return api.post(f'/instances/{instance["id"]}/action', {action: {}})


def test_promote_switches_the_source_over_losing_no_write(stack, api):
    source = make_instance(api, 'rep-p-source')
    insert(source, 1, 10)
    response = create_replica(api, source, 'rep-p-replica')
    assert response.status_code == 200, response.text
    replica = api.wait_active(response.json()['instance']['id'],
                              timeout=240)
    response = act(api, source, 'promote_to_replica_source')
    assert response.status_code == 400, response.text  # no replica
    writer = Writer(source, 1000)
    writer.start()
    wait_until(lambda: len(writer.acknowledged) > 20)
    response = act(api, replica, 'promote_to_replica_source')
    assert response.status_code == 202, response.text
    promoted = api.wait_for(replica['id'], lambda i: 'replica_of' not in i
                            and i['status'] == 'ACTIVE', timeout=120)
    writer.stopping.set()
    writer.join()
    # Every write the old source acknowledged is on the new one.
    assert set(writer.acknowledged) <= {row[0] for row in rows(promoted)}
    old = api.wait_for(source['id'], lambda i: i['status'] == 'ACTIVE')
    assert old['replica_of']['id'] == replica['id']
    assert [r['id'] for r in api.instance(replica['id'])['replicas']] == [
        source['id']]
    execute(promoted, "INSERT INTO t VALUES (1, 'x') "
                      "ON DUPLICATE KEY UPDATE note = 'new source'")
    wait_until(lambda: (1, 'new source') in rows(old), timeout=60)
    with pytest.raises(pymysql.err.OperationalError) as refused:
        execute(old, "INSERT INTO t VALUES (9999, 'on the old source')")
    assert refused.value.args[0] == 1290
    # Delete order: the new source only once its replica is gone.
    assert api.delete(f'/instances/{replica["id"]}').status_code == 400
    for instance in (old, promoted):
        assert api.delete(f'/instances/{instance["id"]}').status_code == 202
        api.wait_gone(instance['id'], timeout=120)


def admin_connection(stack, instance_id):
    """The guest's own administrative account over its socket (what only
    the host's root can do): to stop a replica's replication."""
    options = configparser.ConfigParser(interpolation=None)
    options.read(os.path.join(stack.sandbox(instance_id), 'os_admin.cnf'))
    return pymysql.connect(
        unix_socket=os.path.join(stack.run_dir(instance_id), 'mysqld.sock'),
        user='os_admin', password=options.get('client', 'password'),
        autocommit=True)


def kill_guest(stack, instance_id):
    """SIGKILL the guest's agent and its mariadbd."""
    with open(os.path.join(stack.run_dir(instance_id), 'mysqld.pid')) as pid:
        os.kill(int(pid.read()), signal.SIGKILL)
    os.kill(stack.server_of(instance_id)['pid'], signal.SIGKILL)


def test_eject_replaces_a_dead_source_by_its_most_advanced_replica(
        stack, api):
    source = make_instance(api, 'rep-e-source')
    insert(source, 1, 10)
    response = create_replica(api, source, 'rep-e', replica_count=2)
    assert response.status_code == 200, response.text
    ids = sorted(r['id'] for r in api.instance(source['id'])['replicas'])
    ahead, behind = [api.wait_active(i, timeout=300) for i in ids]
    assert {ahead['name'], behind['name']} == {'rep-e-1', 'rep-e-2'}
    # One replica stops applying; the source goes on writing.
    with admin_connection(stack, behind['id']) as connection:
        connection.cursor().execute('STOP SLAVE')
    insert(source, 11, 10)
    wait_until(lambda: len(rows(ahead)) == 20, timeout=60)
    response = act(api, behind, 'eject_replica_source')
    assert response.status_code == 400, response.text  # source alive
    kill_guest(stack, source['id'])
    # Asked on the replica that is behind: the one ahead wins.
    response = wait_until(lambda: (lambda r: r if r.status_code != 400
                                   else None)(
        act(api, behind, 'eject_replica_source')), timeout=90, interval=1)
    assert response.status_code == 202, response.text
    new_source = api.wait_for(ahead['id'], lambda i: 'replica_of' not in i
                              and i['status'] == 'ACTIVE', timeout=120)
    follower = api.wait_for(behind['id'], lambda i: i['status'] == 'ACTIVE'
                            and i.get('replica_of', {}).get('id') ==
                            ahead['id'], timeout=60)
    assert [r['id'] for r in api.instance(ahead['id'])['replicas']] == [
        behind['id']]
    assert 'replicas' not in api.instance(source['id'])
    execute(new_source, "INSERT INTO t VALUES (21, 'new source')")
    wait_until(lambda: len(rows(follower)) == 21, timeout=60)
    with pytest.raises(pymysql.err.OperationalError) as refused:
        execute(follower, "INSERT INTO t VALUES (22, 'on the replica')")
    assert refused.value.args[0] == 1290
    # The old source comes back (restarted) read-only: no split brain.
    response = act(api, source, 'restart')
    assert response.status_code == 202, response.text
    old = api.wait_active(source['id'], timeout=120)
    with pytest.raises(pymysql.err.OperationalError) as refused:
        execute(old, "INSERT INTO t VALUES (23, 'on the old source')")
    assert refused.value.args[0] == 1290
    for instance in (follower, new_source, old):
        assert api.delete(f'/instances/{instance["id"]}').status_code == 202
        api.wait_gone(instance['id'], timeout=120)


def test_automatic_failover_replaces_a_dead_source_by_itself(stack, api):
    source = make_instance(api, 'rep-a-source')
    path = f'/instances/{source["id"]}'
    for bad in ({'automatic': 'yes'}, {'automatic': True, 'after': 5}, []):
        response = api.request('PATCH', path,
                               json={'instance': {'failover': bad}})
        assert response.status_code == 400, (bad, response.text)
    assert 'failover' not in api.instance(source['id'])
    response = api.request('PATCH', path, json={'instance': {
        'failover': {'automatic': True}}})
    assert response.status_code == 202, response.text
    assert api.instance(source['id'])['failover'] == {'automatic': True}
    insert(source, 1, 30)
    response = create_replica(api, source, 'rep-a-replica')
    assert response.status_code == 200, response.text
    replica = api.wait_active(response.json()['instance']['id'],
                              timeout=240)
    wait_until(lambda: len(rows(replica)) == 30, timeout=60)
    stack.drain_notifications()
    kill_guest(stack, source['id'])
    # Nobody asks: the taskmanager notices and ejects by itself.
    promoted = api.wait_for(replica['id'], lambda i: 'replica_of' not in i
                            and i['status'] == 'ACTIVE', timeout=90,
                            interval=0.5)
    assert len(rows(promoted)) == 30
    execute(promoted, "INSERT INTO t VALUES (31, 'after the failover')")
    faults = [row[0] for row in stack.query(
        'SELECT message FROM instance_faults WHERE instance_id = %s',
        source['id'])]
    assert any(f.startswith('Automatic failover') for f in faults), faults
    events = [n['event_type'] for n in stack.drain_notifications()]
    assert 'trove.instance.failover.end' in events, events
    assert 'replicas' not in api.instance(source['id'])
    for instance in (promoted, source):
        assert api.delete(f'/instances/{instance["id"]}').status_code == 202
        api.wait_gone(instance['id'], timeout=120)


def semi_sync(stack, instance_id):
    """The semi-synchronous replication variables and status counters of
    the guest's server (lower-case names)."""
    with admin_connection(stack, instance_id) as connection:
        cursor = connection.cursor()
        cursor.execute("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_%'")
        found = dict(cursor.fetchall())
        cursor.execute("SHOW GLOBAL STATUS LIKE 'rpl_semi_sync_%'")
        found.update(cursor.fetchall())
    return {name.lower(): value for name, value in found.items()}


def test_semi_synchronous_failover_loses_no_acknowledged_write(stack, api):
    response = api.post('/configurations', {'configuration': {
        'name': 'semi-sync', 'datastore': {'type': 'mariadb'}, 'values': {
            'rpl_semi_sync_master_enabled': True,
            'rpl_semi_sync_master_timeout': SEMI_SYNC_TIMEOUT}}})
    assert response.status_code == 200, response.text
    group = response.json()['configuration']
    source = make_instance(api, 'rep-s-source',
                           failover={'automatic': True})
    insert(source, 1, 10)
    # One group for the whole set: a replica's server acknowledges and
    # keeps the source side off until it is the source.
    response = create_replica(api, source, 'rep-s-replica',
                              configuration=group['id'])
    assert response.status_code == 200, response.text
    replica = api.wait_active(response.json()['instance']['id'],
                              timeout=240)
    wait_until(lambda: len(rows(replica)) == 10, timeout=60)
    response = api.put(f'/instances/{source["id"]}',
                       {'instance': {'configuration': group['id']}})
    assert response.status_code == 202, response.text
    on_source = semi_sync(stack, source['id'])
    assert on_source['rpl_semi_sync_master_enabled'] == 'ON'
    assert on_source['rpl_semi_sync_master_clients'] == '1'
    on_replica = semi_sync(stack, replica['id'])
    assert on_replica['rpl_semi_sync_master_enabled'] == 'OFF'
    assert on_replica['rpl_semi_sync_slave_status'] == 'ON'

    writer = Writer(source, 1000)
    writer.start()
    wait_until(lambda: len(writer.acknowledged) > 50, timeout=60)
    # Every commit so far returned once the replica acknowledged it.
    counters = semi_sync(stack, source['id'])
    assert counters['rpl_semi_sync_master_status'] == 'ON'
    assert int(counters['rpl_semi_sync_master_yes_tx']) > 50
    assert counters['rpl_semi_sync_master_no_tx'] == '0'
    kill_guest(stack, source['id'])
    # As long as the other automatic failover may take: how fast it is,
    # benchmarks/replication.py measures (a loaded CI machine is slower).
    promoted = api.wait_for(replica['id'], lambda i: 'replica_of' not in i
                            and i['status'] == 'ACTIVE', timeout=90,
                            interval=0.5)
    writer.stopping.set()
    writer.join()
    assert set(writer.acknowledged) <= {row[0] for row in rows(promoted)}
    # The new source takes the group's source side.
    assert semi_sync(stack, promoted['id'])[
        'rpl_semi_sync_master_enabled'] == 'ON'

    # The old source comes back (restarted) read-only, its source side
    # off.
    response = act(api, source, 'restart')
    assert response.status_code == 202, response.text
    old = api.wait_active(source['id'], timeout=120)
    with pytest.raises(pymysql.err.OperationalError) as refused:
        execute(old, "INSERT INTO t VALUES (9999, 'on the old source')")
    assert refused.value.args[0] == 1290
    wait_until(lambda: semi_sync(stack, old['id'])[
        'rpl_semi_sync_master_enabled'] == 'OFF', timeout=10)
    for instance in (promoted, old):
        assert api.delete(f'/instances/{instance["id"]}').status_code == 202
        api.wait_gone(instance['id'], timeout=120)
    assert api.delete(f'/configurations/{group["id"]}').status_code == 202
