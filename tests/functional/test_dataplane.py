"""Databases, users, access and root on a running instance; restart and
resize. Everything goes through the real API, taskmanager, conductor and
guest, and every effect is checked where a tenant would see it: by
logging in to the instance's own MariaDB with PyMySQL."""

import os
import signal
import subprocess
import sys
import time

import pymysql
import pytest

from tests.functional.stack import connect
from tests.functional.stack import wait_until

pytestmark = pytest.mark.functional

# Every password used here; none may ever appear in a log.
PASSWORDS = set()


def password(text):
    PASSWORDS.add(text)
    return text


APP_PASSWORD = password('app-pass-1')
OPS_PASSWORD = password('ops-pass-1')
ACCESS_DENIED_TO_DATABASE = 1044
ACCESS_DENIED = 1045
READ_ONLY = 1290


@pytest.fixture(scope='module')
def data_instance(stack):
    """An instance made with a database and a user, for data-plane work."""
    api = stack.api('demo')
    created = api.create_instance(
        name='data', databases=[{'name': 'appdb'}],
        users=[{'name': 'app', 'password': APP_PASSWORD,
                'databases': [{'name': 'appdb'}]}])
    return api.wait_active(created['id'])


@pytest.fixture(scope='module')
def action_instance(stack):
    """An instance for restart and resize."""
    api = stack.api('demo')
    created = api.create_instance(
        name='actions', databases=[{'name': 'opsdb'}],
        users=[{'name': 'ops', 'password': OPS_PASSWORD,
                'databases': [{'name': 'opsdb'}]}])
    return api.wait_active(created['id'])


def path(instance, rest=''):
    return f'/instances/{instance["id"]}{rest}'


def address(instance):
    return instance['ip'][0]


def names(response, key):
    assert response.status_code == 200, response.text
    return [item['name'] for item in response.json()[key]]


def users_of(api, instance):
    response = api.get(path(instance, '/users'))
    assert response.status_code == 200, response.text
    return {(u['name'], u['host']): [d['name'] for d in u['databases']]
            for u in response.json()['users']}


def login_error(instance, user, secret, database=None):
    """The MariaDB error code of a login, or None when it works."""
    try:
        connect(address(instance), user, secret, database).close()
    except pymysql.err.OperationalError as error:
        return error.args[0]
    return None


def assert_fault(response, code, name):
    assert response.status_code == code, response.text
    body = response.json()
    assert list(body) == [name] and body[name]['code'] == code
    assert body[name]['message']
    return body[name]['message']


# --- databases and users -----------------------------------------------------

def test_databases_and_users_given_at_create_are_listed(api, data_instance):
    assert names(api.get(path(data_instance, '/databases')),
                 'databases') == ['appdb']
    assert users_of(api, data_instance) == {('app', '%'): ['appdb']}
    assert api.get(path(data_instance, '/users/app')).json() == {
        'user': {'name': 'app', 'host': '%',
                 'databases': [{'name': 'appdb'}]}}


def test_databases_are_created_listed_and_deleted(api, data_instance):
    response = api.post(path(data_instance, '/databases'), {'databases': [
        {'name': 'shop', 'character_set': 'latin1'}, {'name': 'tmp_1'}]})
    assert response.status_code == 202 and response.content == b''
    wait_until(lambda: {'shop', 'tmp_1'} <= set(names(
        api.get(path(data_instance, '/databases')), 'databases')))
    page = api.get(path(data_instance, '/databases?limit=1')).json()
    assert [d['name'] for d in page['databases']] == ['appdb']
    assert 'marker=appdb' in page['links'][0]['href']

    message = assert_fault(api.post(path(data_instance, '/databases'), {
        'databases': [{'name': 'shop'}]}), 400, 'badRequest')
    assert message == 'A database with the name "shop" already exists.'

    # The character set is the server's, as the owner of the data sees it.
    assert api.put(path(data_instance, '/users/app/databases'), {
        'databases': [{'name': 'shop'}]}).status_code == 202
    with connect(address(data_instance), 'app', APP_PASSWORD) as db:
        cursor = db.cursor()
        cursor.execute('SELECT default_character_set_name FROM '
                       'information_schema.schemata WHERE schema_name = '
                       '%s', ('shop',))
        assert cursor.fetchone() == ('latin1',)

    assert api.delete(path(data_instance, '/databases/tmp_1')
                      ).status_code == 202
    wait_until(lambda: 'tmp_1' not in names(
        api.get(path(data_instance, '/databases')), 'databases'))
    message = assert_fault(api.delete(path(data_instance,
                                           '/databases/tmp_1')),
                           404, 'itemNotFound')
    assert message == 'Database tmp_1 cannot be found on the instance.'


