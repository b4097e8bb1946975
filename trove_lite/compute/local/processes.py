"""Finding and stopping the processes of local guests.

A guest agent runs in a session of its own (so it outlives the
taskmanager, as a VM would) and its database is its child. A guest is
found two ways: by the pid its server record holds (its process group),
and by working directory: the agent runs in its server's sandbox and its
database in its volume, so a guest whose pid was never recorded (a
taskmanager killed between the fork and the record), whose agent died, or
whose record is gone is still found and stopped.
"""

import os
import signal
import time

_DELETED = ' (deleted)'


def running_in(path):
    """Pids of live processes whose working directory is ``path`` or
    under it (also after the directory was removed)."""
    return list(working_in(path))


def working_in(path):
    """{pid: working directory} of the live processes working in ``path``
    or under it (also after the directory was removed), each read once:
    a process may move on the moment after."""
    found = {}
    prefix = path.rstrip('/') + '/'
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f'/proc/{entry}/cwd')
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        cwd = cwd.removesuffix(_DELETED)
        if (cwd == path or cwd.startswith(prefix)) and alive(int(entry)):
            found[int(entry)] = cwd
    return found


def stop_in(paths, timeout, spare=()):
    """SIGTERM every process working under one of ``paths`` (but this
    process and the pids in ``spare``), then SIGKILL whatever is left
    after ``timeout`` seconds; returns the pids found."""
    def find():
        return {pid for path in paths for pid in running_in(path)
                if pid != os.getpid() and pid not in spare}

    found = find()
    for pid in found:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and find():
        time.sleep(0.05)
    for pid in find():
        _signal(pid, signal.SIGKILL)
    return sorted(found)


def stop_group(pid, timeout, child=None):
    """SIGTERM the guest's process group (agent and database), then
    SIGKILL whatever is left after ``timeout`` seconds; True if it had to.
    ``child``: the agent's Popen when this process started it."""
    # The agent leads the group; its database may outlive it. The kernel
    # does not reuse a pid while its process group lives.
    if not group_members(pid):
        return False
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    # Watching the leader is cheap; the group is scanned only after it
    # is gone (it stops its database before it exits).
    while time.monotonic() < deadline and alive(pid, child):
        time.sleep(0.02)
    while time.monotonic() < deadline and group_members(pid):
        time.sleep(0.05)
    if not group_members(pid):
        return False
    signal_group(pid, signal.SIGKILL)
    return True


def is_running(pid, sandbox):
    """Whether ``pid`` is a live process of this sandbox (not a zombie, not
    a recycled pid of something else)."""
    if not pid or not alive(pid):
        return False
    try:
        return os.readlink(f'/proc/{pid}/cwd') == sandbox
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False


def signal_group(pid, signum):
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def alive(pid, child=None):
    """Whether ``pid`` still runs (a zombie does not)."""
    if child is not None:
        return child.poll() is None
    fields = _stat(pid)
    return fields is not None and fields[0] != 'Z'


def group_members(pgid):
    """Live (non-zombie) processes of a process group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    return [pid for pid, fields in _all_stats()
            if int(fields[2]) == pgid and fields[0] != 'Z']


def _stat(pid):
    """The fields of /proc/<pid>/stat after the command name (state,
    ppid, pgrp, session, ...), or None."""
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().rsplit(')', 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _all_stats():
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            fields = _stat(entry)
            if fields is not None:
                yield int(entry), fields


def _signal(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
