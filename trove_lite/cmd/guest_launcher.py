"""The guest launcher: a pre-loaded, single-threaded process that forks
guest agents on request from the taskmanager's local compute driver
(``trove_lite.compute.local.launcher`` holds the taskmanager's side and
describes the protocol).

It holds no connections, and fork is only safe because it runs one
thread. A guest it forks opens its log, then, given a uid, drops to that
user (its group only) before it runs anything of the agent's, with an
environment of its own: nothing of the taskmanager's (credentials in OS_*
variables) reaches it.

Given ``hidden`` paths, the guest first enters a mount namespace of its
own where they are empty but for the ``needed`` paths under them and what
its Python loads code from (``mounts``). Given ``cgroups``, it first
joins those (its memory limit and CPU share), while still root. Given ``nice``,
it lowers its CPU priority by that much, which its user cannot undo.
"""

import codecs
import gc
import json
import os
import signal
import sys

import setproctitle


def _reap_children(*_args):
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# What a guest's environment keeps of the launcher's.
_KEPT_ENVIRONMENT = ('PATH', 'LANG', 'LC_ALL', 'TZ', 'PYTHONPATH',
                     'PYTHONDONTWRITEBYTECODE')


def _python_paths():
    """Where the guest's Python loads code from: its prefixes, its path,
    and trove-lite's own package (an editable install's lives in the
    checkout, on no path entry). A directory others cannot pass (the
    launcher's working directory, a private checkout, on sys.path as
    ``-m`` puts it there) is left out: bound back as it is, it would
    still be closed to the guest, and what is needed under it is listed
    on its own."""
    import trove_lite
    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix,
             sys.base_exec_prefix, *sys.path,
             os.path.dirname(os.path.abspath(trove_lite.__file__))]
    return [path for path in paths
            if path and os.path.exists(path)
            and (not os.path.isdir(path) or os.stat(path).st_mode & 0o001)]


def _private_mounts(request):
    """Enter the guest's own view of the filesystem, if asked; where the
    kernel refuses, say so in the guest's log and go on without."""
    if not request.get('hidden'):
        return
    from trove_lite.compute.local import mounts
    needed = list(request.get('needed', ()))
    needed += _python_paths()
    try:
        mounts.enter(request['hidden'], needed)
    except OSError as error:
        print(f'WARNING: no private mount namespace for this guest '
              f'({error}); it sees the host\'s directories as its user '
              f'may', file=sys.stderr)
    os.chdir(request['cwd'])


def _become_guest(request):
    """Drop to the guest's user and group (no others), with a private
    umask and an environment of its own."""
    if request.get('uid') is not None:
        os.setgroups([])
        os.setgid(request['gid'])
        os.setuid(request['uid'])
        if os.getuid() != request['uid'] or os.geteuid() != request['uid']:
            raise RuntimeError('could not drop to the guest user')
    os.umask(0o077)
    kept = {name: os.environ[name] for name in _KEPT_ENVIRONMENT
            if name in os.environ}
    os.environ.clear()
    os.environ.update(kept, HOME=request['cwd'])


def _run_guest(request):
    """In the forked child: become a session of its own with the guest's
    log as stdout/stderr, drop to the guest's user, then run the agent."""
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # Opened before dropping privileges: the log is the driver's, in
        # a directory the guest cannot write.
        log_fd = os.open(request['log'],
                         os.O_WRONLY | os.O_CREAT | os.O_APPEND |
                         os.O_NOFOLLOW, 0o600)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.close(null_fd)
        if request.get('cgroups'):
            # Still root: a guest cannot leave the groups it is put in.
            from trove_lite.compute.local import cgroups
            cgroups.join(request['cgroups'], os.getpid())
        os.nice(request.get('nice', 0))
        _private_mounts(request)
        _become_guest(request)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, 'w', buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, 'w', buffering=1, closefd=False)  # noqa: SIM115
        from trove_lite.cmd import guestagent
        sys.argv = ['trove-lite-guestagent'] + request['argv']
        guestagent.main()
        code = 0
    except SystemExit as exit_request:
        code = exit_request.code if isinstance(exit_request.code, int) \
            else 1
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def preload():
    """Load everything a guest agent imports, once, to share it with
    every guest forked (and, loaded, counted in each guest's RSS: what a
    guest never uses has no place here nor in what these import), and
    freeze it."""
    # The agent's dispatch pool, which concurrent.futures imports only on
    # first use, and the codec every lookup of a host name loads: left to
    # each guest, imports after the fork took a fifth of the agents' CPU
    # in a burst of builds (py-spy), and their pages were each guest's.
    import concurrent.futures.thread  # noqa: F401

    from trove_lite.cmd import guestagent  # noqa: F401
    from trove_lite.guestagent.datastore import mysql  # noqa: F401
    codecs.lookup('idna')
    # What is loaded now is shared with every guest until written: frozen,
    # it is never walked (and so copied) by a guest's garbage collector.
    gc.freeze()


def _preload_set_up():
    """Load what each forked guest runs before it becomes the agent (its
    mount namespace and cgroups: ctypes and libc's handle), once."""
    from trove_lite.compute.local import cgroups  # noqa: F401
    from trove_lite.compute.local import mounts  # noqa: F401


def serve():
    """The launcher's main loop."""
    _preload_set_up()
    preload()
    # setproctitle finds the argv area next to the environment on its
    # first use; a guest clears its environment before it names itself
    # (trove-lite-guestagent <id>), so that first use is here, before any
    # fork.
    setproctitle.getproctitle()

    signal.signal(signal.SIGCHLD, _reap_children)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    requests = sys.stdin
    replies = sys.stdout
    replies.write('ready\n')
    replies.flush()
    for line in requests:
        try:
            request = json.loads(line)
            # Fork from inside the sandbox so the guest's cwd (by which the
            # driver recognises a live guest) is right from its first
            # instant; this process is single-threaded, so this is safe.
            os.chdir(request['cwd'])
            pid = os.fork()
        except (ValueError, OSError, KeyError) as error:
            replies.write(json.dumps({'error': str(error)}) + '\n')
            replies.flush()
            continue
        if pid == 0:
            _run_guest(request)
        os.chdir('/')
        replies.write(json.dumps({'pid': pid}) + '\n')
        replies.flush()


if __name__ == '__main__':
    serve()
