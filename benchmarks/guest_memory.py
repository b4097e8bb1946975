"""Memory of a real instance of the local driver: its guest agent and its
``mariadbd``, RSS and PSS (as ``smem`` reports them, from
``/proc/<pid>/smaps_rollup``).

Starts an isolated stack (as the functional tests do), creates
``--count`` instances of the tiny flavor, waits until they are ACTIVE and
have sent a few heartbeats, then prints each process's figures and the
mean per instance against the targets (agent RSS <= 35 MiB, agent +
mariadbd <= 90 MiB). PSS shares what the agents share (the launcher's
pre-loaded modules, the libraries) among them, so it falls as
``--count`` grows; RSS counts all of it in every process.

    python benchmarks/guest_memory.py [--count 3] [--settle 10]

``guest_processes`` is also what ``benchmarks/fleet.py`` measures with.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import stack as stack_module  # noqa: E402
from trove_lite.compute.local import processes  # noqa: E402

MIB = 1024
CLOCK_TICKS = os.sysconf('SC_CLK_TCK')
AGENT_TARGET_MIB = 35
INSTANCE_TARGET_MIB = 90


def figures(pid):
    """{'Rss': kB, 'Pss': kB, 'cpu': seconds of CPU so far,
    'children_cpu': those of its children it waited for} of a live
    process (empty when it is gone)."""
    found = {}
    try:
        with open(f'/proc/{pid}/smaps_rollup') as rollup:
            for line in rollup:
                name, _, rest = line.partition(':')
                if name in ('Rss', 'Pss'):
                    found[name] = int(rest.split()[0])
        with open(f'/proc/{pid}/stat') as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    # utime and stime, then cutime and cstime, in clock ticks.
    found['cpu'] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    found['children_cpu'] = (int(fields[13]) + int(fields[14])) / \
        CLOCK_TICKS
    return found


def pids_named(command):
    """The pids of the machine's processes whose command is
    ``command``."""
    return [int(name) for name in os.listdir('/proc')
            if name.isdigit() and _command(name) == command]


def machine_cpu():
    """Busy CPU seconds of the whole machine so far (other processes
    included)."""
    with open('/proc/stat') as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def _command(pid):
    try:
        with open(f'/proc/{pid}/comm') as comm:
            return comm.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ''


def guest_processes(deployment):
    """{instance id: {'agent': figures, 'mariadbd': figures}} of every
    guest of a stack: the agent leads its server's process group and its
    database is in it."""
    found = {}
    for server in deployment.servers():
        if not server.get('pid'):
            continue
        guest = {}
        for pid in processes.group_members(server['pid']):
            role = 'agent' if pid == server['pid'] else _command(pid)
            guest[role] = figures(pid)
        found[server['instance_id']] = guest
    return found


def _mib(kib):
    return f'{kib / MIB:6.1f}'


def report(guests):
    """Print per-guest figures (MiB, CPU seconds so far), then the
    means."""
    headings = [f'{role} {field}' for role in ('agent', 'mariadbd')
                for field in ('RSS', 'PSS', 'CPU s')]
    print(f'{"instance":36} ' + ' '.join(f'{h:>14}' for h in headings))
    for instance_id, guest in sorted(guests.items()):
        cells = []
        for role in ('agent', 'mariadbd'):
            process = guest.get(role, {})
            cells += [_mib(process.get('Rss', 0)),
                      _mib(process.get('Pss', 0)),
                      f'{process.get("cpu", 0):6.2f}']
        print(f'{instance_id:36} ' + ' '.join(f'{c:>14}' for c in cells))
    report_means(guests)


def report_means(guests):
    """Print the means per guest against the targets."""
    def mean(role, field):
        return statistics.mean(guest.get(role, {}).get(field, 0)
                               for guest in guests.values()) / MIB

    means = {(role, field): mean(role, field)
             for role in ('agent', 'mariadbd') for field in ('Rss', 'Pss')}
    agent_rss = means[('agent', 'Rss')]
    instance_rss = agent_rss + means[('mariadbd', 'Rss')]
    print(f'mean agent RSS {agent_rss:.1f} MiB (PSS '
          f'{means[("agent", "Pss")]:.1f}), ratio to the target '
          f'{AGENT_TARGET_MIB} MiB: {agent_rss / AGENT_TARGET_MIB:.2f}')
    print(f'mean mariadbd RSS {means[("mariadbd", "Rss")]:.1f} MiB (PSS '
          f'{means[("mariadbd", "Pss")]:.1f})')
    print(f'mean agent + mariadbd RSS {instance_rss:.1f} MiB, ratio to '
          f'the target {INSTANCE_TARGET_MIB} MiB: '
          f'{instance_rss / INSTANCE_TARGET_MIB:.2f}')


def measure(deployment, count, settle):
    """The figures of ``count`` new instances, ``settle`` seconds after
    they are all ACTIVE."""
    api = deployment.api('bench')
    ids = [api.create_instance(name=f'memory{index}')['id']
           for index in range(count)]
    for instance_id in ids:
        api.wait_active(instance_id, timeout=300)
    time.sleep(settle)
    return guest_processes(deployment)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=3)
    parser.add_argument('--settle', type=float, default=10,
                        help='seconds of heartbeats before measuring')
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix='tl-bench-memory-') as base:
        deployment = stack_module.Stack(base, overrides={
            'DEFAULT': {'debug': 'false'}})
        try:
            deployment.setup()
            guests = measure(deployment, args.count, args.settle)
        finally:
            deployment.teardown()
    report(guests)


if __name__ == '__main__':
    main()
