"""Fixtures of the functional tests: one real stack per test session, and
a real Keystone with a second stack behind it, and a real Swift, when a
test needs them."""

import dataclasses
import os
import secrets

import pymysql
import pytest

from tests.functional import keystone as keystone_module
from tests.functional import stack as stack_module
from tests.functional import swift_server as swift_server_module

# The suite runs up to four deployments and a Keystone side by side on the
# one MariaDB, each service process with its own connection pool: about
# 200 connections at the peak, more than a stock server's 151 allow (it
# then refuses connections, and the API answers 503).
MARIADB_CONNECTIONS = 1000


# The modules using a service a pytest process starts once and its
# modules share, by service: tools/swift.sh's Swift is one per machine
# (tests kill and restart its servers, and the process that started it
# stops it), so every module using it must run in one pytest-xdist worker;
# a Keystone takes a minute to start. tox runs the suite in two workers
# (TROVE_LITE_TEST_WORKERS, tox.ini), each module whole in one of
# them (its module fixtures are made once), and the modules of one
# service here in the same one, one after another.
SHARED_SERVICES = {
    'swift_server': {'test_backups.py', 'test_point_in_time.py',
                     'test_storage_swift.py'},
    'keystone': {'test_api_containment.py', 'test_keystone_auth.py',
                 'test_quickstart_keystone.py', 'test_quotas.py'},
}


def pytest_collection_modifyitems(items):
    """Fail the run when a module uses a shared service without being
    listed for it: in another worker it would meet that service being
    restarted, or stopped, by the modules listed."""
    unlisted = sorted({
        (service, item.path.name) for item in items
        for service, modules in SHARED_SERVICES.items()
        if service in item.fixturenames and item.path.name not in modules})
    if unlisted:
        raise pytest.UsageError(
            'tests/functional/conftest.py: add to SHARED_SERVICES: ' +
            ', '.join(f'{module} (uses {service})'
                      for service, module in unlisted))


def pytest_xdist_make_scheduler(config, log):
    from xdist import scheduler

    class ByModuleAndService(scheduler.LoadScopeScheduling):
        """Whole modules to a worker, those of one shared service to the
        same one."""

        def _split_scope(self, nodeid):
            path = nodeid.split('::', 1)[0]
            name = os.path.basename(path)
            for service, modules in SHARED_SERVICES.items():
                if name in modules:
                    return service
            return path

    return ByModuleAndService(config, log)


# Lines of a deployment's logs worth reading when a test failed.
_TELLING = ('ERROR', 'CRITICAL', 'WARNING', 'Traceback', 'Error:',
            'failed', 'failing')


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report carries what its deployments logged that
    tells why (errors and tracebacks of services, guests and their
    databases): their files are gone with the deployment, and a failure
    seen once in CI must be explainable from its output alone."""
    report = yield
    if report.failed:
        for name, value in getattr(item, 'funcargs', {}).items():
            if isinstance(value, stack_module.Stack):
                report.sections.append((
                    f'deployment {name}: telling log lines',
                    telling_lines(value)))
    return report


def telling_lines(deployment, most=200):
    try:
        text = deployment.all_logs()
    except OSError as error:
        return f'(logs not readable: {error})'
    lines = [line for line in text.splitlines()
             if any(word in line for word in _TELLING)]
    return '\n'.join(lines[-most:]) or '(none)'


@pytest.fixture(scope='session', autouse=True)
def mariadb_connections():
    """Room on the shared MariaDB for every deployment of the session;
    prints the peak use at the end, to keep an eye on it."""
    with pymysql.connect(host=stack_module.DB_HOST, user=stack_module.DB_USER,
                         autocommit=True, ssl_disabled=True) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT @@GLOBAL.max_connections")
        (allowed,) = cursor.fetchone()
        if allowed < MARIADB_CONNECTIONS:
            cursor.execute('SET GLOBAL max_connections = %s',
                           (MARIADB_CONNECTIONS,))
            print(f'\nMariaDB max_connections raised from {allowed} to '
                  f'{MARIADB_CONNECTIONS}')
    yield
    with pymysql.connect(host=stack_module.DB_HOST, user=stack_module.DB_USER,
                         autocommit=True, ssl_disabled=True) as connection:
        cursor = connection.cursor()
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Max_used_connections'")
        print(f'\nMariaDB connections at the peak: {cursor.fetchone()[1]}')


@pytest.fixture(scope='session')
def stack(tmp_path_factory):
    deployment = stack_module.Stack(str(tmp_path_factory.mktemp('stack')))
    with deployment:
        yield deployment


@pytest.fixture
def api(stack):
    return stack.api('demo')


@pytest.fixture(scope='session')
def keystone(tmp_path_factory):
    """A real Keystone (PyPI keystone, gunicorn, fernet, local MariaDB)."""
    server = keystone_module.Keystone(str(tmp_path_factory.mktemp(
        'keystone')))
    try:
        server.setup()
        print(f'\nKeystone started in {server.startup_seconds:.1f} s')
        yield server
    finally:
        server.teardown()


@pytest.fixture(scope='session')
def keystone_stack(tmp_path_factory, keystone):
    """A stack whose API runs with ``auth_strategy = keystone``; its
    ``policy_file`` path is ``keystone_stack.policy_file``."""
    service = keystone.account('trove-lite', secrets.token_hex(12),
                               'service', role='service')
    base_dir = str(tmp_path_factory.mktemp('keystone-stack'))
    deployment = stack_module.Stack(base_dir, overrides={
        'DEFAULT': {'auth_strategy': 'keystone'},
        'keystone_authtoken': keystone.authtoken_options(service),
        'oslo_policy': {'policy_file': os.path.join(base_dir,
                                                    'policy.yaml')},
    })
    deployment.policy_file = os.path.join(base_dir, 'policy.yaml')
    with deployment:
        yield deployment


@dataclasses.dataclass
class Caller:
    """A Keystone user with a token, and API clients using that token."""

    account: keystone_module.Account
    token: str
    stack: stack_module.Stack

    @property
    def project_id(self):
        return self.account.project_id

    @property
    def api(self):
        """A client of the caller's own project."""
        return self.on(self.project_id)

    def on(self, project_id):
        """A client of any project's URL, with the caller's token."""
        return self.stack.api(project_id, self.token)


@pytest.fixture(scope='session')
def caller(keystone, keystone_stack):
    """``caller(user, project, role='member')``: that user (created once)
    with a token for the project, against the Keystone-mode stack;
    ``caller('admin', 'admin')`` is the cloud admin."""
    known = {}

    def make(user, project, role='member'):
        if user not in known:
            if user == 'admin':
                account = keystone.admin
            else:
                account = keystone.account(user, secrets.token_hex(12),
                                           project, role)
            known[user] = Caller(account, keystone.token(
                user, account.password, project), keystone_stack)
        return known[user]
    return make


@pytest.fixture(scope='session')
def swift_server():
    """The real Swift of tools/swift.sh (installed on first use)."""
    server = swift_server_module.SwiftServer().start()
    print(f'\nSwift started in {server.startup_seconds:.1f} s')
    try:
        yield server
    finally:
        server.stop()