def test_grant_and_revoke_decide_which_database_a_user_opens(
        api, data_instance):
    secret = password('alice-pass-1')
    assert api.post(path(data_instance, '/databases'), {'databases': [
        {'name': 'private'}]}).status_code == 202
    assert api.post(path(data_instance, '/users'), {'users': [
        {'name': 'alice', 'password': secret}]}).status_code == 202
    wait_until(lambda: ('alice', '%') in users_of(api, data_instance))
    assert login_error(data_instance, 'alice', secret, 'appdb') == \
        ACCESS_DENIED_TO_DATABASE

    assert api.put(path(data_instance, '/users/alice/databases'), {
        'databases': [{'name': 'appdb'}]}).status_code == 202
    assert api.get(path(data_instance, '/users/alice/databases')).json() \
        == {'databases': [{'name': 'appdb'}]}
    with connect(address(data_instance), 'alice', secret, 'appdb') as db:
        cursor = db.cursor()
        cursor.execute('CREATE TABLE granted (id INT)')
        cursor.execute('INSERT INTO granted VALUES (1)')
    wait_until(lambda: 'private' in names(
        api.get(path(data_instance, '/databases')), 'databases'))
    assert login_error(data_instance, 'alice', secret, 'private') == \
        ACCESS_DENIED_TO_DATABASE

    assert api.delete(path(data_instance, '/users/alice/databases/appdb')
                      ).status_code == 202
    assert api.get(path(data_instance, '/users/alice/databases')).json() \
        == {'databases': []}
    assert login_error(data_instance, 'alice', secret, 'appdb') == \
        ACCESS_DENIED_TO_DATABASE
    message = assert_fault(api.delete(path(
        data_instance, '/users/alice/databases/appdb')), 404, 'itemNotFound')
    assert message == 'Database appdb cannot be found on the instance.'


def test_password_change_and_rename_take_effect_at_login(api,
                                                         data_instance):
    first, second, third = (password('carol-pass-1'),
                            password('carol-pass-2'),
                            password('carol-pass-3'))
    assert api.post(path(data_instance, '/users'), {'users': [
        {'name': 'carol', 'password': first,
         'databases': [{'name': 'appdb'}]}]}).status_code == 202
    wait_until(lambda: login_error(data_instance, 'carol', first) is None)

    assert api.put(path(data_instance, '/users'), {'users': [
        {'name': 'carol', 'password': second}]}).status_code == 202
    wait_until(lambda: login_error(data_instance, 'carol', second) is None)
    assert login_error(data_instance, 'carol', first) == ACCESS_DENIED

    assert api.put(path(data_instance, '/users/carol'), {'user': {
        'name': 'carol2', 'password': third}}).status_code == 202
    wait_until(lambda: login_error(data_instance, 'carol2', third,
                                   'appdb') is None)
    assert login_error(data_instance, 'carol', second) == ACCESS_DENIED
    assert ('carol', '%') not in users_of(api, data_instance)
    assert assert_fault(api.get(path(data_instance, '/users/carol')), 404,
                        'itemNotFound') == (
        'User carol@% cannot be found on the instance.')

    assert api.delete(path(data_instance, '/users/carol2')
                      ).status_code == 202
    wait_until(lambda: login_error(data_instance, 'carol2', third) ==
               ACCESS_DENIED)


