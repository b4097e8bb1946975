"""A cgroup per local guest: its flavor's RAM, and a share of the CPU
below the control plane's.

On a cloud the VM's size bounds what a guest can take; a local guest is a
process tree on the host, so without a limit a tenant whose server grows
(or a guest bug) can take the host's memory from every other guest and
the control plane. Each server gets a group of its own under
``<hierarchy>/trove-lite-<digest of state_path>/<server id>`` (one parent
per deployment, so deployments on one host do not meet), made before its
guest starts, which the guest joins before it runs anything of the
agent's; what it starts (``mariadbd``) stays in it. Swap is limited too
where the kernel accounts it, so the limit is not paged around.

The CPU: the deployment's parent group weighs as one process at
``[local_compute] guest_nice`` (all guests together), each guest's group
the same as every other guest's. A ``nice`` value alone does not do it:
each guest runs in a session of its own, and where the kernel groups the
CPU by session (autogroup, on by default) a hundred guests at nice 10
outweigh each service a hundred to one, so a burst of builds left the API
a sliver of the CPU. Guests still take all of an idle machine.

Both hierarchies are handled: cgroup v2 (``memory.max``, ``cpu.weight``,
one directory) and v1 (``memory.limit_in_bytes``, ``cpu.shares``, a
directory in each). Where a controller is not writable (no root, a
read-only /sys/fs/cgroup, a v2 tree whose parent does not delegate it),
the driver logs it once and guests run without that limit (see the
security model).
"""

import errno
import hashlib
import logging
import os
import time

LOG = logging.getLogger(__name__)

ROOT = '/sys/fs/cgroup'

# The kernel's CPU weight of a task at nice 0..19 (sched_prio_to_weight):
# a v1 group's cpu.shares; v2's cpu.weight is the same scaled to 100.
_NICE_WEIGHTS = (1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
                 110, 87, 70, 56, 45, 36, 29, 23, 18, 15)

_warned = set()


class _Controller:
    """One controller's hierarchy: where its groups live and the files
    that say how much a group may take."""

    def __init__(self, name, base, limit_files):
        self.name = name
        self.base = base
        self.limit_files = limit_files


def _controllers(root=ROOT):
    """The memory and CPU controllers this host has (v2: both in one
    directory)."""
    if os.path.exists(os.path.join(root, 'cgroup.controllers')):
        return [_Controller('memory', root, ('memory.max',
                                             'memory.swap.max')),
                _Controller('cpu', root, ('cpu.weight',))]
    found = []
    memory = os.path.join(root, 'memory')
    if os.path.exists(os.path.join(memory, 'memory.limit_in_bytes')):
        # memsw (memory and swap) must stay >= the memory limit, so it is
        # set after it when growing and before it when shrinking: writing
        # the memory limit first and memsw second is right for a new
        # group; resize writes both twice.
        found.append(_Controller('memory', memory, (
            'memory.limit_in_bytes', 'memory.memsw.limit_in_bytes')))
    cpu = os.path.join(root, 'cpu')
    if os.path.exists(os.path.join(cpu, 'cpu.shares')):
        found.append(_Controller('cpu', cpu, ('cpu.shares',)))
    return found


def _parent(base, state_path):
    digest = hashlib.sha256(state_path.encode()).hexdigest()[:12]
    return os.path.join(base, f'trove-lite-{digest}')


def parent_paths(state_path, root=ROOT):
    """The cgroup directories holding the servers' of one driver state
    path, one per hierarchy."""
    return list(dict.fromkeys(_parent(controller.base, state_path)
                              for controller in _controllers(root)))


def group_paths(state_path, server_id, root=ROOT):
    """The cgroup directories of a server, one per hierarchy."""
    return [os.path.join(parent, server_id)
            for parent in parent_paths(state_path, root)]


def of(record):
    """The cgroup directories a server record names (a record written
    before guests had a CPU group names its memory group alone)."""
    if 'cgroups' in record:
        return list(record['cgroups'])
    return [record['cgroup']] if record.get('cgroup') else []


def make(state_path, server_id, ram_mb, nice, root=ROOT):
    """Make the server's groups: limited to ``ram_mb`` of memory (None: no
    limit, no memory group) and, all guests together, weighing on the CPU
    as a process at ``nice``. Their directories; a controller the kernel
    does not let us use is left out (logged once)."""
    controllers = {controller.name: controller
                   for controller in _controllers(root)}
    made = []
    for name in ('memory', 'cpu') if ram_mb else ('cpu',):
        controller = controllers.get(name)
        path = None
        try:
            if controller is None:
                raise OSError(errno.ENOENT, f'no {name} cgroup hierarchy')
            parent = _parent(controller.base, state_path)
            path = os.path.join(parent, server_id)
            os.makedirs(parent, exist_ok=True)
            _delegate(parent, name)
            if name == 'cpu':
                _set_cpu_weight(parent, controller, nice)
            os.makedirs(path, exist_ok=True)
            if name == 'memory':
                _write_memory_limit(path, controller, ram_mb)
        except OSError as error:
            _warn_once(name, error)
            if path not in made:
                remove(path)
            continue
        if path not in made:
            made.append(path)
    return made


def _set_cpu_weight(parent, controller, nice):
    (weight_file,) = controller.limit_files
    weight = _NICE_WEIGHTS[nice]
    if weight_file == 'cpu.weight':
        weight = max(1, round(weight * 100 / 1024))
    with open(os.path.join(parent, weight_file), 'w') as out:
        out.write(str(weight))


def set_limit(groups, ram_mb, root=ROOT):
    """Limit the memory group among a server's ``groups`` to ``ram_mb``
    (and as much swap beyond it as the kernel accounts: none); False
    when it has none."""
    controller = next((controller for controller in _controllers(root)
                       if controller.name == 'memory'), None)
    if controller is None:
        return False
    path = next((group for group in groups if group.startswith(
        controller.base + os.sep)), None)
    if path is None:
        return False
    _write_memory_limit(path, controller, ram_mb)
    return True


def _write_memory_limit(path, controller, ram_mb):
    memory, swap = controller.limit_files
    limit = str(int(ram_mb) * 1024 * 1024)
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


def join(groups, pid):
    """Move process ``pid`` into each of the cgroups ``groups``."""
    for path in groups:
        with open(os.path.join(path, 'cgroup.procs'), 'w') as procs:
            procs.write(str(pid))


# Seconds ``remove`` waits for the kernel to let a cgroup go: a killed
# process leaves it only once it has fully exited.
REMOVE_WAIT = 2.0


def remove(path, wait=REMOVE_WAIT):
    """Remove a cgroup once its processes are gone (waiting up to ``wait``
    seconds for them to leave it); a missing one is not an error."""
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
                LOG.warning('Cgroup %s not removed: %s', path, error)
                return
        time.sleep(0.05)


def _delegate(parent, name):
    """cgroup v2: children of ``parent`` get the controller ``name``."""
    control = os.path.join(parent, 'cgroup.subtree_control')
    if os.path.exists(control):
        with open(control) as current:
            if name in current.read().split():
                return
        with open(control, 'w') as out:
            out.write(f'+{name}')


_CONSEQUENCES = {
    'memory': 'without a memory limit',
    'cpu': 'with as much of the CPU as the control plane',
}


def _warn_once(name, error):
    if name not in _warned:
        _warned.add(name)
        LOG.warning('Local guests run %s: the %s cgroup cannot be made '
                    '(%s)', _CONSEQUENCES[name], name, error)
