"""Point-in-time restore: time to replay archived binlog, against its size.

In one run, on a private mariadbd (the guests' settings: row-based binary
log, GTIDs):

* a full backup (mariabackup) is taken, then rows are written until the
  binary log holds each of --sizes MiB more; the log is archived as the
  guest archives it (the local storage driver, zstd, encrypted);
* baseline: restoring the backup alone (prepare, move back, start);
* for each size: the same restore, then the archived binlog replayed up
  to the second after the last write (guestagent mysql_binlog.replay,
  ``mariadb-binlog | mariadb``).

Prints the seconds of each restore, the replay's share (MiB/s of binlog
replayed) and the ratio of the whole restore to the baseline. Run as the
user the server may run as (root: ``--user=root``).

    python benchmarks/pitr_replay.py [--sizes 4,16,64]
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

import pymysql  # noqa: E402

from trove_lite import storage  # noqa: E402
from trove_lite.conf import CONF  # noqa: E402
from trove_lite.datastore import mysql_config  # noqa: E402
from trove_lite.guestagent.datastore import mysql_binlog  # noqa: E402

MIB = 2 ** 20
ROW = 'x' * 200


class Server:
    """A private mariadbd on a unix socket, with the guests' binlog."""

    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        self.datadir = os.path.join(self.dir, 'data')
        self.socket = os.path.join(self.dir, 's.sock')
        self.options = os.path.join(self.dir, 'my.cnf')
        self.process = None
        os.makedirs(self.datadir)
        settings = dict(mysql_config.BINLOG_SETTINGS)
        settings.update(mysql_config.BASE_SETTINGS)
        settings.update({'datadir': self.datadir, 'socket': self.socket,
                         'skip-networking': None,
                         'innodb_buffer_pool_size': '64M',
                         'log-error': os.path.join(self.dir, 'err.log')})
        if os.geteuid() == 0:
            settings['user'] = 'root'
        with open(self.options, 'w') as out:
            out.write(mysql_config.render(settings))

    def install(self):
        subprocess.run(['mariadb-install-db',
                        f'--defaults-file={self.options}',
                        '--auth-root-authentication-method=normal'],
                       check=True, capture_output=True)

    def start(self):
        self.process = subprocess.Popen(
            ['/usr/sbin/mariadbd', f'--defaults-file={self.options}'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.connect().close()
                return
            except pymysql.err.Error:
                time.sleep(0.05)
        raise RuntimeError(f'mariadbd did not start: see {self.dir}')

    def connect(self):
        return pymysql.connect(unix_socket=self.socket, user='root',
                               autocommit=True)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(60)
            self.process = None


def binlog_bytes(server):
    with server.connect() as connection:
        cursor = connection.cursor()
        cursor.execute('SHOW BINARY LOGS')
        return sum(row[1] for row in cursor.fetchall())


def write_until(server, target_bytes, first_id):
    """Insert rows until the binary log holds ``target_bytes``."""
    number = first_id
    with server.connect() as connection:
        cursor = connection.cursor()
        while binlog_bytes(server) < target_bytes:
            cursor.executemany('INSERT INTO bench.t VALUES (%s, %s)',
                               [(number + n, ROW) for n in range(2000)])
            number += 2000
    return number


def restore(backup_dir, root, name, replay_args=None):
    """(seconds, replay seconds) of a restore into a new server."""
    began = time.perf_counter()
    target = Server(root, name)
    work = os.path.join(target.dir, 'backup')
    shutil.copytree(backup_dir, work)
    subprocess.run(['mariabackup', '--prepare', f'--target-dir={work}'],
                   check=True, capture_output=True)
    os.rmdir(target.datadir)
    subprocess.run(['mariabackup', '--move-back', f'--target-dir={work}',
                    f'--datadir={target.datadir}'], check=True,
                   capture_output=True)
    target.start()
    replay_seconds = 0.0
    try:
        if replay_args is not None:
            started = time.perf_counter()
            scratch = tempfile.mkdtemp(dir=target.dir)
            mysql_binlog.replay(*replay_args, scratch, target.socket)
            replay_seconds = time.perf_counter() - started
        elapsed = time.perf_counter() - began
        with target.connect() as connection:
            cursor = connection.cursor()
            cursor.execute('SELECT COUNT(*) FROM bench.t')
            rows = cursor.fetchone()[0]
    finally:
        target.stop()
    return elapsed, replay_seconds, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='4,16,64',
                        help='MiB of binlog to replay, comma-separated.')
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(',')]
    CONF([], default_config_files=[])
    root = tempfile.mkdtemp(prefix='pitr-bench-')
    CONF.set_override('storage_local_path', os.path.join(root, 'storage'))
    CONF.set_override('backup_aes_cbc_key', 'benchmark-key-' + 'x' * 30)
    store = storage.get_storage('bench')
    archive = mysql_binlog.Archive(store, 'database_backups', 'source')
    source = Server(root, 'source')
    try:
        source.install()
        source.start()
        with source.connect() as connection:
            connection.cursor().execute(
                'CREATE DATABASE bench')
            connection.cursor().execute(
                'CREATE TABLE bench.t (id INT PRIMARY KEY, v VARCHAR(255))')
        backup_dir = os.path.join(root, 'full')
        subprocess.run(['mariabackup', f'--defaults-file={source.options}',
                        '--backup', f'--target-dir={backup_dir}',
                        '--user=root', f'--socket={source.socket}'],
                       check=True, capture_output=True)
        with open(os.path.join(backup_dir, 'xtrabackup_binlog_info')) as f:
            start_file, start_pos = f.read().split()[:2]
        start = binlog_bytes(source)
        points = []
        number = 1
        for size in sizes:
            number = write_until(source, start + size * MIB, number)
            time.sleep(1.1)
            points.append((size, int(time.time()), number - 1))
        with source.connect() as connection:
            connection.cursor().execute('FLUSH BINARY LOGS')
        manifest = {'files': [], 'covered_until': int(time.time())}
        files = sorted(name for name in os.listdir(source.datadir)
                       if name.startswith('mysql-bin.0'))
        for name in files[:-1]:
            path = os.path.join(source.datadir, name)
            manifest['files'].append(archive.save_file(
                path, name, mysql_binlog.read_file_info(path)))
        archive.write_manifest(manifest)

        base, _, base_rows = restore(backup_dir, root, 'baseline')
        print(f'{"restore":28} {"seconds":>8} {"replay s":>9} '
              f'{"MiB/s":>7} {"x baseline":>10}')
        print(f'{"backup alone (baseline)":28} {base:8.2f} {0:9.2f} '
              f'{"":>7} {1:10.2f}')
        for size, second, last_id in points:
            total, replay_s, rows = restore(
                backup_dir, root, f'to-{size}',
                (store, 'database_backups', 'source',
                 (start_file, int(start_pos)), second))
            assert rows == last_id, (rows, last_id)
            print(f'{"+ " + str(size) + " MiB of binlog":28} {total:8.2f} '
                  f'{replay_s:9.2f} {size / replay_s:7.1f} '
                  f'{total / base:10.2f}')
        assert base_rows == 0
    finally:
        source.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
