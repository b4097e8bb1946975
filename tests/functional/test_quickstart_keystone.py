"""tools/quickstart.sh behind a real Keystone (``TROVE_LITE_AUTH=keystone``
and the admin's ``OS_*`` variables): what it registers, that a second run
changes nothing, instances driven with ``openstack database ...`` by two
fresh projects that cannot reach each other's, and ``quickstart.sh stop``
leaving nothing running. The registration script it runs is also tested
alone, for what a second run of the quickstart does not show: a service
user with another password, an endpoint with another URL, unusable admin
credentials.

The quickstart gets a state directory, API port, database, RabbitMQ vhost
and address pool of its own, and this test's virtualenv (nothing is
installed), so it disturbs neither a developer's quickstart nor another
test run.
"""

import configparser
import contextlib
import dataclasses
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid

import pymysql
import pytest
import requests
import yaml

from tests.functional import clients
from tests.functional import keystone as keystone_module
from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional

QUICKSTART = os.path.join(keystone_module.ROOT, 'tools', 'quickstart.sh')
REGISTRATION = os.path.join(keystone_module.ROOT, 'tools', 'lib',
                            'keystone_registration.py')
QUICKSTART_TIMEOUT = 900
WAIT_TIMEOUT = 300


def environment(**values):
    """This environment without a developer's OS_*/TROVE_LITE_* settings,
    plus ``values``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'TROVE_LITE_'))}
    env.update(values)
    return env


def run(argv, env, timeout=clients.COMMAND_TIMEOUT):
    completed = subprocess.run(argv, env=env, capture_output=True,
                               text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
    return clients.Result(completed.returncode, completed.stdout,
                          completed.stderr)


class Quickstart:
    """tools/quickstart.sh in Keystone mode, in a place of its own."""

    def __init__(self, keystone):
        run_id = f'tlqs{uuid.uuid4().hex[:8]}'
        self.keystone = keystone
        # A short path: a guest's unix socket lives under it, and
        # socket paths end at 107 bytes.
        self.state = tempfile.mkdtemp(prefix='tlqs-')
        self.port = stack_module.free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.database = f'{run_id}_db'
        self.vhost = run_id
        # Not "trove-lite": the session's Keystone-mode stack has that
        # one, and the quickstart would set its password.
        self.service_user = f'trove-lite-{run_id}'
        self.env = environment(
            TROVE_LITE_AUTH='keystone',
            TROVE_LITE_SERVICE_USER=self.service_user,
            TROVE_LITE_STATE=self.state,
            TROVE_LITE_PORT=str(self.port),
            TROVE_LITE_DB_NAME=self.database,
            TROVE_LITE_RABBIT_VHOST=self.vhost,
            TROVE_LITE_ADDRESS_POOL=stack_module.free_address_pool(),
            TROVE_LITE_VENV=sys.prefix,
            **keystone.openrc(keystone.admin))
        self.outputs = []

    def run(self, command='start'):
        result = run(['bash', QUICKSTART, command], self.env,
                     QUICKSTART_TIMEOUT)
        self.outputs.append(result.stdout + result.stderr)
        assert result.code == 0, result.stdout + result.stderr
        return result

    def path(self, *names):
        return os.path.join(self.state, *names)

    def compute_path(self):
        """The guests' state path the quickstart chose (under /var/lib
        when its state directory is closed to the guests' users)."""
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.path('trove-lite.conf'))
        return parser.get('local_compute', 'state_path')

    def read(self, *names):
        with open(self.path(*names)) as kept:
            return kept.read()

    def service_pids(self):
        return {name: int(self.read('pids', f'{name}.pid'))
                for name in ('api', 'conductor', 'taskmanager')
                if os.path.exists(self.path('pids', f'{name}.pid'))}

    def guest_pids(self):
        return [server['pid'] for server in
                stack_module.server_records(self.compute_path())]

    def query(self, sql, *params):
        with pymysql.connect(host=stack_module.DB_HOST,
                             user=stack_module.DB_USER,
                             database=self.database, autocommit=True,
                             ssl_disabled=True) as connection:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return cursor.fetchall()

    def cleanup(self):
        with contextlib.suppress(Exception):
            self.run('stop')
        # Its instances outlive a stop (the demo is there for the next
        # start), and their broker users are not in its vhost.
        with contextlib.suppress(Exception):
            stack_module.remove_guest_broker_users(
                [instance_id for (instance_id,) in self.query(
                    'SELECT id FROM instances WHERE NOT deleted')])
        with contextlib.suppress(Exception):
            with pymysql.connect(host=stack_module.DB_HOST,
                                 user=stack_module.DB_USER, autocommit=True,
                                 ssl_disabled=True) as connection:
                connection.cursor().execute(
                    f'DROP DATABASE IF EXISTS `{self.database}`')
        with contextlib.suppress(Exception):
            stack_module.rabbitmqctl('delete_vhost', self.vhost)
        with contextlib.suppress(Exception):
            stack_module.kill_guests(self.compute_path())
        with contextlib.suppress(Exception):
            shutil.rmtree(self.compute_path(), ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)


