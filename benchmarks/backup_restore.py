"""Backup and restore through trove-lite against the floor of mariabackup
alone, on the same data, in one run.

Starts an isolated stack (local compute, local storage, as the functional
tests do), fills one instance with ``--size-mb`` of InnoDB rows (about 1 KB
each, made inside the server), then measures:

* full backup: POST /backups -> COMPLETED, against the floor
  ``mariabackup --backup --stream=xbstream`` into a file (fsynced) on the
  same filesystem, run on the same server with the agent's account;
* incremental size after 1% of the rows change, against the full's;
* restore: POST /instances with restorePoint -> ACTIVE, against the
  floor ``mbstream -x`` + ``mariabackup --prepare`` + ``--move-back`` of
  the floor's stream;
* a "cinder" backup (a stopped copy of the volume) -> COMPLETED, and its
  restore -> ACTIVE.

Prints seconds and ratios.

    python benchmarks/backup_restore.py [--size-mb 1024]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import stack as stack_module  # noqa: E402
from tests.functional.stack import connect  # noqa: E402

PASSWORD = 'bench-pass-1'
ROW_BYTES = 1100  # a row's pad (1024) and its overhead on disk
POLL = 0.2


def sql(instance, *statements):
    with connect(instance['ip'][0], 'app', PASSWORD, 'appdb') as connection:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        return cursor.fetchall()


# 1 KB of hex per row: compressible about 2:1, as much real data is.
# Rows come from the sequence engine (no INSERT ... SELECT from the table
# itself, which goes through a temporary table).
BATCH = ('INSERT INTO t SELECT seq, CONCAT(SHA2(RAND(), 512), '
         'SHA2(RAND(), 512), SHA2(RAND(), 512), SHA2(RAND(), 512), '
         'SHA2(RAND(), 512), SHA2(RAND(), 512), SHA2(RAND(), 512), '
         'SHA2(RAND(), 512)) FROM seq_1_to_1000000 '
         'WHERE seq BETWEEN %s AND %s')
BATCH_ROWS = 20000


def fill(instance, size_mb):
    """About ``size_mb`` of rows, made inside the server."""
    rows = size_mb * 2 ** 20 // ROW_BYTES
    sql(instance, 'CREATE TABLE t (id INT PRIMARY KEY, pad TEXT) '
                  'ENGINE=InnoDB')
    with connect(instance['ip'][0], 'app', PASSWORD, 'appdb') as connection:
        cursor = connection.cursor()
        for first in range(1, rows + 1, BATCH_ROWS):
            cursor.execute(BATCH, (first, min(rows, first + BATCH_ROWS - 1)))
    return rows


def wait_backup(api, backup_id, timeout=3600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backup = api.get(f'/backups/{backup_id}').json()['backup']
        if backup['status'] in ('COMPLETED', 'FAILED'):
            assert backup['status'] == 'COMPLETED', backup
            return backup
        time.sleep(POLL)
    raise TimeoutError(backup_id)


def timed_backup(api, instance, name, **extra):
    started = time.monotonic()
    response = api.post('/backups', {'backup': dict(
        name=name, instance=instance['id'], **extra)})
    assert response.status_code == 202, response.text
    backup = wait_backup(api, response.json()['backup']['id'])
    elapsed = time.monotonic() - started
    api.wait_active(instance['id'])
    return elapsed, backup


def timed_restore(api, backup, name, size):
    started = time.monotonic()
    created = api.create_instance(name=name, size=size,
                                  restorePoint={'backupRef': backup['id']})
    restored = api.wait_active(created['id'], timeout=3600)
    return time.monotonic() - started, restored


def floor_backup(deployment, instance, work):
    """mariabackup alone, streaming into a file; (seconds, bytes)."""
    sandbox = deployment.sandbox(instance['id'])
    defaults = os.path.join(work, 'floor.cnf')
    with open(defaults, 'w') as options:
        options.write(f'!include {sandbox}/my.cnf\n'
                      f'!include {sandbox}/os_admin.cnf\n'
                      f'[client]\nsocket='
                      f'{deployment.run_dir(instance["id"])}/mysqld.sock\n')
    target = os.path.join(work, 'floor.xbstream')
    started = time.monotonic()
    with open(target, 'wb') as out:
        subprocess.run(['mariabackup', f'--defaults-file={defaults}',
                        '--backup', '--stream=xbstream',
                        f'--target-dir={work}/floor-target'],
                       stdout=out, stderr=subprocess.DEVNULL, check=True)
        out.flush()
        os.fsync(out.fileno())
    return time.monotonic() - started, os.path.getsize(target)


def floor_restore(work):
    """mbstream -x, prepare and move-back of the floor's stream."""
    extracted = os.path.join(work, 'extracted')
    datadir = os.path.join(work, 'datadir')
    os.makedirs(extracted)
    os.makedirs(datadir)
    started = time.monotonic()
    with open(os.path.join(work, 'floor.xbstream'), 'rb') as stream:
        subprocess.run(['mbstream', '-x', '-C', extracted], stdin=stream,
                       check=True, stderr=subprocess.DEVNULL)
    for step in (['--prepare'], ['--move-back', f'--datadir={datadir}']):
        subprocess.run(['mariabackup', '--no-defaults', *step,
                        f'--target-dir={extracted}'], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size-mb', type=int, default=1024)
    args = parser.parse_args()
    volume_gb = max(2, args.size_mb * 3 // 1024 + 1)

    base = tempfile.mkdtemp(prefix='tl-bench-')
    work = tempfile.mkdtemp(prefix='floor-', dir=base)
    deployment = stack_module.Stack(base, overrides={'DEFAULT': {
        'debug': 'false', 'max_accepted_volume_size': str(volume_gb * 2)}})
    figures = {}
    try:
        deployment.setup()
        api = deployment.api('bench')
        source = api.wait_active(api.create_instance(
            name='source', size=volume_gb, databases=[{'name': 'appdb'}],
            users=[{'name': 'app', 'password': PASSWORD,
                    'databases': [{'name': 'appdb'}]}])['id'])
        started = time.monotonic()
        rows = fill(source, args.size_mb)
        figures['fill'] = time.monotonic() - started
        figures['datadir'] = sum(
            os.path.getsize(os.path.join(folder, name))
            for folder, _, names in os.walk(
                deployment.volume_path(source['id'])) for name in names)
        print(f'{rows} rows, datadir {figures["datadir"] / 2 ** 20:.0f} MB, '
              f'made in {figures["fill"]:.1f} s')

        figures['floor_backup'], figures['floor_bytes'] = floor_backup(
            deployment, source, work)
        figures['backup'], full = timed_backup(api, source, 'full')
        sql(source, 'UPDATE t SET pad = REVERSE(pad) WHERE id % 100 = 0')
        figures['incremental'], incremental = timed_backup(
            api, source, 'incremental', incremental=1)
        figures['floor_restore'] = floor_restore(work)
        shutil.rmtree(work, ignore_errors=True)
        figures['restore'], restored = timed_restore(api, full, 'restored',
                                                     volume_gb)
        assert sql(restored, 'SELECT COUNT(*) FROM t')[0][0] == rows
        figures['volume_backup'], volume = timed_backup(
            api, source, 'volume', storage_driver='cinder')
        figures['volume_restore'], _ = timed_restore(
            api, volume, 'volume-restored', volume_gb)
    finally:
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)

    gb = 2 ** 30
    print()
    print(f'mariabackup alone (floor) : {figures["floor_backup"]:7.1f} s, '
          f'{figures["floor_bytes"] / 2 ** 20:.0f} MB stream')
    print(f'full backup -> COMPLETED  : {figures["backup"]:7.1f} s, '
          f'{full["size"] * gb / 2 ** 20:.0f} MB stored, '
          f'{figures["backup"] / figures["floor_backup"]:.2f}x the floor')
    print(f'incremental (1% changed)  : {figures["incremental"]:7.1f} s, '
          f'{incremental["size"] * gb / 2 ** 20:.1f} MB stored, '
          f'{incremental["size"] / full["size"]:.3f}x the full')
    print(f'restore floor (extract, prepare, move-back): '
          f'{figures["floor_restore"]:.1f} s')
    print(f'restore -> ACTIVE         : {figures["restore"]:7.1f} s, '
          f'{figures["restore"] / figures["floor_restore"]:.2f}x the floor')
    print(f'cinder backup -> COMPLETED: {figures["volume_backup"]:7.1f} s '
          f'(server stopped while copying), '
          f'{figures["volume_backup"] / figures["floor_backup"]:.2f}x '
          f'the floor')
    print(f'cinder restore -> ACTIVE  : {figures["volume_restore"]:7.1f} s')
    print(f'load average at the end   : {os.getloadavg()[0]:.1f}')


if __name__ == '__main__':
    main()
