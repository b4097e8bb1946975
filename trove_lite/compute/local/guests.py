"""The guest processes of local servers: started in a session of their own
(forked by the launcher, or run as a command for an extra image), found
by the directory they run in, and stopped with whatever they left
running there.

A server's directory holds ``guest.conf`` (the agent's config),
``guest.log`` and ``sandbox/``, the guest's working directory, by which
a running guest is recognised even when its pid was never recorded.
"""

import logging
import os
import subprocess
import threading

from trove_lite.compute.local import cgroups
from trove_lite.compute.local import files
from trove_lite.compute.local import guest_users
from trove_lite.compute.local import images
from trove_lite.compute.local import launcher
from trove_lite.compute.local import processes
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)


def sandbox_of(server_dir):
    return os.path.join(server_dir, 'sandbox')


class Guests:
    """The guests of the servers under ``servers_path``."""

    def __init__(self, servers_path):
        self.servers_path = servers_path
        self._launcher = launcher.GuestLauncher()
        self._launcher.start()
        # Popen objects of guests of extra images this process started, so
        # they are reaped (not left as zombies) when they exit.
        self._children = {}
        self._children_lock = threading.Lock()

    def _server_dir(self, server_id):
        return files.entry(self.servers_path, server_id)

    def start(self, record, hidden=(), needed=()):
        """Start the guest of server ``record`` in a session of its own,
        as its user, seeing ``hidden`` paths empty but for ``needed``
        ones (built-in images; an extra image's command sees the host);
        its pid."""
        server_id = record['id']
        server_dir = self._server_dir(server_id)
        sandbox = sandbox_of(server_dir)
        config_file = os.path.join(server_dir, 'guest.conf')
        log_path = os.path.join(server_dir, 'guest.log')
        if images.is_builtin(record['image_id']):
            return self._launcher.launch(['--config-file', config_file],
                                         sandbox, log_path, record['uid'],
                                         record['gid'], hidden, needed,
                                         cgroups=cgroups.of(record),
                                         nice=CONF.local_compute.guest_nice)
        command = images.guest_command(record['image_id'], config_file)
        as_user = {}
        if record['uid'] is not None:
            as_user = {'user': record['uid'], 'group': record['gid'],
                       'extra_groups': [], 'umask': 0o077}
        with open(log_path, 'ab') as log:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=sandbox, close_fds=True,
                start_new_session=True, **as_user)
        # At once: the image's command has hardly started.
        os.setpriority(os.PRIO_PROCESS, process.pid,
                       os.getpriority(os.PRIO_PROCESS, 0) +
                       CONF.local_compute.guest_nice)
        cgroups.join(cgroups.of(record), process.pid)
        with self._children_lock:
            self._children[server_id] = process
        return process.pid

    def is_running(self, record):
        with self._children_lock:
            child = self._children.get(record['id'])
        if child is not None:
            return child.poll() is None
        return processes.is_running(
            record.get('pid'), sandbox_of(self._server_dir(record['id'])))

    def unrecorded(self):
        """Names of the server directories guests run in (also removed
        ones). Each process's directory is read once: read again, it
        could have moved (the launcher leaves a sandbox right after a
        fork, a guest may go where it likes), and a name such as ``..``
        would make the caller remove what is no server."""
        names = set()
        for cwd in processes.working_in(self.servers_path).values():
            name = os.path.relpath(cwd, self.servers_path).split(os.sep)[0]
            if name not in (os.curdir, os.pardir):
                names.add(name)
        return names

    def stop(self, server_id, record, volume_path=None):
        """Stop the server's guest (``record``: its record, or None), and
        reap it if this process started it; then whatever still runs in
        the server's directory or on its volume (``volume_path``)."""
        with self._children_lock:
            child = self._children.get(server_id)
        if record is not None and record.get('pid') and processes.stop_group(
                record['pid'], CONF.server_delete_time_out, child):
            LOG.warning('Server %s did not stop in time; killed it',
                        server_id)
        if record is not None and record.get('uid') is not None:
            # What left the process group (a guest runs code of its
            # choosing) ends with it.
            guest_users.kill_processes(record['uid'])
        # A guest whose pid was never recorded, or whose database outlived
        # its agent.
        paths = [self._server_dir(server_id)]
        if volume_path:
            paths.append(volume_path)
        strays = processes.stop_in(paths, CONF.server_delete_time_out,
                                   spare=self._launcher.pids())
        if strays:
            LOG.warning('Server %s: stopped processes its record did not '
                        'name: %s', server_id, strays)
        with self._children_lock:
            child = self._children.pop(server_id, None)
        if child is not None:
            child.wait()