@dataclasses.dataclass
class Tenant:
    """A Keystone user of a project, running ``openstack`` the way its
    owner would: ``--os-cloud`` with a clouds.yaml, or an openrc's
    ``OS_*`` variables."""

    account: keystone_module.Account
    argv: list
    env: dict

    def openstack(self, *args):
        return run([*self.argv, *args], self.env)

    def show(self, instance):
        """The instance as ``database instance show`` gives it, or None
        when it is not found."""
        shown = self.openstack('database', 'instance', 'show', instance,
                               '-f', 'json')
        if shown.code == 1 and 'No instance with a name or ID of' in \
                shown.stderr:
            return None
        assert shown.code == 0, shown.stderr
        return shown.json()

    def wait_for(self, instance, predicate, timeout=WAIT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            shown = self.show(instance)
            if predicate(shown):
                return shown
            assert time.monotonic() < deadline, shown
            time.sleep(1)

    def wait_active(self, instance):
        shown = self.wait_for(instance, lambda i: i is None or i['status']
                              == 'ERROR' or (i['status'], i[
                                  'operating_status']) == ('ACTIVE',
                                                           'HEALTHY'))
        assert shown is not None and shown['status'] == 'ACTIVE', shown
        return shown

    def wait_gone(self, instance):
        self.wait_for(instance, lambda i: i is None)


def new_account(keystone, prefix):
    """A fresh project with a fresh member, as test tooling makes them."""
    suffix = uuid.uuid4().hex[:8]
    return keystone.account(f'{prefix}-user-{suffix}', uuid.uuid4().hex,
                            f'{prefix}-{suffix}', role='member')


@pytest.fixture(scope='module')
def quickstart(keystone):
    started = Quickstart(keystone)
    try:
        started.run()
        yield started
    finally:
        started.cleanup()


@pytest.fixture(scope='module')
def alpha(tmp_path_factory, keystone, quickstart):
    """A fresh project using ``openstack --os-cloud alpha``."""
    account = new_account(keystone, 'alpha')
    openrc = keystone.openrc(account)
    clouds = tmp_path_factory.mktemp('clouds') / 'clouds.yaml'
    clouds.write_text(yaml.safe_dump({'clouds': {'alpha': {
        'auth': {'auth_url': openrc['OS_AUTH_URL'],
                 'username': account.user, 'password': account.password,
                 'project_name': account.project,
                 'user_domain_name': 'Default',
                 'project_domain_name': 'Default'},
        'region_name': openrc['OS_REGION_NAME'],
        'identity_api_version': 3}}}))
    return Tenant(account,
                  [clients.console_script('openstack'), '--os-cloud',
                   'alpha'],
                  environment(OS_CLIENT_CONFIG_FILE=str(clouds)))


@pytest.fixture(scope='module')
def beta(keystone, quickstart):
    """A fresh project using ``openstack`` with an openrc's variables."""
    account = new_account(keystone, 'beta')
    return Tenant(account, [clients.console_script('openstack')],
                  environment(**keystone.openrc(account)))


@pytest.fixture(scope='module')
def admin(keystone, quickstart):
    return Tenant(keystone.admin, [clients.console_script('openstack')],
                  environment(**keystone.openrc(keystone.admin)))


def registration(keystone, service_user):
    """What Keystone holds of trove-lite: its services, their endpoints,
    the service user and its role assignments."""
    services = keystone.get('/services?type=database')['services']
    endpoints = sorted(
        (endpoint['interface'], endpoint['region_id'], endpoint['url'],
         endpoint['id'])
        for service in services
        for endpoint in keystone.get(
            f'/endpoints?service_id={service["id"]}')['endpoints'])
    users = keystone.get(f'/users?name={service_user}')['users']
    assignments = sorted(
        (assignment['role']['name'],
         assignment['scope']['project']['name'])
        for user in users
        for assignment in keystone.get(
            f'/role_assignments?user.id={user["id"]}'
            '&include_names=true')['role_assignments'])
    return {
        'services': sorted((s['name'], s['type'], s['id'])
                           for s in services),
        'endpoints': endpoints,
        'users': sorted(user['id'] for user in users),
        'assignments': assignments,
        'regions': sorted(r['id'] for r in keystone.get('/regions')[
            'regions']),
    }


def test_quickstart_registers_trove_and_its_service_user(quickstart,
                                                         keystone):
    registered = registration(keystone, quickstart.service_user)
    [(name, service_type, _)] = registered['services']
    assert (name, service_type) == ('trove', 'database')
    url = f'{quickstart.url}/v1.0/$(project_id)s'
    assert [endpoint[:3] for endpoint in registered['endpoints']] == [
        ('admin', 'RegionOne', url), ('internal', 'RegionOne', url),
        ('public', 'RegionOne', url)]
    assert len(registered['users']) == 1
    assert registered['assignments'] == [('service', 'service')]

    password = quickstart.read('service-password').strip()
    keystone.token(quickstart.service_user, password, 'service')
    config = configparser.ConfigParser(interpolation=None)
    config.read(quickstart.path('trove-lite-keystone.conf'))
    assert config['DEFAULT']['auth_strategy'] == 'keystone'
    authtoken = config['keystone_authtoken']
    assert (authtoken['username'], authtoken['password'],
            authtoken['project_name'], authtoken['auth_url']) == (
        quickstart.service_user, password, 'service', f'{keystone.url}/v3')
    for secret in ('service-password', 'trove-lite-keystone.conf'):
        mode = stat.S_IMODE(os.stat(quickstart.path(secret)).st_mode)
        assert mode == 0o600, (secret, oct(mode))

    # The password is in those two files only.
    for output in quickstart.outputs:
        assert password not in output
    for log_name in os.listdir(quickstart.path('log')):
        assert password not in quickstart.read('log', log_name), log_name


def test_the_api_takes_keystone_tokens_only(quickstart, keystone):
    admin_project = keystone.admin.project_id
    missing = requests.get(f'{quickstart.url}/v1.0/{admin_project}'
                           '/instances', timeout=30)
    assert missing.status_code == 401
    assert keystone.url in missing.headers['WWW-Authenticate']
    token = keystone.token('admin', keystone.admin.password, 'admin')
    listed = requests.get(f'{quickstart.url}/v1.0/{admin_project}'
                          '/instances', headers={'X-Auth-Token': token},
                          timeout=30)
    assert listed.status_code == 200, listed.text


def test_the_demo_instance_belongs_to_the_admin_project(quickstart,
                                                        keystone, admin):
    shown = admin.show('demo')
    assert (shown['status'], shown['operating_status']) == (
        'ACTIVE', 'HEALTHY')
    assert quickstart.query(
        "SELECT tenant_id FROM instances WHERE name = 'demo' AND "
        'deleted = 0') == ((keystone.admin.project_id,),)
    password = quickstart.read('demo-password').strip()
    with pymysql.connect(host=shown['ip'], user='demo', password=password,
                         database='demo', connect_timeout=10):
        pass


def test_a_second_run_changes_nothing(quickstart, keystone):
    def snapshot():
        return (registration(keystone, quickstart.service_user),
                quickstart.service_pids(),
                quickstart.query('SELECT id, tenant_id FROM instances'),
                quickstart.read('service-password'),
                quickstart.read('trove-lite-keystone.conf'))

    before = snapshot()
    again = quickstart.run()
    assert snapshot() == before
    assert 'demo instance (project ' in again.stdout
    for change in ('creating', 'registering the', 'starting',
                   'restarting', 'password'):
        assert change not in again.stderr, again.stderr


def test_a_demo_whose_guest_is_gone_is_recreated(quickstart, admin):
    """A demo row ACTIVE in the database with no guest behind it (its
    guest died, or the row came from another checkout) is not "ready":
    the quickstart replaces it and prints an address that connects."""
    before = admin.show('demo')
    for pid in quickstart.guest_pids():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, 9)
    # Its last heartbeat long ago, as a dead guest's would be after the
    # expiry; no guest is left to send a newer one.
    quickstart.query(
        'UPDATE instance_service_statuses SET updated_at = '
        'UTC_TIMESTAMP() - INTERVAL 1 DAY WHERE instance_id = %s',
        before['id'])
    assert admin.show('demo')['operating_status'] != 'HEALTHY'

    again = quickstart.run()

    assert 'recreating it' in again.stderr, again.stderr
    after = admin.show('demo')
    assert after['id'] != before['id']
    assert (after['status'], after['operating_status']) == (
        'ACTIVE', 'HEALTHY')
    password = quickstart.read('demo-password').strip()
    with pymysql.connect(host=after['ip'], user='demo', password=password,
                         database='demo', connect_timeout=10):
        pass


