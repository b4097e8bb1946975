"""A real Keystone for functional tests.

PyPI's ``keystone`` is installed once into a virtualenv of its own
(``.run/keystone-venv``, or ``$TROVE_LITE_TEST_KEYSTONE_VENV``) with the
versions pinned in ``keystone-constraints.txt``. Each Keystone gets its own
directory (config, fernet keys, log) and its own database on the local
MariaDB (dropped at teardown). It is set up with
``keystone-manage db_sync``/``fernet_setup``/``bootstrap`` and served by
gunicorn on a free port of 127.0.0.1.
"""

import concurrent.futures
import contextlib
import dataclasses
import fcntl
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time

import pymysql
import requests

from tests.functional import stack as stack_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VENV = os.environ.get('TROVE_LITE_TEST_KEYSTONE_VENV',
                      os.path.join(ROOT, '.run', 'keystone-venv'))
CONSTRAINTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'keystone-constraints.txt')
PACKAGES = ['keystone', 'gunicorn', 'PyMySQL']
DOMAIN = 'default'

# keystone.wsgi.api parses sys.argv with oslo.config: hide gunicorn's.
WSGI_MODULE = '''import sys
sys.argv = sys.argv[:1]
from keystone.wsgi.api import application  # noqa: E402,F401
'''


def _constraints_digest():
    """What is installed: the packages at their pinned versions."""
    with open(CONSTRAINTS, 'rb') as pins:
        return hashlib.sha256(pins.read() + ' '.join(PACKAGES).encode()
                              ).hexdigest()


