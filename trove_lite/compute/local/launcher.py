"""The taskmanager's handle on its guest launcher: a pre-loaded process
(``trove_lite.cmd.guest_launcher``) that forks guest agents on request.

Starting a guest agent from scratch costs ~0.6 s of CPU for imports and
start-up; forking it from a process that has already imported the agent
takes a few milliseconds, and the guests share the loaded code's memory
pages. The launcher exits when its parent (the taskmanager) closes its
stdin; the guests it forked run in their own sessions and stay, as VMs
would.

Protocol: one JSON object per line on the launcher's stdin
``{"argv": [...], "cwd": "...", "log": "...", "uid": N, "gid": N,
"hidden": [...], "needed": [...], "cgroups": [...], "nice": N}`` (uid
and gid null: stay this user; hidden empty: no namespace; cgroups: the
directories it joins; nice: added to the guest's nice value), answered
by one JSON line ``{"pid": N}`` or ``{"error": "..."}`` on its stdout.
"""

import json
import logging
import subprocess
import sys
import threading

LOG = logging.getLogger(__name__)


class GuestLauncher:
    """The taskmanager's handle on its launcher process."""

    def __init__(self):
        self._process = None
        self._lock = threading.Lock()

    def start(self):
        """Start the launcher now (it takes ~0.5 s), not on first use."""
        with self._lock:
            if self._process is None:
                self._start()

    def _start(self):
        self._process = subprocess.Popen(
            [sys.executable, '-m', 'trove_lite.cmd.guest_launcher'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            bufsize=1, close_fds=True)
        ready = self._process.stdout.readline()
        if ready.strip() != 'ready':
            raise RuntimeError('the guest launcher did not start')

    def launch(self, argv, cwd, log_path, uid=None, gid=None, hidden=(),
               needed=(), cgroups=(), nice=0):
        """Fork a guest agent running ``argv`` (its arguments after the
        program name) as ``uid``/``gid`` (None: this user), seeing
        ``hidden`` paths empty but for ``needed`` ones, in the ``cgroups``
        (directories; none: the launcher's), ``nice`` lower
        in CPU priority than the launcher; returns its pid."""
        request = json.dumps({'argv': argv, 'cwd': cwd, 'log': log_path,
                              'uid': uid, 'gid': gid,
                              'hidden': list(hidden),
                              'needed': list(needed),
                              'cgroups': list(cgroups),
                              'nice': nice})
        with self._lock:
            for attempt in (1, 2):
                if self._process is None or self._process.poll() is not None:
                    self._start()
                try:
                    self._process.stdin.write(request + '\n')
                    reply = json.loads(self._process.stdout.readline())
                    break
                except (BrokenPipeError, ValueError):
                    LOG.warning('Guest launcher died; restarting it')
                    self._process = None
                    if attempt == 2:
                        raise
        if 'error' in reply:
            raise RuntimeError(reply['error'])
        return reply['pid']

    def pids(self):
        """The launcher's pid (it enters a sandbox while forking a guest
        there), or nothing when it is not running."""
        process = self._process
        return () if process is None else (process.pid,)

    def stop(self):
        with self._lock:
            if self._process is not None:
                self._process.stdin.close()
                self._process.wait()
                self._process = None