def test_fresh_projects_drive_instances_and_stay_apart(quickstart, alpha,
                                                       beta):
    tenants = {'alpha': alpha, 'beta': beta}
    for tenant in tenants.values():
        # Flavors and datastores are the cloud's: nothing to set up.
        flavors = tenant.openstack('database', 'flavor', 'list', '-f',
                                   'json')
        assert flavors.code == 0, flavors.stderr
        assert [f['Name'] for f in flavors.json()] == [
            'tiny', 'small', 'medium', 'large']
        datastores = tenant.openstack('datastore', 'list', '-f', 'json')
        assert datastores.code == 0, datastores.stderr
        assert {d['Name'] for d in datastores.json()} == {'mariadb',
                                                          'mysql'}

    # The same instance name in both projects.
    ids = {}
    for name, tenant in tenants.items():
        created = tenant.openstack(
            'database', 'instance', 'create', 'shop', '--flavor', 'tiny',
            '--size', '1', '--datastore', 'mariadb', '--databases', 'shop',
            '--users', f'shop:{name}-pass-1', '-f', 'json')
        assert created.code == 0, created.stderr
        assert created.json()['status'] == 'BUILD'
        ids[name] = created.json()['id']
    for name, tenant in tenants.items():
        ready = tenant.wait_active('shop')
        assert ready['id'] == ids[name]
        with pymysql.connect(host=ready['ip'], user='shop',
                             password=f'{name}-pass-1', database='shop',
                             connect_timeout=10):
            pass
        listed = tenant.openstack('database', 'instance', 'list', '-f',
                                  'json')
        assert listed.code == 0, listed.stderr
        assert [(i['ID'], i['Name']) for i in listed.json()] == [
            (ids[name], 'shop')]
        assert quickstart.query(
            'SELECT tenant_id FROM instances WHERE id = %s',
            ids[name]) == ((tenant.account.project_id,),)

    # trove-lite's own CLI finds the endpoint in the catalogue too.
    listed = run([clients.console_script('trove-lite'), 'instance', 'list',
                  '-f', 'json'], beta.env)
    assert listed.code == 0, listed.stderr
    assert [(i['id'], i['name']) for i in listed.json()] == [
        (ids['beta'], 'shop')]

    # beta cannot show or delete alpha's instance, by id or name.
    assert beta.show(ids['alpha']) is None
    assert beta.show('shop')['id'] == ids['beta']
    refused = beta.openstack('database', 'instance', 'delete', ids['alpha'])
    assert refused.code == 1
    assert (refused.stdout, refused.stderr) == (
        f'Resource {ids["alpha"]} cannot be found. (HTTP 404)\n',
        'Unable to delete the specified database instance(s).\n')
    assert alpha.show(ids['alpha'])['status'] == 'ACTIVE'

    # Each project deletes its own.
    for name, tenant in tenants.items():
        deleted = tenant.openstack('database', 'instance', 'delete', 'shop')
        assert deleted.code == 0, deleted.stdout + deleted.stderr
        tenant.wait_gone(ids[name])
        listed = tenant.openstack('database', 'instance', 'list', '-f',
                                  'json')
        assert listed.json() == []