def test_cidr_hosts_are_enforced_by_mariadb(api, data_instance):
    """MariaDB has no prefix-length syntax: the guest stores the CIDR as
    address/netmask, and MariaDB lets in exactly that network."""
    secret = password('net-pass-1')
    assert api.post(path(data_instance, '/users'), {'users': [
        {'name': 'near', 'password': secret, 'host': '127.0.0.0/8'},
        {'name': 'far', 'password': secret,
         'host': '10.0.0.0/255.0.0.0'}]}).status_code == 202
    wait_until(lambda: {('near', '127.0.0.0/8'), ('far', '10.0.0.0/8')}
               <= set(users_of(api, data_instance)))
    assert login_error(data_instance, 'near', secret) is None
    assert login_error(data_instance, 'far', secret) == ACCESS_DENIED
    # The "/" of the CIDR stays in the path, as python-troveclient sends it.
    shown = api.get(path(data_instance, '/users/near@127%2e0%2e0%2e0/8'))
    assert shown.json()['user']['host'] == '127.0.0.0/8'
    assert api.delete(path(data_instance, '/users/near@127.0.0.0/8')
                      ).status_code == 202
    wait_until(lambda: login_error(data_instance, 'near', secret) ==
               ACCESS_DENIED)


def test_root_is_enabled_used_and_disabled(api, data_instance):
    assert api.get(path(data_instance, '/root')).json() == {
        'rootEnabled': False}
    assert login_error(data_instance, 'root', '') == ACCESS_DENIED

    response = api.post(path(data_instance, '/root'))
    assert response.status_code == 200
    root = response.json()['user']
    assert root['name'] == 'root' and len(root['password']) >= 24
    PASSWORDS.add(root['password'])
    with connect(address(data_instance), 'root', root['password']) as db:
        cursor = db.cursor()
        cursor.execute('SHOW DATABASES')
        assert {'appdb', 'mysql'} <= {row[0] for row in cursor.fetchall()}
    assert api.get(path(data_instance, '/root')).json() == {
        'rootEnabled': True}
    assert ('root', '%') not in users_of(api, data_instance)

    response = api.delete(path(data_instance, '/root'))
    assert response.status_code == 204 and response.content == b''
    assert login_error(data_instance, 'root', root['password']) == \
        ACCESS_DENIED
    assert api.get(path(data_instance, '/root')).json() == {
        'rootEnabled': False}

    chosen = password('root-chosen-1')
    response = api.post(path(data_instance, '/root'), {'password': chosen})
    assert response.json() == {'user': {'name': 'root',
                                        'password': chosen}}
    assert login_error(data_instance, 'root', chosen) is None
    assert api.delete(path(data_instance, '/root')).status_code == 204
    assert assert_fault(api.delete(path(data_instance, '/root')), 404,
                        'itemNotFound') == (
        'Root user has never been enabled on the instance.')


# --- what tenants may not do -------------------------------------------------

def snapshot(api, instance):
    """What a bad request must leave unchanged."""
    view = api.instance(instance['id'])
    return ({key: view[key] for key in ('status', 'operating_status',
                                        'updated', 'flavor')},
            view['volume']['size'],
            names(api.get(path(instance, '/databases')), 'databases'),
            users_of(api, instance),
            api.get(path(instance, '/root')).json())


