"""Create -> ACTIVE latency, against the floor of starting a bare mariadbd.

Starts an isolated stack (as the functional tests do), then measures:

* create -> ACTIVE/HEALTHY for 5 sequential and 5 concurrent instances
  (from the POST to the first GET that shows ACTIVE and HEALTHY);
* in the same run, the floor: copy the template datadir and start a bare
  ``mariadbd`` until PyMySQL's ``SELECT 1`` answers.

Prints min/median/max of each and the median difference (our own
orchestration: process start, RPC hops, status writes).

    python benchmarks/create_latency.py [--count 5]
"""

import argparse
import concurrent.futures
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pymysql

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import stack as stack_module  # noqa: E402

POLL = 0.01


def create_to_active(api, name):
    started = time.monotonic()
    instance = api.create_instance(name=name)
    while True:
        shown = api.instance(instance['id'])
        if shown['status'] == 'ERROR':
            raise RuntimeError(f'{name} failed: {shown.get("fault")}')
        if (shown['status'], shown['operating_status']) == ('ACTIVE',
                                                           'HEALTHY'):
            return time.monotonic() - started, instance['id']
        time.sleep(POLL)


def floor_once(template, work_dir, index):
    """Copy the template and start mariadbd until SELECT 1 works."""
    datadir = os.path.join(work_dir, f'floor{index}')
    socket_path = os.path.join(work_dir, f'floor{index}.sock')
    options = os.path.join(work_dir, f'floor{index}.cnf')
    with open(options, 'w') as out:
        out.write(f'[mariadbd]\ndatadir={datadir}\nsocket={socket_path}\n'
                  f'pid-file={datadir}.pid\nlog-error={datadir}.err\n'
                  'skip-networking\nskip-name-resolve\n'
                  'innodb_buffer_pool_size=16M\ninnodb_log_file_size=4M\n'
                  'performance_schema=OFF\n'
                  + ('user=root\n' if os.geteuid() == 0 else ''))
    started = time.monotonic()
    subprocess.run(['cp', '-a', '--reflink=auto', template, datadir],
                   check=True)
    server = subprocess.Popen(['/usr/sbin/mariadbd',
                               f'--defaults-file={options}'],
                              stderr=subprocess.DEVNULL)
    while True:
        try:
            with pymysql.connect(unix_socket=socket_path, user='root',
                                 ssl_disabled=True) as connection:
                connection.cursor().execute('SELECT 1')
            break
        except pymysql.err.OperationalError:
            time.sleep(0.002)
    elapsed = time.monotonic() - started
    server.terminate()
    server.wait()
    shutil.rmtree(datadir, ignore_errors=True)
    return elapsed


def summary(values):
    return (f'min {min(values):6.3f}s  median {statistics.median(values):6.3f}'
            f's  max {max(values):6.3f}s')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=5)
    args = parser.parse_args()

    base = tempfile.mkdtemp(prefix='tl-bench-')
    deployment = stack_module.Stack(base, overrides={
        'DEFAULT': {'debug': 'false'}})
    try:
        deployment.setup()
        api = deployment.api('bench')
        print('warming up (the first create makes the template datadir)')
        create_to_active(api, 'warmup')

        sequential = []
        for index in range(args.count):
            elapsed, _ = create_to_active(api, f'seq{index}')
            sequential.append(elapsed)
        with concurrent.futures.ThreadPoolExecutor(args.count) as pool:
            concurrent_runs = [elapsed for elapsed, _ in pool.map(
                lambda i: create_to_active(api, f'con{i}'),
                range(args.count))]

        template = os.path.join(deployment.state_path, 'images',
                                f'{deployment.version_name}.datadir')
        floor = [floor_once(template, base, index)
                 for index in range(args.count)]
    finally:
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)

    print()
    print(f'create -> ACTIVE/HEALTHY, {args.count} sequential : '
          f'{summary(sequential)}')
    print(f'create -> ACTIVE/HEALTHY, {args.count} concurrent : '
          f'{summary(concurrent_runs)}')
    print(f'floor: copy datadir + bare mariadbd     : {summary(floor)}')
    floor_median = statistics.median(floor)
    above_sequential = statistics.median(sequential) - floor_median
    above_concurrent = statistics.median(concurrent_runs) - floor_median
    print(f'orchestration above the floor (median)  : sequential '
          f'{above_sequential:.3f}s, concurrent {above_concurrent:.3f}s')
    print(f'ratio create/floor (median, sequential) : '
          f'{statistics.median(sequential) / floor_median:.1f}x')


if __name__ == '__main__':
    main()