def register(keystone, tmp_path, endpoint, service_user, **credentials):
    """tools/lib/keystone_registration.py as the quickstart runs it, with
    the admin's credentials unless ``credentials`` replace some; the
    result and the config file it writes."""
    openrc = {**keystone.openrc(keystone.admin), **credentials}
    config = tmp_path / 'keystone.conf'
    result = run([sys.executable, REGISTRATION, '--endpoint', endpoint,
                  '--config', str(config),
                  '--password-file', str(tmp_path / 'service-password')],
                 environment(TROVE_LITE_SERVICE_USER=service_user,
                             **{key: value for key, value in openrc.items()
                                if value is not None}))
    return result, config


def test_registration_sets_the_password_of_an_existing_service_user(
        quickstart, keystone, tmp_path):
    user = f'trove-lite-{uuid.uuid4().hex[:8]}'
    keystone.account(user, 'a-password-nobody-kept', 'service',
                     role='service')
    result, config = register(keystone, tmp_path,
                              f'{quickstart.url}/v1.0/$(project_id)s', user)
    assert result.code == 0, result.stderr
    assert f'the service user {user} has another password' in result.stderr
    assert result.stdout.strip() == keystone.admin.project_id
    password = (tmp_path / 'service-password').read_text().strip()
    assert password not in result.stdout + result.stderr
    keystone.token(user, password, 'service')
    written = configparser.ConfigParser(interpolation=None)
    written.read(config)
    assert written['keystone_authtoken']['password'] == password


