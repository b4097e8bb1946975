"""GET /instances throughput of trove-lite-api against a bare Pecan app.

In one run: an isolated stack whose project holds 100 instance rows, and a
bare Pecan app (same gunicorn settings, same routing depth) that returns
the very body trove-lite returns for that request. Both are driven by the
same load generator (wrk if installed, else a Python keep-alive client)
with 1 and 16 concurrent connections, the apps taking turns; each figure
is the median of a few runs. Prints requests/s and the ratio.

The bare app is measured twice: as Pecan is installed, and with the
argspec cache trove-lite installs (trove_lite.api.pecan_speedup), so the
figure shows both what the target compares against and how much of the
gap is our own code.

    python benchmarks/api_throughput.py [--duration 5] [--rounds 3]
"""

import argparse
import collections
import datetime
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS = 100
PROJECT = 'bench'


def insert_instances(deployment, count):
    version_id = deployment.query(
        'SELECT id FROM datastore_versions WHERE manager = %s LIMIT 1',
        'mariadb')[0][0]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    with deployment.db_connection(deployment.database) as connection:
        cursor = connection.cursor()
        for index in range(count):
            instance_id = str(uuid.uuid4())
            cursor.execute(
                'INSERT INTO instances (id, created, updated, name, '
                'tenant_id, flavor_id, datastore_version_id, volume_size, '
                'region_id, task_id, task_description, server_status, '
                'addresses, deleted) VALUES (%s, %s, %s, %s, %s, %s, %s, '
                '1, %s, 1, %s, %s, %s, 0)',
                (instance_id, now, now, f'row{index}', PROJECT, '1',
                 version_id, 'LOCAL_DEV', 'No tasks for the instance.',
                 'ACTIVE', json.dumps([{'address': f'127.0.99.{index}',
                                        'type': 'private',
                                        'network': 'local'}])))
            cursor.execute(
                'INSERT INTO instance_service_statuses (id, instance_id, '
                'status_id, status_description, created_at, updated_at) '
                'VALUES (%s, %s, 33, %s, %s, %s)',
                (str(uuid.uuid4()), instance_id, 'healthy', now, now))


def wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f'{url} did not answer')


def ensure_wrk():
    if shutil.which('wrk'):
        return True
    if os.geteuid() == 0 and shutil.which('apt-get'):
        subprocess.run(['apt-get', 'install', '-y', '-qq', 'wrk'],
                       capture_output=True, check=False,
                       env=dict(os.environ,
                                DEBIAN_FRONTEND='noninteractive'))
    return bool(shutil.which('wrk'))


def wrk_rate(url, connections, duration):
    threads = min(2, connections)
    out = subprocess.run(['wrk', f'-t{threads}', f'-c{connections}',
                          f'-d{duration}s', url], capture_output=True,
                         text=True, check=True).stdout
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if errors:
        raise RuntimeError(f'{errors.group(1)} failed requests:\n{out}')
    return float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))


def _python_client(url, deadline, counter):
    import http.client
    import urllib.parse
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    done = 0
    while time.monotonic() < deadline:
        connection.request('GET', parts.path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f'HTTP {response.status}')
        if response.getheader('Connection', '').lower() == 'close':
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname,
                                                    parts.port)
        done += 1
    with counter.get_lock():
        counter.value += done


def python_rate(url, connections, duration):
    counter = multiprocessing.Value('l', 0)
    started = time.monotonic()
    deadline = started + duration
    workers = [multiprocessing.Process(target=_python_client,
                                       args=(url, deadline, counter))
               for _ in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counter.value / (time.monotonic() - started)


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def start_bare(config_file, body_file, cached, port):
    port_file = f'{body_file}.{port}.conf'
    with open(port_file, 'w') as out:
        out.write(f'[DEFAULT]\nbind_port = {port}\n')
    args = [sys.executable, '-m', 'benchmarks.bare_pecan', '--config-file',
            config_file, '--config-file', port_file]
    if cached:
        args.append('--cached')
    return subprocess.Popen(args + [body_file], cwd=ROOT,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--duration', type=int, default=5)
    parser.add_argument('--rounds', type=int, default=3,
                        help='each figure is the median of this many runs, '
                             'the three apps taking turns')
    args = parser.parse_args()
    use_wrk = ensure_wrk()
    measure = wrk_rate if use_wrk else python_rate

    base = tempfile.mkdtemp(prefix='tl-bench-api-')
    deployment = stack_module.Stack(base, overrides={
        'DEFAULT': {'debug': 'false'}})
    runs = collections.defaultdict(list)
    bare_servers = []
    try:
        deployment.setup()
        insert_instances(deployment, ROWS)
        urls = {'trove-lite': f'{deployment.project_url(PROJECT)}/instances'}
        body = wait_for(urls['trove-lite'])
        body_file = os.path.join(base, 'body.json')
        with open(body_file, 'wb') as out:
            out.write(body)
        shown = len(json.loads(body)['instances'])
        for label, cached in (('bare Pecan (as installed)', False),
                              ('bare Pecan (argspec cache)', True)):
            port = free_port()
            bare_servers.append(start_bare(deployment.config_file,
                                           body_file, cached, port))
            urls[label] = f'http://127.0.0.1:{port}/v1.0/{PROJECT}/instances'
            # The same document (trove-lite's renderer spaces it
            # differently from Pecan's).
            assert json.loads(wait_for(urls[label])) == json.loads(body)
        # Turns, so a disturbance of the machine hits one run of each app
        # rather than every run of one.
        for _ in range(args.rounds):
            for clients in (1, 16):
                for label, url in urls.items():
                    runs[label, clients].append(measure(url, clients,
                                                        args.duration))
    finally:
        for bare in bare_servers:
            stop(bare)
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)

    results = {cell: statistics.median(rates) for cell, rates in runs.items()}
    print(f'\nGET /v1.0/{PROJECT}/instances with {ROWS} instance rows '
          f'({shown} per page); each figure the median of {args.rounds} '
          f'runs of {args.duration}s, load: '
          f'{"wrk" if use_wrk else "python keep-alive clients"}')
    print(f'{"":30} {"1 client":>12} {"16 clients":>12}')
    for label in ('bare Pecan (as installed)', 'bare Pecan (argspec cache)',
                  'trove-lite'):
        print(f'{label:30} {results[label, 1]:10.0f}/s '
              f'{results[label, 16]:10.0f}/s   (runs: '
              f'{", ".join(f"{rate:.0f}" for rate in runs[label, 1])} | '
              f'{", ".join(f"{rate:.0f}" for rate in runs[label, 16])})')
    for label in ('bare Pecan (as installed)', 'bare Pecan (argspec cache)'):
        print(f'trove-lite / {label:26} '
              f'{results["trove-lite", 1] / results[label, 1]:9.0%}   '
              f'{results["trove-lite", 16] / results[label, 16]:9.0%}')
    # The machine's speed drifts by a fifth within minutes here; the apps
    # of one round ran seconds apart, so their ratio drifts less.
    paired = [round_ratio(runs, clients) for clients in (1, 16)]
    label = 'the same, the median of each round\'s ratio'
    print(f'{label:39} {paired[0]:9.0%}   {paired[1]:9.0%}')


def round_ratio(runs, clients, bare='bare Pecan (as installed)'):
    """The median over the rounds of trove-lite's rate in a round over
    the bare app's in the same round."""
    return statistics.median(
        mine / theirs for mine, theirs in zip(
            runs['trove-lite', clients], runs[bare, clients], strict=True))


if __name__ == '__main__':
    main()
