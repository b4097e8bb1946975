"""Read replicas on the real stack (local storage, contained guests): a
replica is built from a snapshot of its source, follows it with GTID
replication and refuses writes; its source is not deleted while it has
replicas; a detached replica is writable. The replication password
reaches only the replica, and another tenant cannot replicate a source.
"""

import os
import stat

import pymysql
import pytest

from tests.functional import stack as stack_module
from tests.functional.stack import connect
from tests.functional.stack import wait_until
from tests.functional.test_backups import backup_usage
from tests.functional.test_backups import execute
from tests.functional.test_backups import insert
from tests.functional.test_backups import make_instance
from tests.functional.test_backups import rows

pytestmark = pytest.mark.functional

PROJECT = 'rep-demo'
INTRUDER = 'rep-intruder'


@pytest.fixture(scope='module')
def stack(tmp_path_factory):
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('replication')))
    try:
        deployment.setup()
        yield deployment
    finally:
        deployment.teardown()


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