def test_registration_leaves_an_endpoint_with_another_url_alone(
        quickstart, keystone, tmp_path):
    before = registration(keystone, quickstart.service_user)
    result, config = register(keystone, tmp_path,
                              'http://127.0.0.1:1/v1.0/$(project_id)s',
                              quickstart.service_user)
    assert result.code == 1
    public = next(endpoint for endpoint in before['endpoints']
                  if endpoint[0] == 'public')
    assert result.stderr.endswith(
        f'error: the public endpoint of trove in RegionOne is '
        f'{quickstart.url}/v1.0/$(project_id)s, not '
        'http://127.0.0.1:1/v1.0/$(project_id)s; delete it ("openstack '
        f'endpoint delete {public[3]}") or run the quickstart on its port '
        '(TROVE_LITE_PORT).\n'), result.stderr
    assert registration(keystone, quickstart.service_user) == before
    assert not config.exists()


@pytest.mark.parametrize('credentials, message', [
    ({'OS_PASSWORD': None},
     'error: Keystone authentication (password) needs OS_PASSWORD.\n'),
    ({'OS_PASSWORD': 'wrong'},
     'error: Keystone refuses the admin credentials of the OS_* '
     'variables.\n'),
    ({'OS_AUTH_URL': None},
     'error: Keystone mode needs the admin credentials of the cloud: set '
     'OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, '
     'OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME (source the admin '
     'openrc).\n'),
], ids=['no-password', 'wrong-password', 'no-auth-url'])
def test_registration_explains_unusable_admin_credentials(
        keystone, tmp_path, credentials, message):
    user = f'trove-lite-{uuid.uuid4().hex[:8]}'
    result, config = register(keystone, tmp_path,
                              'http://127.0.0.1:1/v1.0/$(project_id)s', user,
                              **credentials)
    assert (result.code, result.stdout, result.stderr) == (1, '', message)
    assert not config.exists()
    assert keystone.get(f'/users?name={user}')['users'] == []


def processes(sessions, state):
    """Live processes in one of ``sessions`` or with ``state`` on their
    command line: (pid, command line)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as status:
                fields = status.read().rsplit(')', 1)[1].split()
            with open(f'/proc/{entry}/cmdline', 'rb') as cmdline:
                command = cmdline.read().replace(b'\0', b' ').decode(
                    errors='replace')
        except (FileNotFoundError, ProcessLookupError):
            continue
        state_letter, session = fields[0], int(fields[3])
        if state_letter != 'Z' and (session in sessions or state in command):
            found.append((int(entry), command))
    return found


def test_stop_stops_everything_it_started(quickstart):
    services = quickstart.service_pids()
    guests = quickstart.guest_pids()
    assert sorted(services) == ['api', 'conductor', 'taskmanager']
    assert guests
    sessions = set(services.values()) | set(guests)
    running = processes(sessions, quickstart.state)
    # The services, the taskmanager's guest launcher, and each guest's
    # agent and mariadbd.
    assert len(running) >= len(services) + 1 + 2 * len(guests), running

    quickstart.run('stop')

    assert processes(sessions, quickstart.state) == []
    assert quickstart.service_pids() == {}
    with socket.socket() as probe:
        assert probe.connect_ex(('127.0.0.1', quickstart.port)) != 0
    status = quickstart.run('status')
    assert status.stdout.splitlines() == [
        'conductor: stopped', 'taskmanager: stopped', 'api: stopped']
