"""The create flow end to end: API -> taskmanager -> guest -> conductor."""

import concurrent.futures
import os
import socket
import time

import pymysql
import pytest

from tests.functional.stack import connect

pytestmark = pytest.mark.functional


def test_create_with_database_and_user_becomes_active_and_usable(stack, api):
    created = api.create_instance(
        name='seed', databases=[{'name': 'appdb'}],
        users=[{'name': 'appuser', 'password': 'app-pass-1',
                'databases': [{'name': 'appdb'}]}])
    assert created['status'] == 'BUILD'
    assert created['operating_status'] == ''
    assert 'ip' not in created and 'addresses' not in created
    assert created['volume'] == {'size': 1}
    assert created['datastore']['type'] == 'mariadb'
    assert created['flavor']['id'] == '1'

    instance = api.wait_active(created['id'])
    address = instance['ip'][0]
    assert instance['addresses'] == [
        {'address': address, 'type': 'private', 'network': 'local'}]
    assert address != '127.0.0.1'

    with connect(address, 'appuser', 'app-pass-1', 'appdb') as db:
        cursor = db.cursor()
        cursor.execute('CREATE TABLE t (id INT PRIMARY KEY)')
        cursor.execute('INSERT INTO t VALUES (1), (2)')
        db.commit()
        cursor.execute('SELECT COUNT(*) FROM t')
        assert cursor.fetchone() == (2,)
        cursor.execute('SELECT @@port, @@bind_address')
        assert cursor.fetchone() == (3306, address)

    # The user has no access beyond its database, and root is locked.
    with connect(address, 'appuser', 'app-pass-1') as db:
        cursor = db.cursor()
        cursor.execute('SHOW DATABASES')
        assert {row[0] for row in cursor.fetchall()} == {
            'appdb', 'information_schema'}
    with pytest.raises(pymysql.err.OperationalError):
        connect(address, 'root', '')

    listed = api.get('/instances').json()['instances']
    assert created['id'] in [item['id'] for item in listed]


def answers_on_3306(address):
    with socket.socket() as probe:
        probe.settimeout(2)
        if probe.connect_ex((address, 3306)) != 0:
            return False
        return bool(probe.recv(1))  # the server's greeting


def test_two_instances_build_concurrently_on_separate_addresses(stack, api):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        created = list(pool.map(
            lambda name: api.create_instance(name=name), ['c1', 'c2']))
        ready = list(pool.map(lambda i: api.wait_active(i['id']), created))
    addresses = {instance['ip'][0] for instance in ready}
    assert len(addresses) == 2
    assert all(answers_on_3306(address) for address in addresses)


def test_delete_removes_guest_process_files_and_address(stack, api):
    instance = api.wait_active(api.create_instance(name='doomed')['id'])
    address = instance['ip'][0]
    server = next(s for s in stack.servers()
                  if s['instance_id'] == instance['id'])
    assert os.path.exists(f'/proc/{server["pid"]}')

    response = api.delete(f'/instances/{instance["id"]}')
    assert response.status_code == 202
    assert response.content == b''
    api.wait_gone(instance['id'], timeout=30)

    assert api.get(f'/instances/{instance["id"]}').status_code == 404
    assert server['id'] not in [s['id'] for s in stack.servers()]
    assert server['volume_id'] not in stack.volumes()
    deadline = time.monotonic() + 5
    while os.path.exists(f'/proc/{server["pid"]}') and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f'/proc/{server["pid"]}')
    assert not answers_on_3306(address)
    row = stack.query('SELECT deleted, deleted_at IS NOT NULL FROM instances '
                      'WHERE id = %s', instance['id'])
    assert row == ((1, 1),)


def test_guest_that_never_answers_ends_in_error_with_nothing_left(stack,
                                                                  api):
    created = api.create_instance(name='silent', datastore='mysql',
                                  version='silent')
    instance = api.wait_for(created['id'],
                            lambda i: i['status'] != 'BUILD', timeout=90)
    assert instance['status'] == 'ERROR'
    assert 'did not report healthy' in instance['fault']['message']
    assert instance['fault']['details'] is None
    assert [s for s in stack.servers()
            if s['instance_id'] == created['id']] == []
    row = stack.query('SELECT volume_id, compute_instance_id FROM instances '
                      'WHERE id = %s', created['id'])
    assert row == ((None, None),)
    assert f'guestagent.{created["id"]}' not in stack.queues()

    # A failed instance can still be deleted.
    assert api.delete(f'/instances/{created["id"]}').status_code == 202
    api.wait_gone(created['id'])


def test_user_made_at_create_with_a_network_host_can_log_in(stack, api):
    # The same host rules as POST /users: a CIDR is a network of hosts.
    created = api.create_instance(
        name='cidr', databases=[{'name': 'netdb'}],
        users=[{'name': 'netuser', 'password': 'net-pass-1',
                'host': '127.0.0.0/8', 'databases': [{'name': 'netdb'}]}])
    instance = api.wait_active(created['id'])

    with connect(instance['ip'][0], 'netuser', 'net-pass-1', 'netdb') as db:
        db.cursor().execute('CREATE TABLE t (id INT)')
    user = api.get(f'/instances/{created["id"]}/users/netuser@127.0.0.0%2F8')
    assert user.status_code == 200, user.text
    assert user.json()['user']['databases'] == [{'name': 'netdb'}]
    api.delete(f'/instances/{created["id"]}')