BAD_REQUESTS = [
    # Reserved databases and accounts.
    ('POST', '/databases', {'databases': [{'name': 'mysql'}]}),
    ('POST', '/databases', {'databases': [{'name': 'Performance_Schema'}]}),
    ('DELETE', '/databases/information_schema', None),
    ('DELETE', '/databases/sys', None),
    ('POST', '/users', {'users': [{'name': 'os_admin', 'password': 'x1'}]}),
    ('POST', '/users', {'users': [{'name': 'root', 'password': 'x1'}]}),
    ('GET', '/users/os_admin@localhost', None),
    ('DELETE', '/users/os_admin@localhost', None),
    ('PUT', '/users/os_admin@localhost', {'user': {'password': 'x1'}}),
    ('PUT', '/users', {'users': [{'name': 'os_admin', 'password': 'x1'}]}),
    ('PUT', '/users/app', {'user': {'name': 'root'}}),
    ('PUT', '/users/app/databases', {'databases': [{'name': 'mysql'}]}),
    ('DELETE', '/users/app/databases/mysql', None),
    # Names MariaDB would take badly, and injection attempts.
    ('POST', '/databases', {'databases': [{'name': 'x' * 65}]}),
    ('POST', '/databases', {'databases': [
        {'name': 'a`; DROP DATABASE appdb; --'}]}),
    ('POST', '/databases', {'databases': [{'name': "a'b"}]}),
    ('POST', '/databases', {'databases': [{'name': 'ünï'}]}),
    ('POST', '/databases', {'databases': [{'name': ''}]}),
    ('POST', '/databases', {'databases': [{'name': 'a'}, {'name': 'a'}]}),
    ('POST', '/databases', {'databases': [{'name': 'cs',
                                           'character_set': 'klingon'}]}),
    ('POST', '/databases', {'databases': [{
        'name': 'cs', 'character_set': 'utf8mb4',
        'collate': 'latin1_swedish_ci'}]}),
    ('POST', '/users', {'users': [{'name': "x' OR '1'='1",
                                   'password': 'x1'}]}),
    ('POST', '/users', {'users': [{'name': 'x' * 17, 'password': 'x1'}]}),
    ('POST', '/users', {'users': [{'name': 'dave', 'password': "pw'1"}]}),
    ('POST', '/users', {'users': [{'name': 'dave', 'password': ' pw1'}]}),
    ('POST', '/users', {'users': [{'name': 'dave', 'password': '!!!'}]}),
    ('POST', '/users', {'users': [{'name': 'dave'}]}),
    ('POST', '/users', {'users': [{'name': 'dave', 'password': 'x1',
                                   'host': 'db.example.com'}]}),
    ('POST', '/users', {'users': [{'name': 'dave', 'password': 'x1',
                                   'host': '10.0.0.1/8'}]}),
    ('POST', '/users', {'users': [{'name': 'dave', 'password': 'x1',
                                   'host': 'fe80::/64'}]}),
    ('POST', '/users', {'users': [{'name': 'dave', 'password': 'x1',
                                   'host': "%' OR '1'='1"}]}),
    ('POST', '/users', {'users': [{'name': 'app', 'password': 'x1'}]}),
    ('PUT', '/users/app', {'user': {}}),
    ('PUT', '/users/app', {'user': {'host': 'db.example.com'}}),
    ('PUT', '/users/app/databases', {'databases': 'appdb'}),
    ('POST', '/root', {'password': "it's"}),
    # Malformed bodies.
    ('POST', '/databases', {'database': [{'name': 'a'}]}),
    ('POST', '/users', {'users': {'name': 'dave'}}),
    ('POST', '/databases', None),
    ('POST', '/action', {}),
    ('POST', '/action', {'resize': {}}),
    ('POST', '/action', {'resize': {'volume': {'size': 0}}}),
    ('POST', '/action', {'resize': {'volume': {'size': 1}}}),
    ('POST', '/action', {'resize': {'flavorRef': '1'}}),
    ('POST', '/action', {'resize': {'flavorRef': 'nosuch'}}),
    ('POST', '/action', {'reboot': {}}),
]


def test_bad_input_is_a_4xx_fault_and_leaves_the_instance_untouched(
        api, data_instance):
    before = snapshot(api, data_instance)
    for method, rest, body in BAD_REQUESTS:
        response = api.request(method, path(data_instance, rest), json=body)
        assert 400 <= response.status_code < 500, (method, rest, body)
        fault = response.json()
        assert len(fault) == 1, fault
        name, detail = next(iter(fault.items()))
        assert name in ('badRequest', 'itemNotFound'), (rest, body, fault)
        assert detail['code'] == response.status_code
        assert detail['message']
    for method, rest, body, code, name in [
            ('POST', '/action', {'resize': {'volume': {'size': 11}}}, 413,
             'overLimit'),
            ('POST', '/action', {'reset_status': {}}, 403, 'forbidden'),
            ('GET', '/databases/appdb', None, 501, 'notImplemented')]:
        assert_fault(api.request(method, path(data_instance, rest),
                                 json=body), code, name)
    assert snapshot(api, data_instance) == before


