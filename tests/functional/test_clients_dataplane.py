"""Databases, users, root and instance actions through
python-troveclient, ``openstack database`` and ``trove-lite``, against the
real stack and checked on the instance's own MariaDB."""

import json
import time

import pymysql
import pytest

from tests.functional import clients

trove_exceptions = clients.trove_exceptions
pytestmark = pytest.mark.functional


def eventually(check, timeout=60, interval=0.5):
    """``check()`` until it returns a true value (database and user
    changes are casts to the guest in Trove)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, 'condition never became true'
        time.sleep(interval)


def can_connect(address, user, password, database=None):
    try:
        pymysql.connect(host=address, user=user, password=password,
                        database=database, connect_timeout=10).close()
    except pymysql.err.OperationalError:
        return False
    return True


def databases_of(address, user, password):
    with pymysql.connect(host=address, user=user, password=password,
                         connect_timeout=10) as db:
        cursor = db.cursor()
        cursor.execute('SHOW DATABASES')
        return {row[0] for row in cursor.fetchall()} - {
            'information_schema'}


def ready_instance(stack, project, name):
    """An ACTIVE instance with database ``shop`` and user ``shop``."""
    api = stack.api(project)
    return api.wait_active(api.create_instance(
        name=name, databases=[{'name': 'shop'}],
        users=[{'name': 'shop', 'password': 'shop-pass-1',
                'databases': [{'name': 'shop'}]}])['id'])


# --- python-troveclient --------------------------------------------------

def test_troveclient_manages_databases_users_and_root(stack):
    project = 'tc-data'
    client = clients.troveclient(stack, project)
    instance = ready_instance(stack, project, 'tc-data')
    instance_id, address = instance['id'], instance['ip'][0]

    client.databases.create(instance_id, [
        {'name': 'reports', 'character_set': 'utf8mb4',
         'collate': 'utf8mb4_unicode_ci'}])
    eventually(lambda: {d.name for d in client.databases.list(instance_id)}
               == {'shop', 'reports'})

    client.users.create(instance_id, [
        {'name': 'analyst', 'password': 'an-pass-1', 'host': '%',
         'databases': [{'name': 'reports'}]}])
    eventually(lambda: 'analyst' in {u.name for u in
                                     client.users.list(instance_id)})
    user = client.users.get(instance_id, 'analyst', '%')
    assert (user.name, user.host) == ('analyst', '%')
    assert [d['name'] for d in user.databases] == ['reports']
    assert databases_of(address, 'analyst', 'an-pass-1') == {'reports'}

    client.users.grant(instance_id, 'analyst', ['shop'])
    assert {d.name for d in client.users.list_access(
        instance_id, 'analyst', '%')} == {'reports', 'shop'}
    client.users.revoke(instance_id, 'analyst', 'shop', '%')
    assert [d.name for d in client.users.list_access(
        instance_id, 'analyst')] == ['reports']

    client.users.update_attributes(instance_id, 'analyst',
                                   {'password': 'an-pass-2'})
    eventually(lambda: can_connect(address, 'analyst', 'an-pass-2'))

    client.users.delete(instance_id, 'analyst', '%')
    eventually(lambda: 'analyst' not in {u.name for u in
                                         client.users.list(instance_id)})
    with pytest.raises(trove_exceptions.NotFound):
        client.users.get(instance_id, 'analyst')
    client.databases.delete(instance_id, 'reports')
    eventually(lambda: [d.name for d in client.databases.list(instance_id)]
               == ['shop'])

    assert client.root.is_root_enabled(instance_id).rootEnabled is False
    name, password = client.root.create(instance_id)
    assert name == 'root' and password
    assert can_connect(address, 'root', password)
    assert client.root.is_root_enabled(instance_id).rootEnabled is True
    client.root.delete(instance_id)
    assert not can_connect(address, 'root', password)

    client.instances.delete(instance_id)
    stack.api(project).wait_gone(instance_id)


def test_troveclient_restarts_and_resizes_an_instance(stack):
    project = 'tc-actions'
    client = clients.troveclient(stack, project)
    api = stack.api(project)
    instance_id = ready_instance(stack, project, 'tc-actions')['id']

    client.instances.restart(instance_id)
    assert client.instances.get(instance_id).status == 'REBOOT'
    api.wait_active(instance_id)
    assert can_connect(api.instance(instance_id)['ip'][0], 'shop',
                       'shop-pass-1', 'shop')

    client.instances.resize_volume(instance_id, 2)
    api.wait_for(instance_id, lambda i: i['volume']['size'] == 2 and (
        i['status'], i['operating_status']) == ('ACTIVE', 'HEALTHY'))

    client.instances.delete(instance_id)
    api.wait_gone(instance_id)


# --- openstack database ... ----------------------------------------------

def osc_json(stack, project, *args):
    result = clients.openstack(stack, project, *args, '-f', 'json')
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def osc_ok(stack, project, *args):
    result = clients.openstack(stack, project, *args)
    assert result.code == 0, result.stdout + result.stderr
    return result


def test_openstack_database_db_user_and_root_commands(stack):
    project = 'osc-data'
    instance = ready_instance(stack, project, 'osc-data')
    address = instance['ip'][0]

    osc_ok(stack, project, 'database', 'db', 'create', 'osc-data',
           'reports')
    eventually(lambda: {d['Name'] for d in osc_json(
        stack, project, 'database', 'db', 'list', 'osc-data')} == {
        'shop', 'reports'}, timeout=120)

    osc_ok(stack, project, 'database', 'user', 'create', 'osc-data',
           'analyst', 'an-pass-1', '--databases', 'reports')
    users = eventually(lambda: {u['Name']: u for u in osc_json(
        stack, project, 'database', 'user', 'list', 'osc-data')}.get(
        'analyst'), timeout=120)
    assert (users['Host'], users['Databases']) == ('%', 'reports')
    shown = osc_json(stack, project, 'database', 'user', 'show',
                     'osc-data', 'analyst')
    assert shown['name'] == 'analyst'
    assert databases_of(address, 'analyst', 'an-pass-1') == {'reports'}

    osc_ok(stack, project, 'database', 'user', 'grant', 'access',
           'osc-data', 'analyst', 'shop')
    access = osc_json(stack, project, 'database', 'user', 'show', 'access',
                      'osc-data', 'analyst')
    assert {row['Name'] for row in access} == {'reports', 'shop'}
    osc_ok(stack, project, 'database', 'user', 'revoke', 'access',
           'osc-data', 'analyst', 'shop')
    osc_ok(stack, project, 'database', 'user', 'delete', 'osc-data',
           'analyst')
    osc_ok(stack, project, 'database', 'db', 'delete', 'osc-data',
           'reports')

    root = osc_json(stack, project, 'database', 'root', 'enable',
                    'osc-data')
    assert root['name'] == 'root'
    assert can_connect(address, 'root', root['password'])
    assert osc_json(stack, project, 'database', 'root', 'show',
                    'osc-data') == {'is_root_enabled': True}
    osc_ok(stack, project, 'database', 'root', 'disable', 'osc-data')

    osc_ok(stack, project, 'database', 'instance', 'restart', 'osc-data')
    stack.api(project).wait_active(instance['id'])
    osc_ok(stack, project, 'database', 'instance', 'delete', 'osc-data')
    stack.api(project).wait_gone(instance['id'])


# --- trove-lite ------------------------------------------------------------

def cli_ok(stack, project, *args):
    result = clients.trove_lite(stack, project, *args)
    assert result.code == 0, result.stderr
    return result


def test_trove_lite_cli_databases_users_root_and_actions(stack):
    project = 'cli-data'
    instance = json.loads(cli_ok(
        stack, project, 'instance', 'create', 'cli-data', '--flavor',
        'tiny', '--size', '1', '--datastore', 'mariadb', '--database',
        'shop', '--user', 'shop:shop-pass-1', '--wait', '-f',
        'json').stdout)
    address = instance['ip']

    cli_ok(stack, project, 'db', 'create', 'cli-data', 'reports',
           '--character-set', 'utf8mb4')
    eventually(lambda: cli_ok(stack, project, 'db', 'list', 'cli-data',
                              '-f', 'value').stdout == 'reports\nshop\n')

    cli_ok(stack, project, 'user', 'create', 'cli-data', 'analyst',
           '--password', 'an-pass-1', '--database', 'reports')
    eventually(lambda: 'analyst' in cli_ok(
        stack, project, 'user', 'list', 'cli-data', '-f',
        'value').stdout)
    shown = json.loads(cli_ok(stack, project, 'user', 'show', 'cli-data',
                              'analyst', '-f', 'json').stdout)
    assert shown == {'name': 'analyst', 'host': '%',
                     'databases': 'reports'}

    lines = cli_ok(stack, project, 'instance', 'connect',
                   'cli-data').stdout.splitlines()
    analyst_line = f'mariadb -h {address} -P 3306 -u analyst -p reports'
    assert sorted(lines) == [
        analyst_line, f'mariadb -h {address} -P 3306 -u shop -p shop']
    session = clients.run_connect_line(analyst_line, 'an-pass-1',
                                       'SELECT DATABASE()')
    assert (session.returncode, session.stdout) == (0, 'reports\n'), \
        session.stderr

    cli_ok(stack, project, 'user', 'grant-access', 'cli-data', 'analyst',
           'shop')
    assert cli_ok(stack, project, 'user', 'show-access', 'cli-data',
                  'analyst', '-f', 'value').stdout == 'reports\nshop\n'
    cli_ok(stack, project, 'user', 'revoke-access', 'cli-data', 'analyst',
           'shop')
    assert databases_of(address, 'analyst', 'an-pass-1') == {'reports'}
    cli_ok(stack, project, 'user', 'set', 'cli-data', 'analyst',
           '--new-password', 'an-pass-2')
    eventually(lambda: can_connect(address, 'analyst', 'an-pass-2'))
    cli_ok(stack, project, 'user', 'delete', 'cli-data', 'analyst')
    cli_ok(stack, project, 'db', 'delete', 'cli-data', 'reports')
    missing = clients.trove_lite(stack, project, 'user', 'show',
                                 'cli-data', 'analyst')
    assert missing.code == 1 and '(HTTP 404)' in missing.stderr

    root = json.loads(cli_ok(stack, project, 'root', 'enable', 'cli-data',
                             '-f', 'json').stdout)
    assert can_connect(address, 'root', root['password'])
    assert cli_ok(stack, project, 'root', 'show', 'cli-data', '-f',
                  'value').stdout == 'True\n'
    cli_ok(stack, project, 'root', 'disable', 'cli-data')

    restarted = cli_ok(stack, project, 'instance', 'restart', 'cli-data',
                       '--wait')
    assert restarted.stderr.splitlines()[-1].startswith(
        'Instance cli-data: ACTIVE HEALTHY after ')
    cli_ok(stack, project, 'instance', 'resize', 'volume', 'cli-data', '2',
           '--wait')
    cli_ok(stack, project, 'instance', 'resize', 'flavor', 'cli-data',
           'small', '--wait')
    shown = json.loads(cli_ok(stack, project, 'instance', 'show',
                              'cli-data', '-f', 'json').stdout)
    assert (shown['volume'], shown['flavor']) == (2, '2')
    assert can_connect(address, 'shop', 'shop-pass-1', 'shop')

    cli_ok(stack, project, 'instance', 'delete', 'cli-data', '--wait')
