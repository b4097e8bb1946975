"""Backups of the MariaDB guest with mariabackup.

A backup streams: ``mariabackup --backup --stream=xbstream`` writes to a
pipe that the storage driver reads, compresses, encrypts and stores, so no
copy of the data is ever whole on the guest's disk. An incremental backup
starts at its parent's end in the InnoDB log (``--incremental-lsn``).

A restore reads the chain (the full backup, then each incremental in
order) back through ``mbstream``, the full one straight into the emptied
datadir, and prepares it there.
"""

import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import time

from trove_lite.common import exceptions
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

# The end of mariabackup's log quoted in a fault.
_LOG_TAIL = 400
_F_SETPIPE_SZ = getattr(fcntl, 'F_SETPIPE_SZ', 1031)


def _fail(reason):
    return exceptions.DatastoreOperationError(reason=reason)


def _tail(path):
    with open(path, 'rb') as log:
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - _LOG_TAIL))
        return log.read().decode(errors='replace').strip().splitlines()[-1:]


def _defaults_file(work, server):
    """An option file for mariabackup: the server's own (datadir), and the
    agent's account (os_admin), never on a command line."""
    path = os.path.join(work, 'mariabackup.cnf')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as defaults:
        defaults.write(f'!include {server.options_file}\n'
                       f'!include {server.admin_file}\n'
                       f'[client]\nsocket={server.socket}\n')
    return path


def _to_lsn(lsn_dir):
    """Where the backup ends in the InnoDB log (xtrabackup_checkpoints)."""
    with open(os.path.join(lsn_dir, 'xtrabackup_checkpoints')) as points:
        for line in points:
            key, _, value = line.partition('=')
            if key.strip() == 'to_lsn':
                return int(value.strip())
    raise _fail('mariabackup recorded no log position')


def _widen_pipe(pipe):
    """A 1 MiB pipe instead of 64 KiB: mariabackup (or mbstream) and the
    storage driver wait on each other less often (best effort: the limit is
    /proc/sys/fs/pipe-max-size)."""
    try:
        fcntl.fcntl(pipe, _F_SETPIPE_SZ, 2 ** 20)
    except OSError:
        pass


def work_directory(sandbox_path):
    work_root = os.path.join(sandbox_path, 'backup-work')
    os.makedirs(work_root, 0o700, exist_ok=True)
    return tempfile.mkdtemp(dir=work_root)