def test_a_guest_never_takes_bad_names_even_past_the_api(
        stack, api, data_instance):
    """Messages sent straight to the guest's queue, as a compromised
    control plane could: the guest checks names itself."""
    script = (
        'import sys\n'
        'from trove_lite.common import context, exceptions, objects\n'
        'from trove_lite.common import service\n'
        'from trove_lite.rpcapi import guestagent as rpcapi\n'
        "service.prepare_service(['guest-client', '--config-file', "
        'sys.argv[1]])\n'
        'guest = rpcapi.API(sys.argv[2], sys.argv[3])\n'
        'ctx = context.get_admin_context()\n'
        'guest.create_database(ctx, [objects.DatabaseSpec(\n'
        "    name='x`; DROP DATABASE appdb; --')])\n"
        'guest.delete_user(ctx, objects.UserSpec(name="os_admin",\n'
        '                                        host="localhost"))\n'
        'for name in ("x\' OR \'1\'=\'1", "os_admin"):\n'
        '    try:\n'
        '        guest.get_user(ctx, name, "localhost")\n'
        '    except exceptions.GuestError as error:\n'
        "        print('refused', error)\n")
    result = subprocess.run(
        [sys.executable, '-c', script, stack.config_file,
         data_instance['id'], stack.instance_key(data_instance['id'])],
        capture_output=True, text=True, timeout=60)
    assert result.stdout.count('refused') == 2, result.stdout + result.stderr
    guest_log = os.path.join(stack.server_dir(data_instance['id']),
                             'guest.log')
    wait_until(lambda: all(refusal in open(guest_log).read() for refusal in (
        "database name 'x`; DROP DATABASE appdb; --' may contain only",
        "user name 'os_admin' is reserved")))
    # The agent's own account still works, and nothing was created.
    assert 'appdb' in names(api.get(path(data_instance, '/databases')),
                            'databases')
    assert not any('DROP' in name for name in names(
        api.get(path(data_instance, '/databases')), 'databases'))
    wait_until(lambda: api.instance(data_instance['id'])[
        'operating_status'] == 'HEALTHY')


# --- the state gate ----------------------------------------------------------

def test_operations_on_an_instance_that_is_not_ready_are_422(stack, api):
    created = api.create_instance(name='early')
    response = api.post(path(created, '/action'), {'restart': {}})
    message = assert_fault(response, 422, 'unprocessableEntity')
    # Before the server is up, the server's status refuses; after, the
    # task's (as in Trove).
    assert message in (
        f'Instance {created["id"]} is not currently available for an action '
        f'to be performed ({reason}).' for reason in (
            'instance status was BUILD', 'task status was BUILDING'))
    message = assert_fault(api.get(path(created, '/databases')), 422,
                           'unprocessableEntity')
    assert message.startswith(f'Instance {created["id"]} is not ready, '
                              f'status: ')
    instance = api.wait_active(created['id'])
    assert api.delete(path(instance)).status_code == 202
    api.wait_gone(instance['id'])


# --- restart and resize ------------------------------------------------------

def server_pid(stack, instance):
    with open(os.path.join(stack.run_dir(instance['id']),
                           'mysqld.pid')) as pid_file:
        return int(pid_file.read())


def wait_idle(api, instance):
    return api.wait_active(instance['id'], timeout=120)


def test_restart_restarts_the_server_and_keeps_the_data(stack, api,
                                                        action_instance):
    with connect(address(action_instance), 'ops', OPS_PASSWORD,
                 'opsdb') as db:
        cursor = db.cursor()
        cursor.execute('CREATE TABLE kept (id INT PRIMARY KEY)')
        cursor.execute('INSERT INTO kept VALUES (1), (2), (3)')
    pid_before = server_pid(stack, action_instance)

    response = api.post(path(action_instance, '/action'), {'restart': {}})
    assert response.status_code == 202 and response.content == b''
    instance = wait_idle(api, action_instance)
    assert server_pid(stack, instance) != pid_before
    with connect(address(instance), 'ops', OPS_PASSWORD, 'opsdb') as db:
        cursor = db.cursor()
        cursor.execute('SELECT COUNT(*) FROM kept')
        assert cursor.fetchone() == (3,)
    assert 'restart of' in stack.log('taskmanager')


def server_memory(instance):
    with connect(address(instance), 'ops', OPS_PASSWORD) as db:
        cursor = db.cursor()
        cursor.execute('SELECT @@innodb_buffer_pool_size, '
                       '@@max_connections')
        return cursor.fetchone()


