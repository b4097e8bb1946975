"""A memory cgroup per local guest, limited to its flavor's RAM.

On a cloud the VM's size bounds what a guest can take; a local guest is a
process tree on the host, so without a limit a tenant whose server grows
(or a guest bug) can take the host's memory from every other guest and
the control plane. Each server gets a cgroup of its own under
``<hierarchy>/trove-lite-<digest of state_path>/<server id>`` (one parent
per deployment, so deployments on one host do not meet), made before its
guest starts, which the guest joins before it runs anything of the
agent's; what it starts (``mariadbd``) stays in it. Swap is limited too
where the kernel accounts it, so the limit is not paged around.

Both hierarchies are handled: cgroup v2 (``memory.max``) and the v1
memory controller (``memory.limit_in_bytes``). Where neither is writable
(no root, a read-only /sys/fs/cgroup, a v2 tree whose parent does not
delegate the memory controller), the driver logs it once and guests run
without a limit (see the security model).
"""

import errno
import hashlib
import logging
import os
import time

LOG = logging.getLogger(__name__)

ROOT = '/sys/fs/cgroup'

_warned = False


class _Hierarchy:
    """Where memory cgroups live and how their limit is named."""

    def __init__(self, base, limit_files):
        self.base = base
        self.limit_files = limit_files


def _hierarchy(root=ROOT):
    if os.path.exists(os.path.join(root, 'cgroup.controllers')):
        return _Hierarchy(root, ('memory.max', 'memory.swap.max'))
    v1 = os.path.join(root, 'memory')
    if os.path.exists(os.path.join(v1, 'memory.limit_in_bytes')):
        # memsw (memory and swap) must stay >= the memory limit, so it is
        # set after it when growing and before it when shrinking: writing
        # the memory limit first and memsw second is right for a new
        # group; resize writes both twice.
        return _Hierarchy(v1, ('memory.limit_in_bytes',
                               'memory.memsw.limit_in_bytes'))
    return None


def parent_path(state_path, root=ROOT):
    """The cgroup directory holding the servers' of one driver state path
    (None: no memory hierarchy)."""
    hierarchy = _hierarchy(root)
    if hierarchy is None:
        return None
    digest = hashlib.sha256(state_path.encode()).hexdigest()[:12]
    return os.path.join(hierarchy.base, f'trove-lite-{digest}')


def group_path(state_path, server_id, root=ROOT):
    """The cgroup directory of a server (None: no memory hierarchy)."""
    parent = parent_path(state_path, root)
    return None if parent is None else os.path.join(parent, server_id)


def make(state_path, server_id, ram_mb, root=ROOT):
    """Make the server's cgroup limited to ``ram_mb``; its directory, or
    None where the kernel does not let us (logged once)."""
    path = group_path(state_path, server_id, root)
    try:
        if path is None:
            raise OSError(errno.ENOENT, 'no memory cgroup hierarchy')
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        _delegate_memory(parent)
        os.makedirs(path, exist_ok=True)
        set_limit(path, ram_mb, root)
    except OSError as error:
        _warn_once(error)
        remove(path)
        return None
    return path


def set_limit(path, ram_mb, root=ROOT):
    """Limit the cgroup at ``path`` to ``ram_mb`` of memory (and as much
    swap beyond it as the kernel accounts: none)."""
    hierarchy = _hierarchy(root)
    limit = str(int(ram_mb) * 1024 * 1024)
    memory, swap = hierarchy.limit_files
    values = {memory: limit, swap: '0' if swap == 'memory.swap.max'
              else limit}
    # v1 refuses a memory limit above memsw, and memsw below memory: try
    # both orders.
    for _attempt in range(2):
        failed = None
        for name in (memory, swap):
            target = os.path.join(path, name)
            if name == swap and not os.path.exists(target):
                continue  # swap not accounted
            try:
                with open(target, 'w') as out:
                    out.write(values[name])
            except OSError as error:
                failed = error
        if failed is None:
            return
    raise failed


def join(path, pid):
    """Move process ``pid`` into the cgroup at ``path``."""
    with open(os.path.join(path, 'cgroup.procs'), 'w') as procs:
        procs.write(str(pid))


# Seconds ``remove`` waits for the kernel to let a cgroup go: a killed
# process leaves it only once it has fully exited.
REMOVE_WAIT = 2.0


def remove(path, wait=REMOVE_WAIT):
    """Remove a server's cgroup once its processes are gone (waiting up to
    ``wait`` seconds for them to leave it); a missing one is not an
    error."""
    if not path:
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as error:
            if error.errno != errno.EBUSY or time.monotonic() >= deadline:
                LOG.warning('Memory cgroup %s not removed: %s', path, error)
                return
        time.sleep(0.05)


def _delegate_memory(parent):
    """cgroup v2: children of ``parent`` get the memory controller."""
    control = os.path.join(parent, 'cgroup.subtree_control')
    if os.path.exists(control):
        with open(control) as current:
            if 'memory' in current.read().split():
                return
        with open(control, 'w') as out:
            out.write('+memory')


def _warn_once(error):
    global _warned
    if not _warned:
        _warned = True
        LOG.warning('Local guests run without a memory limit: the memory '
                    'cgroup cannot be made (%s)', error)
