"""A whole trove-lite deployment for functional tests, on the real
RabbitMQ and MariaDB of this machine.

Each Stack is isolated from anything else running here (the quickstart,
another test run): its own RabbitMQ vhost, control-plane database, API
port, state directory and loopback address pool. Services are real
processes started from the installed console entry points.
"""

import concurrent.futures
import configparser
import contextlib
import ipaddress
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid

import pymysql
import requests

from trove_lite.cli import client as api_client
from trove_lite.compute.local import cgroups
from trove_lite.compute.local import firewall
from trove_lite.compute.local import guest_users
from trove_lite.datastore import mysql_config
from trove_lite.instance import keys

RABBIT_URL = os.environ.get('TROVE_LITE_TEST_RABBIT',
                            'rabbit://guest:guest@127.0.0.1:5672')
DB_HOST = os.environ.get('TROVE_LITE_TEST_DB_HOST', '127.0.0.1')
DB_USER = os.environ.get('TROVE_LITE_TEST_DB_USER', 'root')
SERVICES = ('conductor', 'taskmanager', 'api')
CONDUCTOR_TOPIC = 'trove-conductor'  # conductor_queue's default

FLAVORS = [('1', 'tiny', 256, 1, 1), ('2', 'small', 512, 1, 2),
           ('3', 'medium', 1024, 2, 4)]


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def free_address_pool():
    """A loopback /24 whose hosts nobody listens on (port 3306)."""
    for _ in range(200):
        second, third = os.urandom(2)
        network = ipaddress.ip_network(f'127.{100 + second % 100}.'
                                       f'{third}.0/24')
        sample = [str(host) for host in list(network.hosts())[:3]]
        if not any(_listening(address, 3306) for address in sample):
            return str(network)
    raise RuntimeError('no free loopback /24 found')


def free_uid_range():
    """A block of 100 uids no account of this host has, for the stack's
    guest users (stacks run side by side)."""
    for _ in range(200):
        first = 100000 + int.from_bytes(os.urandom(2), 'big') % 5000 * 100
        if not any(_has_account(uid) for uid in range(first, first + 100)):
            return f'{first}-{first + 99}'
    raise RuntimeError('no free uid range found')


def _has_account(uid):
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _listening(address, port):
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((address, port)) == 0


def mariadb_version():
    """(name like "10.11", full number like "10.11.19") of the machine's
    mariadbd."""
    out = subprocess.run(['/usr/sbin/mariadbd', '--version'],
                         capture_output=True, text=True, check=True).stdout
    number = out.split('Ver ', 1)[1].split('-', 1)[0]
    return '.'.join(number.split('.')[:2]), number


def kill_guests(state_path):
    """Kill the local guests whose server records are under
    ``state_path``, and remove their users and memory cgroups."""
    servers = server_records(state_path)
    for server in servers:
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.killpg(server['pid'], signal.SIGKILL)
        guest_users.remove(server.get('uid'))
    # A killed guest's cgroups (and the stack's parents of them) stay
    # until removed, which the kernel allows once its processes are gone.
    groups = [group for server in servers for group in cgroups.of(server)]
    # The stack's parents of them, also when no server is left.
    groups += cgroups.parent_paths(state_path)
    for group in groups:
        cgroups.remove(group, wait=10)


def server_records(state_path):
    """The local driver's server records under ``state_path``."""
    servers = os.path.join(state_path, 'servers')
    records = []
    for server_id in sorted(os.listdir(servers)) \
            if os.path.isdir(servers) else []:
        path = os.path.join(servers, server_id, 'server.json')
        with contextlib.suppress(FileNotFoundError, ValueError):
            with open(path) as record:
                records.append(json.load(record))
    return records