def test_resize_flavor_sizes_the_running_server(stack, api,
                                                action_instance):
    current = api.instance(action_instance['id'])['flavor']['id']
    target = '2' if current != '2' else '3'
    ram = {'2': 512, '3': 1024}[target]
    response = api.post(path(action_instance, '/action'), {
        'resize': {'flavorRef': target}})
    assert response.status_code == 202
    instance = api.wait_for(
        action_instance['id'], lambda i: i['flavor']['id'] == target and (
            i['status'], i['operating_status']) == ('ACTIVE', 'HEALTHY'),
        timeout=120)
    expected = (ram // 8 * 1024 * 1024, ram // 16)
    assert server_memory(instance) == expected
    # The new settings are the server's own now: they survive a restart.
    assert api.post(path(instance, '/action'), {'restart': {}}
                    ).status_code == 202
    assert server_memory(wait_idle(api, instance)) == expected


def test_resize_volume_grows_and_the_view_shows_real_usage(api,
                                                           action_instance):
    size = api.instance(action_instance['id'])['volume']['size']
    assert_fault(api.post(path(action_instance, '/action'), {
        'resize': {'volume': {'size': size}}}), 400, 'badRequest')
    response = api.post(path(action_instance, '/action'), {
        'resize': {'volume': {'size': size + 1}}})
    assert response.status_code == 202
    instance = api.wait_for(
        action_instance['id'], lambda i: i['volume']['size'] == size + 1
        and i['status'] == 'ACTIVE', timeout=120)
    instance = api.wait_for(instance['id'],
                            lambda i: 'used' in i['volume'], timeout=30)
    volume = instance['volume']
    # A fresh datadir takes tens of megabytes.
    assert 0.01 <= volume['used'] < 0.5
    assert 0 < volume['used_percent'] < 100 / (size + 1) * 0.5


def insert_error(instance):
    """The MariaDB error code of a write, or None when it works."""
    try:
        with connect(address(instance), 'ops', OPS_PASSWORD,
                     'opsdb') as db:
            db.cursor().execute('CREATE TABLE IF NOT EXISTS writes '
                                '(id INT)')
            db.cursor().execute('INSERT INTO writes VALUES (1)')
    except pymysql.err.MySQLError as error:
        return error.args[0]
    return None


def test_full_volume_refuses_writes_until_it_grows(stack, api,
                                                   action_instance):
    size = api.instance(action_instance['id'])['volume']['size']
    assert insert_error(action_instance) is None
    filler = os.path.join(stack.volume_path(action_instance['id']),
                          'filler')
    with open(filler, 'wb') as out:
        os.posix_fallocate(out.fileno(), 0, size << 30)
    try:
        wait_until(lambda: insert_error(action_instance) == READ_ONLY)

        # The guest turns read-only, then its heartbeat reports the usage
        # it measured: the show has it once the conductor wrote it.
        def full_usage_shown():
            volume = api.instance(action_instance['id'])['volume']
            return volume if volume['used'] >= size else None

        assert wait_until(full_usage_shown)['used_percent'] == 100.0
        assert api.post(path(action_instance, '/action'), {
            'resize': {'volume': {'size': size + 1}}}).status_code == 202
        wait_idle(api, action_instance)
        assert insert_error(action_instance) is None
    finally:
        os.remove(filler)


def test_reset_status_is_for_admins_and_clears_the_task(api,
                                                        action_instance):
    before = api.instance(action_instance['id'])
    message = assert_fault(api.post(path(action_instance, '/action'),
                                    {'reset_status': {}}), 403, 'forbidden')
    assert message == ("Policy doesn't allow instance:reset_status to be "
                       "performed.")
    assert api.instance(action_instance['id'])['updated'] == \
        before['updated']
    response = api.post(path(action_instance, '/action'),
                        {'reset_status': {}}, headers={'X-Roles': 'admin'})
    assert response.status_code == 202
    assert api.instance(action_instance['id'])['operating_status'] == 'ERROR'
    # The guest's next heartbeat tells the truth again.
    wait_idle(api, action_instance)


# --- a guest that does not answer --------------------------------------------

def test_a_silent_guest_gives_a_timeout_not_a_hang(stack, api):
    instance = api.wait_active(api.create_instance(name='silent-later')[
        'id'])
    # The usage comes with the guest's heartbeats.
    api.wait_for(instance['id'], lambda i: 'used' in i['volume'], timeout=30)
    agent = stack.server_of(instance['id'])['pid']
    os.kill(agent, signal.SIGSTOP)
    try:
        time.sleep(1)  # a report already sent lands
        known = api.instance(instance['id'])
        assert 0 < known['volume']['used'] < 1
        assert 0 < known['volume']['used_percent'] < 100
        # A show never asks the guest: it answers at once (well inside
        # the 8 s a guest call may wait) with the last usage reported.
        for _ in range(5):
            started = time.monotonic()
            shown = api.instance(instance['id'])
            assert time.monotonic() - started < 4
            assert shown['volume'] == known['volume']
            assert (shown['service_status_updated'] ==
                    known['service_status_updated'])
        started = time.monotonic()
        message = assert_fault(api.get(path(instance, '/databases')), 400,
                               'badRequest')
        assert message == 'Timeout trying to connect to the Guest Agent.'
        assert time.monotonic() - started < 25
    finally:
        os.kill(agent, signal.SIGCONT)
    wait_until(lambda: api.get(path(instance, '/databases')
                               ).status_code == 200)
    assert api.delete(path(instance)).status_code == 202
    api.wait_gone(instance['id'])


# --- python-troveclient, without Keystone -----------------------------------

def test_troveclient_managers_work_without_keystone(stack, api):
    from keystoneauth1 import noauth
    from keystoneauth1 import session
    from troveclient.v1 import client

    trove = client.Client(session=session.Session(auth=noauth.NoAuth(
        endpoint=stack.project_url('demo'))))
    instance = api.wait_active(api.create_instance(name='client')['id'])
    iid = instance['id']

    trove.databases.create(iid, [{'name': 'tc_db'}, {'name': 'tc_other'}])
    wait_until(lambda: {'tc_db', 'tc_other'} <= {
        d.name for d in trove.databases.list(iid)})
    trove.databases.delete(iid, 'tc_other')
    wait_until(lambda: 'tc_other' not in {
        d.name for d in trove.databases.list(iid)})

    first, second = password('tc-pass-1'), password('tc-pass-2')
    trove.users.create(iid, [{'name': 'tc', 'password': first,
                              'host': '127.0.%', 'databases': []}])
    wait_until(lambda: [(u.name, u.host) for u in trove.users.list(iid)]
               == [('tc', '127.0.%')])
    assert trove.users.get(iid, 'tc', '127.0.%').databases == []
    trove.users.grant(iid, 'tc', ['tc_db'], hostname='127.0.%')
    assert [d.name for d in trove.users.list_access(
        iid, 'tc', hostname='127.0.%')] == ['tc_db']
    assert login_error(instance, 'tc', first, 'tc_db') is None
    trove.users.revoke(iid, 'tc', 'tc_db', hostname='127.0.%')
    assert trove.users.list_access(iid, 'tc', hostname='127.0.%') == []
    trove.users.change_passwords(iid, [{'name': 'tc', 'host': '127.0.%',
                                        'password': second}])
    wait_until(lambda: login_error(instance, 'tc', second) is None)
    trove.users.update_attributes(iid, 'tc', {'name': 'tc2'},
                                  hostname='127.0.%')
    wait_until(lambda: login_error(instance, 'tc2', second) is None)
    trove.users.delete(iid, 'tc2', hostname='127.0.%')
    wait_until(lambda: trove.users.list(iid) == [])

    assert trove.root.is_root_enabled(iid).rootEnabled is False
    name, secret = trove.root.create(iid)
    PASSWORDS.add(secret)
    assert name == 'root' and login_error(instance, 'root', secret) is None
    assert trove.root.is_root_enabled(iid).rootEnabled is True
    trove.root.delete(iid)
    assert trove.root.is_root_enabled(iid).rootEnabled is False

    trove.instances.restart(iid)
    wait_until(lambda: trove.instances.get(iid).status == 'ACTIVE',
               timeout=120)
    trove.instances.resize_instance(iid, '2')
    wait_until(lambda: (lambda i: (i.flavor['id'], i.status) == (
        '2', 'ACTIVE'))(trove.instances.get(iid)), timeout=120)
    trove.instances.resize_volume(iid, 2)
    wait_until(lambda: (lambda i: (i.volume['size'], i.status) == (
        2, 'ACTIVE'))(trove.instances.get(iid)), timeout=120)
    assert 'used' in trove.instances.get(iid).volume

    trove.instances.delete(iid)
    api.wait_gone(iid)


# --- last: nothing above leaked a password -----------------------------------

def test_no_password_ever_reached_a_log(stack):
    logs = stack.all_logs()
    assert len(PASSWORDS) >= 10
    leaked = sorted(secret for secret in PASSWORDS if secret in logs)
    assert leaked == []