def backup(server, store, info, sandbox_path):
    """Stream a backup of the running server into ``store`` as
    ``info.container``/``info.name``; (SavedObject, end LSN). Nothing
    stays stored when it fails."""
    work = work_directory(sandbox_path)
    try:
        defaults = _defaults_file(work, server)
        lsn_dir = os.path.join(work, 'lsn')
        command = [CONF.guest_agent.mariabackup_path,
                   f'--defaults-file={defaults}', '--backup',
                   '--stream=xbstream',
                   f'--target-dir={os.path.join(work, "target")}',
                   f'--extra-lsndir={lsn_dir}']
        if info.parent_lsn is not None:
            command.append(f'--incremental-lsn={int(info.parent_lsn)}')
        log_path = os.path.join(work, 'mariabackup.log')
        with open(log_path, 'wb') as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=log,
                                       close_fds=True)
            _widen_pipe(process.stdout)
            try:
                saved = store.save(info.container, info.name,
                                   process.stdout,
                                   {'backup_type': info.backup_type,
                                    'backup_id': info.id})
            except BaseException:
                process.kill()
                raise
            finally:
                process.stdout.close()
                returncode = process.wait()
        if returncode != 0:
            # What was stored is a truncated stream: not a backup.
            store.delete(saved.location)
            raise _fail(f'mariabackup exited with {returncode}: '
                        f'{" ".join(_tail(log_path))}')
        return saved, _to_lsn(lsn_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _extract(store, item, target, log_path):
    """Unpack one stored backup of the chain into ``target``."""
    os.makedirs(target, 0o700, exist_ok=True)
    with open(log_path, 'wb') as log:
        process = subprocess.Popen(
            [CONF.guest_agent.mbstream_path, '-x', '-C', target],
            stdin=subprocess.PIPE, stdout=log, stderr=log, close_fds=True)
        _widen_pipe(process.stdin)
        try:
            with store.load(item['location'], item.get('checksum')) as read:
                for chunk in read:
                    process.stdin.write(chunk)
        except BaseException:
            process.kill()
            raise
        finally:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass
            returncode = process.wait()
    if returncode != 0:
        raise _fail(f'mbstream exited with {returncode} unpacking backup '
                    f'{item["id"]}: {" ".join(_tail(log_path))}')


def _mariabackup(work, *arguments):
    log_path = os.path.join(work, 'prepare.log')
    with open(log_path, 'ab') as log:
        returncode = subprocess.run(
            [CONF.guest_agent.mariabackup_path, '--no-defaults',
             *arguments],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            close_fds=True).returncode
    if returncode != 0:
        raise _fail(f'mariabackup {arguments[0]} exited with {returncode}: '
                    f'{" ".join(_tail(log_path))}')


def remove_work(work):
    shutil.rmtree(work, ignore_errors=True)


# Where mariabackup records the binlog position of a backup.
_BINLOG_INFO = ('mariadb_backup_binlog_info', 'xtrabackup_binlog_info')
# Where an incremental is unpacked, in the datadir: no database has this
# directory (the server writes a "." in a name as "@002e").
_INCREMENT_DIR = '.increment'
# mariabackup's own files in a backup, which --move-back leaves behind.
_BOOKKEEPING = ('backup-my.cnf', 'xtrabackup_checkpoints',
                'mariadb_backup_checkpoints', 'xtrabackup_logfile',
                *_BINLOG_INFO)


def _binlog_position(backup_dir):
    """(file, position, GTID position) of the binlog a backup ends at
    (the GTID position '' when the server had written none), or None."""
    for name in _BINLOG_INFO:
        try:
            with open(os.path.join(backup_dir, name)) as info:
                fields = info.read().split()
        except FileNotFoundError:
            continue
        if len(fields) >= 2 and fields[1].isdigit():
            return fields[0], int(fields[1]), ' '.join(fields[2:3])
    return None


class _Stages:
    """Logs how long each stage of a restore took (the profile that
    benchmarks/backup_restore.py's restore figure breaks down into)."""

    def __init__(self, backup_id):
        self.backup_id = backup_id
        self.last = time.monotonic()

    def done(self, what):
        now = time.monotonic()
        LOG.info('Restore of %s: %s in %.2f s', self.backup_id, what,
                 now - self.last)
        self.last = now


def _empty(directory):
    for entry in os.listdir(directory):
        path = os.path.join(directory, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def _remove_bookkeeping(datadir):
    """Drop what mariabackup wrote for itself, which --move-back would
    have left behind."""
    for name in _BOOKKEEPING:
        try:
            os.unlink(os.path.join(datadir, name))
        except FileNotFoundError:
            pass


def restore(store, chain, datadir, sandbox_path):
    """Put the data of ``chain`` (the full backup, then its incrementals
    in order) into ``datadir``, whose server is stopped: everything in it
    is replaced. Returns the (binlog file, position, GTID position) the
    last backup of the chain ends at, or None.

    The full backup is unpacked and prepared in the datadir itself: no
    copy or move afterwards (a move between a guest's work directory and
    its volume is a copy when they are different mounts). The server's
    files all live in the datadir (mysql_config), as a prepared backup's
    do. An incremental is unpacked in the datadir too, in a directory of
    its own removed once applied: applying it renames its files into the
    full backup, which works only within one mount."""
    if not chain:
        raise _fail('the backup to restore has no stored objects')
    work = work_directory(sandbox_path)
    log = os.path.join(work, 'mbstream.log')
    stage = _Stages(chain[0]['id'])
    try:
        _empty(datadir)
        _extract(store, chain[0], datadir, log)
        stage.done('fetched, decoded and extracted')
        position = _binlog_position(datadir)
        _mariabackup(work, '--prepare', f'--target-dir={datadir}')
        stage.done('prepared')
        for item in chain[1:]:
            increment = os.path.join(datadir, _INCREMENT_DIR)
            _extract(store, item, increment, log)
            position = _binlog_position(increment)
            _mariabackup(work, '--prepare', f'--target-dir={datadir}',
                         f'--incremental-dir={increment}')
            shutil.rmtree(increment)
            stage.done(f'incremental {item["id"]} applied')
        _remove_bookkeeping(datadir)
        return position
    finally:
        shutil.rmtree(work, ignore_errors=True)