def ensure_installed():
    """Install Keystone into VENV unless this very pin set is there."""
    os.makedirs(os.path.dirname(VENV), exist_ok=True)
    marker = os.path.join(VENV, '.trove-lite-installed')
    digest = _constraints_digest()
    with open(VENV + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            with open(marker) as installed:
                if installed.read() == digest:
                    return
        subprocess.run(['rm', '-rf', VENV], check=True)
        subprocess.run([sys.executable, '-m', 'venv', VENV], check=True)
        result = subprocess.run(
            [os.path.join(VENV, 'bin', 'pip'), 'install', '-q',
             '-c', CONSTRAINTS, *PACKAGES],
            capture_output=True, text=True, timeout=1200)
        if result.returncode != 0:
            raise RuntimeError(f'installing Keystone failed:\n'
                               f'{result.stdout}{result.stderr}')
        with open(marker, 'w') as installed:
            installed.write(digest)


@dataclasses.dataclass
class Account:
    """A Keystone user with a role on one project."""

    user: str
    password: str
    project: str
    project_id: str
    user_id: str


class Keystone:
    """One running Keystone with its admin (from bootstrap)."""

    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.port = stack_module.free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.admin_password = secrets.token_hex(12)
        self.database = f'keystone_{secrets.token_hex(5)}'
        self.process = None
        self.startup_seconds = None
        self.admin = None
        self._admin_token = None

    def keystone_manage(self, *args):
        result = subprocess.run(
            [os.path.join(VENV, 'bin', 'keystone-manage'), '--config-file',
             os.path.join(self.base_dir, 'keystone.conf'), *args],
            capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f'keystone-manage {args[0]} failed:\n'
                               f'{result.stdout}{result.stderr}')

    def write_config(self):
        keys = {name: os.path.join(self.base_dir, name)
                for name in ('fernet-keys', 'credential-keys')}
        for path in keys.values():
            os.makedirs(path, exist_ok=True)
        with open(os.path.join(self.base_dir, 'keystone.conf'), 'w') as out:
            out.write(
                '[DEFAULT]\nuse_stderr = true\n'
                '[database]\nconnection = mysql+pymysql://'
                f'{stack_module.DB_USER}@{stack_module.DB_HOST}/'
                f'{self.database}\n'
                '[token]\nprovider = fernet\n'
                f'[fernet_tokens]\nkey_repository = {keys["fernet-keys"]}\n'
                '[credential]\n'
                f'key_repository = {keys["credential-keys"]}\n'
                '[cache]\nenabled = false\n'
                # Cheap password hashes: every token request checks one.
                '[identity]\npassword_hash_rounds = 4\n')
        with open(os.path.join(self.base_dir, 'keystone_wsgi.py'),
                  'w') as out:
            out.write(WSGI_MODULE)

    def setup(self):
        started = time.monotonic()
        ensure_installed()
        self._execute(f'CREATE DATABASE `{self.database}` '
                      'CHARACTER SET utf8mb4')
        self.write_config()
        owner = ['--keystone-user', str(os.getuid()),
                 '--keystone-group', str(os.getgid())]
        # The key repositories do not need the database: make them while
        # the schema is created.
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            for done in [pool.submit(self.keystone_manage, 'db_sync'),
                         pool.submit(self.keystone_manage, 'fernet_setup',
                                     *owner),
                         pool.submit(self.keystone_manage,
                                     'credential_setup', *owner)]:
                done.result()
        self.keystone_manage(
            'bootstrap', '--bootstrap-password', self.admin_password,
            '--bootstrap-username', 'admin',
            '--bootstrap-project-name', 'admin',
            '--bootstrap-role-name', 'admin',
            '--bootstrap-service-name', 'keystone',
            '--bootstrap-region-id', 'RegionOne',
            '--bootstrap-public-url', f'{self.url}/v3',
            '--bootstrap-internal-url', f'{self.url}/v3',
            '--bootstrap-admin-url', f'{self.url}/v3')
        self.start()
        self.admin = self.account('admin', self.admin_password, 'admin')
        self.startup_seconds = time.monotonic() - started

    def start(self):
        log = open(os.path.join(self.base_dir, 'keystone.log'), 'ab')
        self.process = subprocess.Popen(
            [os.path.join(VENV, 'bin', 'gunicorn'),
             '--chdir', self.base_dir, '--bind', f'127.0.0.1:{self.port}',
             '--workers', '1', '--worker-class', 'gthread',
             '--threads', '4', '--no-control-socket',
             'keystone_wsgi:application'],
            env=dict(os.environ, OS_KEYSTONE_CONFIG_DIR=self.base_dir),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('Keystone exited; see '
                                   f'{self.base_dir}/keystone.log')
            with contextlib.suppress(requests.RequestException):
                if requests.get(f'{self.url}/v3', timeout=5).ok:
                    return
            time.sleep(0.2)
        raise RuntimeError('Keystone did not answer in 120 s')

    def teardown(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._execute(f'DROP DATABASE IF EXISTS `{self.database}`')

    @staticmethod
    def _execute(sql):
        with pymysql.connect(host=stack_module.DB_HOST,
                             user=stack_module.DB_USER, autocommit=True,
                             ssl_disabled=True) as connection:
            connection.cursor().execute(sql)

    # --- identity API -----------------------------------------------------

    def token(self, user, password, project):
        """A project-scoped token (the X-Subject-Token)."""
        response = requests.post(f'{self.url}/v3/auth/tokens', json={
            'auth': {
                'identity': {'methods': ['password'], 'password': {
                    'user': {'name': user, 'domain': {'id': DOMAIN},
                             'password': password}}},
                'scope': {'project': {'name': project,
                                      'domain': {'id': DOMAIN}}}}},
            timeout=30)
        assert response.status_code == 201, response.text
        return response.headers['X-Subject-Token']

    def _admin_call(self, method, path, body=None):
        if self._admin_token is None:
            self._admin_token = self.token('admin', self.admin_password,
                                           'admin')
        response = requests.request(
            method, f'{self.url}/v3{path}', json=body, timeout=30,
            headers={'X-Auth-Token': self._admin_token})
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def get(self, path):
        """``GET /v3<path>`` as the admin: the JSON answer."""
        return self._admin_call('GET', path)

    def _find(self, collection, name):
        found = self._admin_call('GET', f'/{collection}?name={name}')
        items = found[collection]
        return items[0]['id'] if items else None

    def project(self, name):
        """The id of the project ``name``, created if missing."""
        return self._find('projects', name) or self._admin_call(
            'POST', '/projects', {'project': {
                'name': name, 'domain_id': DOMAIN}})['project']['id']

    def role(self, name):
        return self._find('roles', name) or self._admin_call(
            'POST', '/roles', {'role': {'name': name}})['role']['id']

    def account(self, user, password, project, role='member'):
        """The user (created if missing) with ``role`` on ``project``."""
        project_id = self.project(project)
        user_id = self._find('users', user) or self._admin_call(
            'POST', '/users', {'user': {
                'name': user, 'password': password, 'domain_id': DOMAIN,
                'default_project_id': project_id}})['user']['id']
        self._admin_call('PUT', f'/projects/{project_id}/users/{user_id}'
                                f'/roles/{self.role(role)}')
        return Account(user, password, project, project_id, user_id)

    def openrc(self, account, region='RegionOne'):
        """The ``OS_*`` variables an openrc of ``account`` sets."""
        return {
            'OS_AUTH_URL': f'{self.url}/v3',
            'OS_USERNAME': account.user,
            'OS_PASSWORD': account.password,
            'OS_PROJECT_NAME': account.project,
            'OS_USER_DOMAIN_NAME': 'Default',
            'OS_PROJECT_DOMAIN_NAME': 'Default',
            'OS_REGION_NAME': region,
            'OS_IDENTITY_API_VERSION': '3',
        }

    def authtoken_options(self, service):
        """``[keystone_authtoken]`` for a service account."""
        return {
            'www_authenticate_uri': self.url,
            'auth_url': self.url,
            'auth_type': 'password',
            'username': service.user,
            'password': service.password,
            'user_domain_id': DOMAIN,
            'project_name': service.project,
            'project_domain_id': DOMAIN,
            'service_token_roles_required': 'true',
        }