def rabbitmqctl(*args):
    """Run rabbitmqctl against the machine's broker; its output."""
    return subprocess.run(['rabbitmqctl', '-q', *args], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def remove_guest_broker_users(instance_ids, ctl=rabbitmqctl):
    """Delete the guest broker users of ``instance_ids`` through ``ctl``
    (a rabbitmqctl): only those the broker has (a benchmark leaves
    thousands of rows without one), each on its own (one that is gone must
    not keep the others)."""
    users = set(ctl('list_users', '--no-table-headers').split())
    for instance_id in instance_ids:
        name = f'trove-guest-{instance_id}'
        if name in users:
            with contextlib.suppress(Exception):
                ctl('delete_user', name)


class PrivateRabbitMQ:
    """A RabbitMQ node of its own (own name, ports, data), for tests that
    stop and start the broker without disturbing anything else."""

    def __init__(self, base_dir):
        # Its own directory, outside the (root-only) test tmp dir: the
        # broker runs as the rabbitmq user.
        self.base_dir = tempfile.mkdtemp(prefix='tl-rabbitmq-')
        os.chmod(self.base_dir, 0o755)
        self.node = f'tl{uuid.uuid4().hex[:8]}@localhost'
        self.port = free_port()
        self.management_port = free_port()
        self.management_url = f'http://127.0.0.1:{self.management_port}'
        self.url = f'rabbit://guest:guest@127.0.0.1:{self.port}'

    def ctl(self, *args, timeout=60):
        return subprocess.run(['rabbitmqctl', '-q', '-n', self.node, *args],
                              check=True, capture_output=True, text=True,
                              timeout=timeout).stdout

    def is_up(self):
        return subprocess.run(['rabbitmqctl', '-q', '-n', self.node,
                               'status'], capture_output=True,
                              timeout=30).returncode == 0

    def start(self):
        os.makedirs(self.base_dir, exist_ok=True)
        with open(os.path.join(self.base_dir, 'enabled_plugins'), 'w') as f:
            # The management API makes the guests' broker users.
            f.write('[rabbitmq_management].\n')
        with open(os.path.join(self.base_dir, 'rabbitmq.conf'), 'w') as f:
            # The system config pins 5672; this node gets its own ports.
            f.write(f'listeners.tcp.local = 127.0.0.1:{self.port}\n'
                    'loopback_users = none\n'
                    f'management.tcp.ip = 127.0.0.1\n'
                    f'management.tcp.port = {self.management_port}\n')
        subprocess.run(['chown', '-R', 'rabbitmq:rabbitmq', self.base_dir],
                       check=False)
        env = dict(os.environ,
                   RABBITMQ_NODENAME=self.node,
                   RABBITMQ_NODE_PORT=str(self.port),
                   RABBITMQ_DIST_PORT=str(free_port()),
                   RABBITMQ_CONFIG_FILE=f'{self.base_dir}/rabbitmq.conf',
                   RABBITMQ_MNESIA_BASE=f'{self.base_dir}/mnesia',
                   RABBITMQ_LOG_BASE=f'{self.base_dir}/log',
                   RABBITMQ_ENABLED_PLUGINS_FILE=(
                       f'{self.base_dir}/enabled_plugins'),
                   RABBITMQ_PID_FILE=f'{self.base_dir}/pid')
        subprocess.run(['rabbitmq-server', '-detached'], env=env,
                       check=True, capture_output=True, timeout=60)
        self.wait_until_serving()

    def wait_until_serving(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _listening('127.0.0.1', self.port) and \
                    _listening('127.0.0.1', self.management_port):
                return
            time.sleep(0.2)
        raise RuntimeError(f'RabbitMQ node {self.node} did not start')

    def stop_app(self):
        self.ctl('stop_app')

    def start_app(self):
        self.ctl('start_app')
        self.wait_until_serving()

    def stop(self):
        with contextlib.suppress(Exception):
            self.ctl('stop', timeout=60)
        shutil.rmtree(self.base_dir, ignore_errors=True)


class PrivateMariaDB:
    """A mariadbd of its own for the control plane, for tests that take
    the database away without disturbing anything else."""

    def __init__(self, base_dir):
        self.datadir = os.path.join(base_dir, 'mariadb')
        self.port = free_port()
        self.process = None

    def start(self):
        if not os.path.isdir(os.path.join(self.datadir, 'mysql')):
            subprocess.run(['mariadb-install-db', '--no-defaults',
                            '--auth-root-authentication-method=normal',
                            '--skip-test-db', f'--datadir={self.datadir}',
                            '--user=root' if os.geteuid() == 0 else
                            '--skip-name-resolve'],
                           check=True, capture_output=True, timeout=120)
        args = ['/usr/sbin/mariadbd', '--no-defaults',
                f'--datadir={self.datadir}', f'--port={self.port}',
                '--bind-address=127.0.0.1', '--skip-name-resolve',
                f'--socket={self.datadir}.sock',
                f'--pid-file={self.datadir}.pid',
                f'--log-error={self.datadir}.err',
                '--innodb-buffer-pool-size=32M']
        if os.geteuid() == 0:
            args.append('--user=root')
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                pymysql.connect(host='127.0.0.1', port=self.port,
                                user='root', ssl_disabled=True).close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.05)
        raise RuntimeError('the private MariaDB did not start')

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)


