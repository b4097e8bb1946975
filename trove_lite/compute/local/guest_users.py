"""Unix users of local guests: each server's agent and database run as a
user of their own, made when the server is made and removed with it, so a
tenant who takes over its database process holds that user's rights only:
its own sandbox and volume, nothing of the host or of other guests.

Users are named ``trove-guest-<uid>`` and take uids from ``[local_compute]
guest_uid_range``. Only a driver running as root can make them; otherwise
every guest runs as the driver's own user, as before (``enabled()`` says
which, and the driver logs it at start).
"""

import contextlib
import fcntl
import grp
import logging
import os
import pwd
import signal
import subprocess
import time

from trove_lite.common import exceptions
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

NAME_PREFIX = 'trove-guest-'

# useradd/userdel lock the host's account files and fail at once, not
# wait, when another one holds them: ours queue on a host-wide lock, as
# every deployment on the host edits the same files.
ACCOUNTS_LOCK = '/run/lock/trove-lite-guest-users.lock'


def enabled():
    """Whether guests get users of their own (the driver runs as root)."""
    return os.geteuid() == 0


def name_of(uid):
    return f'{NAME_PREFIX}{uid}'


def _owner_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def is_guest_user(uid):
    """Whether ``uid`` is an account named as this driver names guests'."""
    return _owner_name(uid) == name_of(uid)


def _group_exists(uid):
    for lookup in (lambda: grp.getgrgid(uid),
                   lambda: grp.getgrnam(name_of(uid))):
        try:
            lookup()
            return True
        except KeyError:
            pass
    return False


def pick_uid(taken):
    """The first uid of the range that no server record holds (``taken``)
    and no account or group of this host has; None when the range is
    full. An existing account is never taken over, even one named like
    ours: it may be another deployment's guest."""
    for uid in CONF.local_compute.guest_uid_range:
        if (uid not in taken and _owner_name(uid) is None
                and not _group_exists(uid)):
            return uid
    return None


@contextlib.contextmanager
def _accounts_locked():
    with open(ACCOUNTS_LOCK, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def create(uid):
    """Make the user ``trove-guest-<uid>`` with a group of its own; its
    (uid, gid). Fails (ComputeError) when the uid or name exists."""
    name = name_of(uid)
    with _accounts_locked():
        _run(['useradd', '--no-create-home', '--home-dir', '/nonexistent',
              '--shell', '/usr/sbin/nologin', '--user-group',
              '--uid', str(uid), name])
    return uid, pwd.getpwnam(name).pw_gid


def remove(uid):
    """Stop whatever still runs as the user, then remove it and its
    group. A user that is not ours is left alone."""
    if uid is None or not is_guest_user(uid):
        return
    kill_processes(uid)
    with _accounts_locked():
        # Looked at again under the lock: another process's remove may
        # have removed it meanwhile (userdel would fail on it).
        if is_guest_user(uid):
            _run(['userdel', name_of(uid)])
        try:
            grp.getgrnam(name_of(uid))
        except KeyError:
            return
        _run(['groupdel', name_of(uid)])


def kill_processes(uid, timeout=5):
    """SIGKILL every process running as ``uid`` (a guest that left its
    process group, too), and wait until they are gone."""
    deadline = time.monotonic() + timeout
    while True:
        pids = processes_of(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            LOG.warning('Processes %s of guest user %s did not end', pids,
                        uid)
            return
        time.sleep(0.02)


def processes_of(uid):
    """Live (non-zombie) processes whose real or effective uid is
    ``uid``."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/status') as status:
                fields = dict(line.split(':', 1) for line in status
                              if ':' in line)
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields.get('State', '').strip().startswith('Z'):
            continue
        uids = [int(value) for value in fields.get('Uid', '').split()[:2]]
        if uid in uids:
            found.append(int(entry))
    return found


def _run(command, lock_wait=10):
    """Run an account command; while another program of the host (not
    trove-lite: ours queue on ACCOUNTS_LOCK) holds the account files'
    lock, try again for up to ``lock_wait`` seconds."""
    deadline = time.monotonic() + lock_wait
    while True:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=60, check=False)
        if result.returncode == 0:
            return
        if 'lock' not in result.stderr or time.monotonic() > deadline:
            raise exceptions.ComputeError(
                reason=f'{command[0]} failed: '
                       f'{result.stderr.strip()[-300:]}')
        time.sleep(0.2)
