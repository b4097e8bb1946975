"""Read path side by side: upstream trove-api 26.0.0 against trove-lite.

In one run, on this machine, with the same load generator (wrk) and the
two APIs taking turns:

* upstream Trove 26.0.0 from PyPI, in its own virtualenv cached under
  ``--cache`` (``benchmarks/upstream/requirements.txt``: trove 26.0.0 with
  the OpenStack constraints of its time), 2 API workers, its paste
  pipeline without ``authtoken`` (identity from the X-Tenant-Id and
  X-Role headers), Nova and Neutron stubbed in-process through Trove's
  ``remote_nova_client``/``remote_neutron_client`` options
  (``benchmarks/upstream/anchor_fakes.py``): it pays no Nova round trip
  and never calls a guest; its own database on the local MariaDB and its
  own RabbitMQ vhost, both removed afterwards;
* trove-lite: an isolated stack (tests/functional/stack.py), 2 API
  workers, noauth.

Each has a project with ``--instances`` instance rows (HEALTHY, with the
volume usage a guest would have reported for trove-lite) and an empty
project. Prints requests/s for an empty list, a list of the full project,
a show and the datastore list, at 1 and 16 clients (each figure the
median of ``--rounds`` runs of ``--duration`` s), and trove-lite's ratio
to upstream.

    python benchmarks/upstream_side_by_side.py [--instances 1000]
"""

import argparse
import collections
import datetime
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import stack as stack_module  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.join(HERE, 'upstream')
TROVE = 'trove-26.0.0'
UPSTREAM_PORT = 28779
PROJECT, EMPTY = 'proj1', 'empty'
# Both APIs' rate limits are raised far above what wrk sends.
NO_LIMIT = '100000000'
NO_RATE_LIMITS = {f'http_{verb}_rate': NO_LIMIT
                  for verb in ('get', 'post', 'put', 'delete', 'mgmt_post')}

UPSTREAM_CONF = """\
[DEFAULT]
bind_host = 127.0.0.1
bind_port = {port}
api_paste_config = {work}/api-paste.ini
transport_url = rabbit://guest:guest@127.0.0.1:5672/{vhost}
debug = False
trove_api_workers = 2
http_get_rate = {no_limit}
http_post_rate = {no_limit}
http_delete_rate = {no_limit}
http_put_rate = {no_limit}
http_mgmt_post_rate = {no_limit}
control_exchange = trove
log_dir = {work}/logs
remote_nova_client = anchor_fakes.nova_client
remote_neutron_client = anchor_fakes.neutron_client

[database]
connection = mysql+pymysql://root@127.0.0.1/{database}

[oslo_messaging_notifications]
driver = noop

[profiler]
enabled = False

[service_credentials]
# Never reached with the stand-ins; a closed loopback port all the same.
auth_url = http://127.0.0.1:9/identity/v3
"""


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          **kwargs)


def upstream_venv(cache):
    """The cached virtualenv with upstream Trove (built once)."""
    venv = os.path.join(cache, TROVE, 'venv')
    marker = os.path.join(venv, '.complete')
    if not os.path.exists(marker):
        shutil.rmtree(venv, ignore_errors=True)
        print(f'Installing upstream {TROVE} into {venv} (once) ...',
              flush=True)
        run(sys.executable, '-m', 'venv', venv)
        run(os.path.join(venv, 'bin', 'pip'), 'install', '-q', '-r',
            os.path.join(KIT, 'requirements.txt'))
        open(marker, 'w').close()
    return venv


def mariadb(statement):
    """Run ``statement`` as the local MariaDB's root."""
    return run('mariadb', '-uroot', '-h127.0.0.1', '-N', '-e', statement)


def rabbitmqctl(*args, check=True):
    return subprocess.run(['rabbitmqctl', '-q', *args], check=check,
                          capture_output=True, text=True)