class Stack:
    """A running deployment: config, services, and helpers to drive it."""

    def __init__(self, base_dir, overrides=None, rabbit=None,
                 database=None):
        self.run_id = f'tl{uuid.uuid4().hex[:10]}'
        self.base_dir = base_dir
        # Guests run as users of their own, which must pass through every
        # directory above their sandboxes: not the (root-only) test dir.
        self.state_path = tempfile.mkdtemp(prefix='tl-state-')
        os.chmod(self.state_path, 0o711)
        self.uid_range = free_uid_range()
        self.log_dir = os.path.join(base_dir, 'log')
        self.config_file = os.path.join(base_dir, 'trove-lite.conf')
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.database = f'{self.run_id}_db'
        self.vhost = self.run_id
        self.address_pool = free_address_pool()
        self.nft_table = f'trove_lite_{self.run_id}'
        self.overrides = overrides or {}
        self.rabbit = rabbit
        self.private_db = database
        self.db_port = database.port if database else 3306
        self.processes = {}
        self.version_name, self.version_number = mariadb_version()

    # --- config ---------------------------------------------------------

    @property
    def rabbit_url(self):
        return self.rabbit.url if self.rabbit else RABBIT_URL

    def rabbitmqctl(self, *args):
        """rabbitmqctl against this stack's broker; its output."""
        if self.rabbit:
            return self.rabbit.ctl(*args)
        return rabbitmqctl(*args)

    def config(self):
        sections = {
            'DEFAULT': {
                'transport_url': f'{self.rabbit_url}/{self.vhost}',
                'bind_host': '127.0.0.1',
                'bind_port': str(self.port),
                'trove_api_workers': '2',
                'report_interval': '2',
                'agent_heartbeat_expiry': '90',
                'usage_timeout': '120',
                'usage_sleep_time': '2',
                'server_delete_time_out': '10',
                # Short enough for a test to see a silent guest time out.
                'agent_call_low_timeout': '8',
                'debug': 'true',
                # Tests poll fast and share projects: rate limits and the
                # instance quota are tested with values of their own.
                'http_get_rate': '100000',
                'http_post_rate': '100000',
                'http_put_rate': '100000',
                'http_delete_rate': '100000',
                'http_mgmt_post_rate': '100000',
                'max_instances_per_tenant': '100',
            },
            'database': {
                'connection': f'mysql+pymysql://{DB_USER}@{DB_HOST}:'
                              f'{self.db_port}/{self.database}',
            },
            'local_compute': {
                'state_path': self.state_path,
                'address_pools': self.address_pool,
                'guest_uid_range': self.uid_range,
                # The stack's own table: others share the machine's
                # nftables.
                'nft_table': self.nft_table,
                # An image whose "agent" boots but never answers.
                'guest_images': 'silent:sleep 3600',
            },
            'mysql': {'usage_timeout': '6'},
            'oslo_messaging_notifications': {'driver': 'messagingv2'},
        }
        if self.rabbit:
            sections['DEFAULT']['broker_management_url'] = \
                self.rabbit.management_url
        for section, values in self.overrides.items():
            sections.setdefault(section, {}).update(values)
        return sections

    def write_config(self):
        parser = configparser.ConfigParser(interpolation=None)
        for section, values in self.config().items():
            if section != 'DEFAULT':
                parser.add_section(section)
            for key, value in values.items():
                parser.set(section, key, value)
        with open(self.config_file, 'w') as out:
            parser.write(out)

    # --- lifecycle ------------------------------------------------------

    def setup(self):
        os.makedirs(self.state_path, exist_ok=True)
        os.makedirs(self.log_dir, exist_ok=True)
        self.rabbitmqctl('add_vhost', self.vhost)
        self.rabbitmqctl('set_permissions', '-p', self.vhost, 'guest', '.*',
                         '.*', '.*')
        with self.db_connection() as connection:
            connection.cursor().execute(
                f'CREATE DATABASE `{self.database}`')
        self.write_config()
        self.manage('db-sync')
        self.register_catalogue()
        for service in SERVICES:
            self.start_service(service)
        self.wait_for_api()
        self.wait_for_registered(('trove-lite-taskmanager',
                                  'trove-lite-conductor'))

    def catalogue(self):
        name, number = self.version_name, self.version_number
        return {
            'datastores': [
                {'name': 'mariadb', 'default_version': name, 'versions': [
                    {'name': name, 'manager': 'mariadb',
                     'version_number': number}]},
                {'name': 'mysql', 'default_version': name, 'versions': [
                    {'name': name, 'manager': 'mysql',
                     'version_number': number},
                    {'name': 'silent', 'manager': 'mysql', 'image': 'silent',
                     'version_number': number}]},
            ],
            'flavors': [{'id': flavor_id, 'name': flavor_name, 'ram': ram,
                         'vcpus': vcpus, 'disk': disk}
                        for flavor_id, flavor_name, ram, vcpus, disk
                        in FLAVORS],
        }

    def register_catalogue(self):
        path = os.path.join(self.base_dir, 'catalogue.json')
        with open(path, 'w') as out:
            json.dump(self.catalogue(), out)
        self.manage('catalogue-load', path)

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, '-m', 'trove_lite.cmd.manage',
             '--config-file', self.config_file, *args],
            capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f'trove-lite-manage {args} failed: '
                               f'{result.stdout}{result.stderr}')
        return result.stdout

    def start_service(self, service):
        log = open(os.path.join(self.log_dir, f'{service}.log'), 'ab')
        self.processes[service] = subprocess.Popen(
            [sys.executable, '-m', f'trove_lite.cmd.{service}',
             '--config-file', self.config_file],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()

    def stop_service(self, service, sig=signal.SIGTERM, timeout=15):
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def wait_for_registered(self, binaries, timeout=60):
        """Until each of ``binaries`` has registered (a service registers
        once its RPC server serves, its queues declared): a request sent
        before the taskmanager's queue exists is dropped by the broker."""
        def registered():
            rows = self.query('SELECT DISTINCT `binary` FROM services')
            return set(binaries) <= {binary for (binary,) in rows}
        wait_until(registered, timeout=timeout)

    def wait_for_api(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes['api']
            if process.poll() is not None:
                raise RuntimeError('the API exited; see '
                                   f'{self.log_dir}/api.log')
            try:
                if requests.get(self.url, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError('the API did not start')

    def __enter__(self):
        """Set up; a set-up that fails half-way is torn down."""
        try:
            self.setup()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc_info):
        self.teardown()

    def teardown(self):
        with concurrent.futures.ThreadPoolExecutor(len(SERVICES)) as pool:
            list(pool.map(self.stop_service, SERVICES))
        self.kill_guests()
        with contextlib.suppress(Exception):
            # Broker users are not in the vhost: those of instances a test
            # left behind (a deleted one's went with it).
            remove_guest_broker_users(
                [instance_id for (instance_id,) in self.query(
                    'SELECT id FROM instances WHERE NOT deleted')],
                self.rabbitmqctl)
        with contextlib.suppress(Exception):
            with self.db_connection() as connection:
                connection.cursor().execute(
                    f'DROP DATABASE IF EXISTS `{self.database}`')
        with contextlib.suppress(Exception):
            self.rabbitmqctl('delete_vhost', self.vhost)
        with contextlib.suppress(Exception):
            firewall.remove_all(self.state_path, self.nft_table)
        shutil.rmtree(self.state_path, ignore_errors=True)

    def kill_guests(self):
        kill_guests(self.state_path)

    # --- inspection -------------------------------------------------------

    def db_connection(self, database=None):
        return pymysql.connect(host=DB_HOST, port=self.db_port, user=DB_USER,
                               database=database, autocommit=True,
                               ssl_disabled=True)

    def query(self, sql, *params):
        with self.db_connection(self.database) as connection:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return cursor.fetchall()

    def guest_config(self, instance_id):
        """The [DEFAULT] options written into an instance's guest (what
        anyone holding the guest has)."""
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(self.server_dir(instance_id), 'guest.conf'))
        return dict(parser['DEFAULT'])

    def stored_instance_key(self, instance_id):
        """The key's column in the database (encrypted)."""
        rows = self.query('SELECT encrypted_key FROM instances WHERE id = '
                          '%s', instance_id)
        return rows[0][0] if rows else None

    def instance_key(self, instance_id):
        """The key that seals the messages of an instance's guest (None
        for an unknown instance)."""
        stored = self.stored_instance_key(instance_id)
        return keys.decrypt(stored) if stored else None

    def rpc(self, topic, server, method, sealed_as, key=None, call=False,
            send_as=None, times=1, captured=None, **kwargs):
        """Cast (or call, 5 s timeout) ``method`` from a separate process
        in an envelope sealed as the guest (or control plane) of instance
        ``sealed_as``: with its key unless ``key`` is given ('' seals in
        the clear). The same message is sent ``times`` times, dispatched
        to ``send_as`` (default: ``method``); ``captured``: send that
        message (from ``capture``) instead of a new one. A call's answer,
        or ``{'error': <exception class name>, 'message': ...}``; a list
        of them when ``times`` > 1."""
        if key is None:
            key = self.instance_key(sealed_as)
        code = textwrap.dedent(f'''
            import json
            import oslo_messaging as messaging
            import trove_lite.cmd
            from trove_lite.common import context, rpc, sealing, service
            service.prepare_service(['x', '--config-file',
                                     {self.config_file!r}])
            client = rpc.get_client(
                messaging.Target(topic={topic!r}, server={server!r}),
                serializer=messaging.NoOpSerializer())
            envelopes = sealing.Envelopes({key!r} or None, {sealed_as!r})
            wire, message_id = {captured!r} or envelopes.seal(
                context.get_admin_context(), {method!r}, {kwargs!r},
                {call!r})
            answers = []
            for _ in range({times!r}):
                try:
                    if {call!r}:
                        answer = envelopes.open_answer(
                            client.prepare(timeout=5).call(
                                wire, {send_as or method!r}), message_id)
                    else:
                        answer = client.prepare().cast(
                            wire, {send_as or method!r})
                except Exception as error:
                    answer = {{'error': type(error).__name__,
                               'message': str(error)}}
                answers.append(answer)
            print(json.dumps(answers if {times!r} > 1 else answers[0],
                             default=repr))
            rpc.cleanup()
        ''')
        result = subprocess.run([sys.executable, '-c', code], check=True,
                                timeout=60, capture_output=True, text=True)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def cast_to_conductor(self, method, sealed_as=None, key=None,
                          captured=None, **kwargs):
        """A conductor cast as a guest sends it (by default the guest of
        the instance it names)."""
        self.rpc(CONDUCTOR_TOPIC, None, method,
                 sealed_as or kwargs['instance_id'], key=key,
                 captured=captured, **kwargs)

    def capture(self, method, sealed_as, call=False, **kwargs):
        """A message as it travels (``[wire context, message id]``),
        sealed as the guest of instance ``sealed_as``, to send (again)
        with ``rpc(..., captured=...)``."""
        key = self.instance_key(sealed_as)
        code = textwrap.dedent(f'''
            import json
            import trove_lite.cmd
            from trove_lite.common import context, sealing, service
            service.prepare_service(['x', '--config-file',
                                     {self.config_file!r}])
            envelopes = sealing.Envelopes({key!r} or None, {sealed_as!r})
            print(json.dumps(envelopes.seal(context.get_admin_context(),
                                            {method!r}, {kwargs!r},
                                            {call!r})))
        ''')
        result = subprocess.run([sys.executable, '-c', code], check=True,
                                timeout=60, capture_output=True, text=True)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def servers(self):
        """Local driver server records still on disk."""
        return server_records(self.state_path)

    def volumes(self):
        volumes = os.path.join(self.state_path, 'volumes')
        return sorted(name for name in os.listdir(volumes)
                      if not name.endswith('.json')) \
            if os.path.isdir(volumes) else []

    def queues(self):
        node = ['-n', self.rabbit.node] if self.rabbit else []
        out = subprocess.run(['rabbitmqctl', '-q', *node, 'list_queues',
                              '-p', self.vhost, 'name', 'messages'],
                             capture_output=True, text=True, check=True,
                             timeout=60).stdout
        rows = [line.split('\t') for line in out.splitlines()[1:]
                if line.strip()]
        return {name: int(count) for name, count in rows}

    def drain_notifications(self, priority='info'):
        """Every notification waiting in ``notifications.<priority>``
        (removed from the queue) as dicts with event_type, payload,
        publisher_id."""
        import kombu
        found = []
        amqp_url = self.rabbit_url.replace('rabbit://', 'amqp://')
        with kombu.Connection(f'{amqp_url}/{self.vhost}') as broker:
            queue = kombu.Queue(f'notifications.{priority}', durable=True,
                                channel=broker.channel())
            # Declared as the notifier declares it (durable, not
            # auto-deleted), so draining before the first event works.
            queue.queue_declare()
            while True:
                message = queue.get(no_ack=True)
                if message is None:
                    return found
                envelope = json.loads(message.body)
                found.append(json.loads(envelope['oslo.message']))

    def log(self, service):
        with open(os.path.join(self.log_dir, f'{service}.log'),
                  errors='replace') as log:
            return log.read()

    def server_of(self, instance_id):
        """The local driver's record of an instance's server."""
        return next(server for server in self.servers()
                    if server['instance_id'] == instance_id)

    def server_dir(self, instance_id):
        """The local driver's directory of an instance's server (its
        record, config and log)."""
        return os.path.join(self.state_path, 'servers',
                            self.server_of(instance_id)['id'])

    def sandbox(self, instance_id):
        """The guest's own directory."""
        return os.path.join(self.server_dir(instance_id), 'sandbox')

    def run_dir(self, instance_id):
        """Where the guest's database keeps its socket and pid file."""
        return mysql_config.run_dir_for(self.sandbox(instance_id))

    def volume_path(self, instance_id):
        return os.path.join(self.state_path, 'volumes',
                            self.server_of(instance_id)['volume_id'])

    def all_logs(self):
        """Every log the deployment wrote: services, guests, databases."""
        texts = []
        for folder in (self.log_dir, os.path.join(self.state_path,
                                                  'servers')):
            for root, _dirs, files in os.walk(folder):
                for name in files:
                    if name.endswith(('.log', '.err')):
                        with open(os.path.join(root, name),
                                  errors='replace') as log:
                            texts.append(log.read())
        return '\n'.join(texts)

    # --- API helpers ------------------------------------------------------

    def project_url(self, project):
        return f'{self.url}/v1.0/{project}'

    def api(self, project='demo', token=None):
        return APIClient(self.project_url(project), token)


class APIClient:
    """requests against one project's endpoint (with a Keystone token
    when given), plus waiting helpers."""

    # A connection idle longer than this is not reused, as the CLI's
    # client does (see there): the API may be closing it.
    IDLE_REUSE = api_client.Client.IDLE_REUSE

    def __init__(self, base, token=None):
        self.base = base
        self.session = requests.Session()
        self._answered_at = time.monotonic()
        if token is not None:
            self.session.headers['X-Auth-Token'] = token

    def request(self, method, path, **kwargs):
        if time.monotonic() - self._answered_at > self.IDLE_REUSE:
            self.session.close()  # its pools only; the session stays usable
        try:
            return self.session.request(method, self.base + path,
                                        timeout=30, **kwargs)
        finally:
            self._answered_at = time.monotonic()

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request('POST', path, json=body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request('PUT', path, json=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request('DELETE', path, **kwargs)

    def create_instance(self, name='test', flavor='1', size=1,
                        datastore='mariadb', version=None, **extra):
        body = {'name': name, 'flavorRef': flavor,
                'volume': {'size': size},
                'datastore': {'type': datastore}}
        if version:
            body['datastore']['version'] = version
        body.update(extra)
        response = self.post('/instances', {'instance': body})
        assert response.status_code == 200, response.text
        return response.json()['instance']

    def instance(self, instance_id):
        response = self.get(f'/instances/{instance_id}')
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()['instance']

    def wait_for(self, instance_id, predicate, timeout=60, interval=0.05):
        """Poll until ``predicate(instance or None)``; the last instance."""
        deadline = time.monotonic() + timeout
        while True:
            instance = self.instance(instance_id)
            if predicate(instance):
                return instance
            if time.monotonic() > deadline:
                raise AssertionError(f'timed out; last seen: {instance}')
            time.sleep(interval)

    def wait_active(self, instance_id, timeout=60):
        """Wait for ACTIVE/HEALTHY; fails fast on ERROR or deletion."""
        instance = self.wait_for(
            instance_id, lambda i: i is None or i['status'] == 'ERROR' or (
                i['status'], i['operating_status']) == ('ACTIVE', 'HEALTHY'),
            timeout)
        assert instance is not None, 'the instance disappeared'
        assert (instance['status'], instance['operating_status']) == (
            'ACTIVE', 'HEALTHY'), instance
        return instance

    def wait_build_failed(self, instance_id, timeout=90):
        """Wait until a build failed for good: ERROR with its fault (the
        status can read ERROR a moment before the task is recorded)."""
        instance = self.wait_for(instance_id,
                                 lambda i: i is None or 'fault' in i,
                                 timeout)
        assert instance is not None, 'the instance disappeared'
        assert instance['status'] == 'ERROR', instance
        return instance

    def wait_gone(self, instance_id, timeout=60):
        self.wait_for(instance_id, lambda i: i is None, timeout)


def connect(address, user, password, database=None):
    """A PyMySQL connection to an instance, as a tenant would open it."""
    return pymysql.connect(host=address, user=user, password=password,
                           database=database, connect_timeout=5,
                           ssl_disabled=True, autocommit=True)


def wait_until(check, timeout=30, interval=0.1):
    """Poll ``check()`` until it returns a true value (returned); for the
    effects of casts, which the API answers before they happen."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting; last: {result!r}')
        time.sleep(interval)