class Upstream:
    """Upstream trove-api on its own database and vhost, all of which
    ``stop`` removes."""

    def __init__(self, cache, instances):
        self.venv = upstream_venv(cache)
        tag = uuid.uuid4().hex[:8]
        self.database = f'tl_bench_upstream_{tag}'
        self.vhost = f'tl-bench-upstream-{tag}'
        self.work = tempfile.mkdtemp(prefix='tl-bench-upstream-',
                                     dir=os.path.join(cache, TROVE))
        self.instances = instances
        self.process = None

    def setup(self):
        os.makedirs(os.path.join(self.work, 'logs'))
        shutil.copy(os.path.join(KIT, 'anchor_fakes.py'), self.work)
        with open(os.path.join(KIT, 'api-paste.ini')) as source, \
                open(os.path.join(self.work, 'api-paste.ini'), 'w') as out:
            out.write(source.read().replace('@WORK@', self.work))
        self.config = os.path.join(self.work, 'trove.conf')
        with open(self.config, 'w') as out:
            out.write(UPSTREAM_CONF.format(
                port=UPSTREAM_PORT, work=self.work, vhost=self.vhost,
                database=self.database, no_limit=NO_LIMIT))
        # Upstream declares the 'trove' exchange non-durable, trove-lite
        # durable: they cannot share a vhost.
        rabbitmqctl('add_vhost', self.vhost)
        rabbitmqctl('set_permissions', '-p', self.vhost, 'guest', '.*',
                    '.*', '.*')
        mariadb(f'CREATE DATABASE {self.database} CHARACTER SET utf8mb4')
        manage = [os.path.join(self.venv, 'bin', 'trove-manage'),
                  '--config-file', self.config]
        # Its last post-upgrade step tags Nova servers and fails without
        # Nova; the schema is complete by then.
        subprocess.run(manage + ['db_sync'], capture_output=True)
        run(*manage, 'datastore_update', 'mysql', '')
        run(*manage, 'datastore_version_update', 'mysql', '5.7', 'mysql',
            '00000000-0000-0000-0000-0000000000aa', '', '1',
            '--version', '5.7.29')
        run(*manage, 'datastore_update', 'mysql', '5.7')
        self._seed()
        self.process = subprocess.Popen(
            [os.path.join(self.venv, 'bin', 'trove-api'), '--config-file',
             self.config], cwd=self.work, start_new_session=True,
            env=dict(os.environ, PYTHONPATH=self.work),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _seed(self):
        import pymysql
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None,
                                                          microsecond=0)
        ids = [f'00000000-0000-4000-8000-{index:012d}'
               for index in range(self.instances)]
        with pymysql.connect(host='127.0.0.1', user='root',
                             database=self.database) as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT id FROM datastore_versions WHERE "
                           "name = '5.7'")
            (version_id,), = cursor.fetchall()
            cursor.executemany(
                'INSERT INTO instances (id, created, updated, name, '
                'compute_instance_id, task_id, task_description, flavor_id, '
                'volume_size, tenant_id, server_status, deleted, '
                'datastore_version_id, region_id) VALUES (%s, %s, %s, %s, '
                "%s, 1, 'No tasks for the instance.', 'm1.small', 1, %s, "
                "'ACTIVE', 0, %s, 'RegionOne')",
                [(instance_id, now, now, f'anchor-{index:04d}',
                  'c' + instance_id[1:], PROJECT, version_id)
                 for index, instance_id in enumerate(ids)])
            cursor.executemany(
                'INSERT INTO service_statuses (id, instance_id, status_id, '
                "status_description, updated_at) VALUES (%s, %s, 33, "
                "'healthy', %s)",
                [(str(uuid.uuid4()), instance_id, now)
                 for instance_id in ids])
            connection.commit()
        self.show_id = ids[1]

    def url(self, project):
        return f'http://127.0.0.1:{UPSTREAM_PORT}/v1.0/{project}'

    @staticmethod
    def headers(project):
        return {'X-Auth-Token': 'bench', 'X-Tenant-Id': project,
                'X-Project-Id': project, 'X-Role': 'member'}

    def stop(self):
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        mariadb(f'DROP DATABASE IF EXISTS {self.database}')
        rabbitmqctl('delete_vhost', self.vhost, check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def seed_lite(deployment, count):
    """``count`` instance rows in PROJECT with a HEALTHY guest that
    reported its volume usage; returns the id of one."""
    version_id = deployment.query(
        'SELECT id FROM datastore_versions WHERE manager = %s LIMIT 1',
        'mariadb')[0][0]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with deployment.db_connection(deployment.database) as connection:
        cursor = connection.cursor()
        cursor.executemany(
            'INSERT INTO instances (id, created, updated, name, tenant_id, '
            'flavor_id, datastore_version_id, volume_size, region_id, '
            'task_id, task_description, server_status, addresses, deleted) '
            "VALUES (%s, %s, %s, %s, %s, '1', %s, 1, 'LOCAL_DEV', 1, "
            "'No tasks for the instance.', 'ACTIVE', %s, 0)",
            [(instance_id, now, now, f'row{index}', PROJECT, version_id,
              f'[{{"address": "127.0.99.{index % 250}", "type": '
              f'"private", "network": "local"}}]')
             for index, instance_id in enumerate(ids)])
        cursor.executemany(
            'INSERT INTO instance_service_statuses (id, instance_id, '
            'status_id, status_description, created_at, updated_at, '
            "volume_used, volume_used_percent) VALUES (%s, %s, 33, "
            "'healthy', %s, %s, 0.03, 3.22)",
            [(str(uuid.uuid4()), instance_id, now, now)
             for instance_id in ids])
    return ids[1]


def wait_for(url, headers, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f'{url} did not answer') from None
            time.sleep(0.5)


def wrk(url, headers, clients, duration):
    """(requests/s, answers that were not 2xx)."""
    args = ['wrk', f'-t{min(2, clients)}', f'-c{clients}', f'-d{duration}s',
            '--timeout', '30s']
    for name, value in headers.items():
        args += ['-H', f'{name}: {value}']
    out = run(*args, url).stdout
    failed = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    return (float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1)),
            int(failed.group(1)) if failed else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=1000)
    parser.add_argument('--duration', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--cache', default=os.path.expanduser(
        '~/.cache/trove-lite-bench'))
    args = parser.parse_args()
    if not shutil.which('wrk'):
        sys.exit('wrk is needed (apt-get install wrk)')
    os.makedirs(os.path.join(args.cache, TROVE), exist_ok=True)

    upstream = Upstream(args.cache, args.instances)
    base = tempfile.mkdtemp(prefix='tl-bench-side-')
    lite = stack_module.Stack(base, overrides={'DEFAULT': {
        'debug': 'false', 'trove_api_workers': '2',
        **NO_RATE_LIMITS}})
    runs = collections.defaultdict(list)
    failures = collections.Counter()
    try:
        upstream.setup()
        lite.setup()
        lite_show = seed_lite(lite, args.instances)
        requests = [
            ('GET /instances, empty project', '/instances', EMPTY, ''),
            (f'GET /instances, {args.instances:,} in project', '/instances',
             PROJECT, ''),
            ('GET /instances/{id}', '/instances/', PROJECT, 'show'),
            ('GET /datastores', '/datastores', PROJECT, ''),
        ]
        targets = {}
        for label, path, project, show in requests:
            targets[label] = {
                'upstream': (upstream.url(project) + path +
                             (upstream.show_id if show else ''),
                             upstream.headers(project)),
                'trove-lite': (lite.project_url(project) + path +
                               (lite_show if show else ''), {}),
            }
        for sides in targets.values():
            for url, headers in sides.values():
                wait_for(url, headers)
                wrk(url, headers, 1, 1)  # warm up
        # Turns, so a disturbance of the machine hits one run of each
        # side rather than every run of one.
        for _ in range(args.rounds):
            for clients in (1, 16):
                for label, sides in targets.items():
                    for side, (url, headers) in sides.items():
                        rate, failed = wrk(url, headers, clients,
                                           args.duration)
                        runs[label, side, clients].append(rate)
                        failures[label, side, clients] += failed
        if any(failures.values()):
            # Why, while the logs are still there.
            found = subprocess.run(
                ['grep', '-rh', ' ERROR \\| WARNING ', lite.log_dir,
                 upstream.work], capture_output=True, text=True).stdout
            print(found[-4000:])
    finally:
        upstream.stop()
        lite.teardown()
        shutil.rmtree(base, ignore_errors=True)

    rate = {cell: statistics.median(values) for cell, values in runs.items()}
    print(f'\nrequests/s, 1 client / 16 clients (wrk, median of '
          f'{args.rounds} runs of {args.duration} s, the APIs taking turns;'
          f' 2 API workers each; upstream with Nova stubbed in-process)')
    print(f'| {"request":34} | {"upstream trove-api 26":>22} | '
          f'{"trove-lite":>15} | {"ratio":>13} |')
    print(f'|{"-" * 36}|{"-" * 24}|{"-" * 17}|{"-" * 15}|')
    for label in targets:
        cells = [' / '.join(f'{rate[label, side, clients]:,.0f}'
                            if rate[label, side, clients] >= 10 else
                            f'{rate[label, side, clients]:.1f}'
                            for clients in (1, 16))
                 for side in ('upstream', 'trove-lite')]
        # No request answered within a run (a loaded machine): no ratio.
        ratio = ' / '.join(
            f'{rate[label, "trove-lite", c] / rate[label, "upstream", c]:.1f}'
            '×' if rate[label, 'upstream', c] else '-' for c in (1, 16))
        print(f'| {label:34} | {cells[0]:>22} | {cells[1]:>15} | '
              f'{ratio:>13} |')
    for (label, side, clients), failed in sorted(failures.items()):
        if failed:
            print(f'{side}: {failed} answers not 2xx to {label} at '
                  f'{clients} clients')


if __name__ == '__main__':
    main()
