"""100 instances on one machine: a burst of creates through the API, then
deleting them all.

Starts an isolated stack (as the functional tests do; the local driver
with no ``max_servers`` limit), makes one instance first (the image's
template datadir) and deletes it, then in one run:

* POSTs ``--count`` creates at once, ``--per-project`` per project, each
  from a thread of its own; prints the POST latencies (p50/p99/max);
* meanwhile lists every project's instances (GET /instances), a round
  every 0.2 s:
  the API's p50/p99 for that read during the burst, and when each
  instance is first seen ACTIVE; prints the time from the first POST to
  all ACTIVE and the p50/p99 of each instance's POST -> ACTIVE;
* the memory of the guests once all are ACTIVE: the sum of the agents'
  and their ``mariadbd``\\ s' RSS (and PSS);
* DELETEs them all at once and the time until every list is empty;
* then checks nothing is left: no server records, processes, volumes,
  listening addresses, guest accounts, broker users or live rows.

Prints each figure with its ratio to the issue's target (POST p99 <= 1 s,
all ACTIVE <= 10 s, RSS <= 9 GB in all). Exits 1 when something is left.

    python benchmarks/fleet.py [--count 100] [--per-project 10]
"""

import argparse
import collections
import concurrent.futures
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import guest_memory  # noqa: E402
from tests.functional import stack as stack_module  # noqa: E402
from tests.functional import test_build_interrupted  # noqa: E402
from tests.functional import test_scale_out_taskmanagers  # noqa: E402
from trove_lite.compute.local import processes  # noqa: E402

# What the functional tests check after a delete, checked here too.
processes_under = test_build_interrupted.processes_under
guest_accounts = test_scale_out_taskmanagers.guest_accounts
broker_users = test_scale_out_taskmanagers.broker_users

POST_P99_TARGET = 1.0
ALL_ACTIVE_TARGET = 10.0
# Seconds between the starts of two rounds of lists (every project's).
WATCH_INTERVAL = 0.2
RSS_TARGET_GIB = 9.0
CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def spread(values):
    return (f'p50 {statistics.median(values):6.3f} s  p99 '
            f'{percentile(values, 0.99):6.3f} s  max {max(values):6.3f} s')


class Watcher(threading.Thread):
    """Lists every project's instances in a loop until stopped: the
    latency of each GET /instances, and when each instance was first seen
    with ``status`` (None: seen in ERROR)."""

    def __init__(self, apis, status):
        super().__init__(daemon=True)
        self.apis = apis
        self.status = status
        self.latencies = []
        self.failures = collections.Counter()
        self.seen = {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            round_started = time.monotonic()
            self._list_each_project()
            # Paced, as a dashboard refreshes: listing flat out would be a
            # load of its own that takes the CPU from the builds.
            self.stop.wait(WATCH_INTERVAL -
                           (time.monotonic() - round_started))

    def _list_each_project(self):
        for api in self.apis:
            started = time.monotonic()
            try:
                response = api.get('/instances')
            except requests.RequestException as error:
                # An overloaded API may drop a connection: counted,
                # and the watch goes on.
                self.failures[type(error).__name__] += 1
                continue
            now = time.monotonic()
            self.latencies.append(now - started)
            if response.status_code != 200:
                self.failures[response.status_code] += 1
                continue
            for instance in response.json()['instances']:
                if instance['status'] == self.status:
                    self.seen.setdefault(instance['id'], now)
                if instance['status'] == 'ERROR':
                    self.seen.setdefault(instance['id'], None)


def create_burst(apis, count):
    """POST ``count`` creates at once (round-robin over the projects):
    [(id, POST start, POST seconds)], and the watcher of the burst."""
    watcher = Watcher(apis, 'ACTIVE')
    barrier = threading.Barrier(count)

    def create(index):
        api = apis[index % len(apis)]
        body = {'instance': {'name': f'fleet-{index}', 'flavorRef': '1',
                             'volume': {'size': 1},
                             'datastore': {'type': 'mariadb'}}}
        barrier.wait()
        started = time.monotonic()
        response = api.post('/instances', body)
        took = time.monotonic() - started
        if response.status_code != 200:
            raise RuntimeError(f'POST {index}: {response.status_code} '
                               f'{response.text}')
        return response.json()['instance']['id'], started, took

    watcher.start()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        created = list(pool.map(create, range(count)))
    return created, watcher


def wait_for(watcher, ids, timeout):
    """Until the watcher saw every instance ACTIVE (or in ERROR)."""
    deadline = time.monotonic() + timeout
    while not set(ids) <= set(watcher.seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    watcher.stop.set()
    watcher.join()
    failed = [i for i in ids if watcher.seen.get(i, None) is None]
    if failed:
        raise RuntimeError(f'{len(failed)} instances did not become '
                           f'ACTIVE (ERROR or timed out)')


def delete_all(apis, instance_project, timeout):
    """DELETE every instance at once; seconds until no list shows one."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(instance_project)) as pool:
        answers = list(pool.map(
            lambda item: apis[item[1]].delete(f'/instances/{item[0]}'),
            instance_project.items()))
    refused = [a.status_code for a in answers if a.status_code != 202]
    if refused:
        raise RuntimeError(f'DELETE refused: {refused}')
    deadline = started + timeout
    while time.monotonic() < deadline:
        if not any(api.get('/instances').json()['instances']
                   for api in apis):
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError('instances still listed after the deletes')


def leftovers(deployment, ids, addresses):
    """What the deletes left behind, by kind (empty: nothing)."""
    state = deployment.state_path
    found = {
        'server records': deployment.servers(),
        'processes': processes_under(os.path.join(state, 'servers')) +
        processes_under(os.path.join(state, 'volumes')),
        'volumes': deployment.volumes(),
        'listening addresses': [a for a in addresses
                                if stack_module._listening(a, 3306)],
        'guest accounts': guest_accounts(deployment),
        'broker users': broker_users(deployment, ids),
        'live rows': deployment.query(
            'SELECT id FROM instances WHERE deleted = 0'),
        'claims': deployment.query('SELECT instance_id FROM '
                                   'instance_claims'),
    }
    return {kind: items for kind, items in found.items() if items}


def services_cpu(deployment, guests=()):
    """{part: CPU seconds so far}: each service's process group (workers
    and the guest launcher included), the helpers each ran and waited
    for (useradd, nft, ...), the machine's broker and database (not the
    guests' ``mariadbd``\\ s, ``guests``: their pids), and this client."""
    found = {}
    for service, process in deployment.processes.items():
        members = [guest_memory.figures(pid)
                   for pid in processes.group_members(process.pid)]
        found[service] = sum(member.get('cpu', 0) for member in members)
        found[f'{service} helpers'] = sum(member.get('children_cpu', 0)
                                          for member in members)
    for part, command in (('broker', 'beam.smp'),
                          ('database', 'mariadbd')):
        found[part] = sum(guest_memory.figures(pid).get('cpu', 0)
                          for pid in guest_memory.pids_named(command)
                          if pid not in guests)
    times = os.times()
    found['this client'] = times.user + times.system
    return found


def every_process_cpu():
    """{pid: (command, CPU seconds so far)} of every process on the
    machine (kernel threads included)."""
    found = {}
    for name in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{name}/stat') as stat:
                command, _, fields = stat.read().rpartition(')')
        except (FileNotFoundError, ProcessLookupError):
            continue
        # utime and stime, in clock ticks.
        utime, stime = fields.split()[11:13]
        found[int(name)] = (command.partition('(')[2],
                            (int(utime) + int(stime)) / CLOCK_TICKS)
    return found


def accounted_pids(deployment):
    """The pids services_cpu and the guests' figures count."""
    pids = {pid for process in deployment.processes.values()
            for pid in processes.group_members(process.pid)}
    pids.update(guest_pids(deployment), [os.getpid()])
    for command in ('beam.smp', 'mariadbd'):
        pids.update(guest_memory.pids_named(command))
    return pids


def others_by_command(before, after, accounted, top=5):
    """The ``top`` commands outside ``accounted`` by CPU seconds between
    two every_process_cpu snapshots (processes alive at the second)."""
    spent = collections.Counter()
    for pid, (command, cpu) in after.items():
        if pid not in accounted:
            earlier = before.get(pid)
            spent[command] += cpu - (earlier[1] if earlier and
                                     earlier[0] == command else 0)
    return [(command, seconds) for command, seconds in spent.most_common(top)
            if seconds >= 0.05]


def guest_pids(deployment):
    """The pids of every process of the stack's guests."""
    return {pid for server in deployment.servers() if server.get('pid')
            for pid in processes.group_members(server['pid'])}


def print_cpu(before, after, guests, machine, others):
    """Where the CPU went from the first POST to all ACTIVE; ``others``:
    the top of what the machine's other processes took."""
    ours = {part: after[part] - before.get(part, 0) for part in after}
    for role in ('agent', 'mariadbd'):
        ours[f'{role}s'] = sum(guest.get(role, {}).get('cpu', 0)
                               for guest in guests.values())
    # What the agents ran and waited for (sync, ...).
    ours['agents\' helpers'] = sum(
        guest.get('agent', {}).get('children_cpu', 0)
        for guest in guests.values())
    print(f'CPU seconds, first POST to all ACTIVE (machine busy '
          f'{machine:.1f} s):')
    for name, seconds in sorted(ours.items(), key=lambda item: -item[1]):
        print(f'  {name:20} {seconds:7.1f}')
    print(f'  {"other":20} {machine - sum(ours.values()):7.1f}  '
          f'(the kernel\'s own threads, other processes), of which:')
    for command, seconds in others:
        print(f'    {command:18} {seconds:7.1f}')


def warm_up(api):
    """One create and delete: the template datadir is made once."""
    instance_id = api.create_instance(name='warmup')['id']
    api.wait_active(instance_id, timeout=300)
    api.delete(f'/instances/{instance_id}')
    api.wait_gone(instance_id, timeout=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=100)
    parser.add_argument('--per-project', type=int, default=10)
    parser.add_argument('--timeout', type=float, default=600)
    args = parser.parse_args()
    projects = -(-args.count // args.per_project)

    base = tempfile.mkdtemp(prefix='tl-bench-fleet-')
    deployment = stack_module.Stack(base, overrides={
        # Room for the burst and the warm-up's instance in every project;
        # heartbeats at the default interval (the tests' 2 s would have
        # the fleet send 50 a second).
        'DEFAULT': {'debug': 'false', 'report_interval': '30',
                    'max_instances_per_tenant': str(2 * args.per_project),
                    'max_volumes_per_tenant': str(2 * args.per_project)},
        # 0: no limit (one host takes the whole fleet).
        'local_compute': {'max_servers': '0'}})
    left = None
    try:
        deployment.setup()
        apis = [deployment.api(f'fleet{index}') for index in range(projects)]
        warm_up(apis[0])

        load_before = os.getloadavg()
        cpu_before = services_cpu(deployment, guest_pids(deployment))
        everything_before = every_process_cpu()
        machine_before = guest_memory.machine_cpu()
        first_post = time.monotonic()
        created, watcher = create_burst(apis, args.count)
        ids = [instance_id for instance_id, _, _ in created]
        wait_for(watcher, ids, args.timeout)
        cpu_after = services_cpu(deployment, guest_pids(deployment))
        others = others_by_command(everything_before, every_process_cpu(),
                                   accounted_pids(deployment))
        machine = guest_memory.machine_cpu()
        all_active = max(watcher.seen.values()) - first_post
        to_active = [watcher.seen[i] - started for i, started, _ in created]
        posts = [took for _, _, took in created]
        guests = guest_memory.guest_processes(deployment)
        addresses = [server['address'] for server in deployment.servers()]

        deleted_in = delete_all(apis, {
            instance_id: index % projects
            for index, instance_id in enumerate(ids)}, args.timeout)
        left = leftovers(deployment, ids, addresses)
    finally:
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)

    print(f'{args.count} instances, {projects} projects, '
          f'{os.cpu_count()} cores, load average before the burst '
          f'{load_before[0]:.1f}')
    print(f'POST /instances        : {spread(posts)}  (p99 / target '
          f'{POST_P99_TARGET:.0f} s: '
          f'{percentile(posts, 0.99) / POST_P99_TARGET:.2f})')
    print(f'all ACTIVE after       : {all_active:6.3f} s  (/ target '
          f'{ALL_ACTIVE_TARGET:.0f} s: {all_active / ALL_ACTIVE_TARGET:.2f})')
    print(f'POST -> ACTIVE         : {spread(to_active)}')
    print(f'GET /instances (burst) : {spread(watcher.latencies)}  '
          f'({len(watcher.latencies)} answered, failed: '
          f'{dict(watcher.failures) or "none"})')
    rss = sum(process.get('Rss', 0) for guest in guests.values()
              for process in guest.values()) / 1024 / 1024
    pss = sum(process.get('Pss', 0) for guest in guests.values()
              for process in guest.values()) / 1024 / 1024
    print(f'guests\' memory        : RSS {rss:.2f} GiB (/ target '
          f'{RSS_TARGET_GIB:.0f} GiB: {rss / RSS_TARGET_GIB:.2f}), PSS '
          f'{pss:.2f} GiB, {len(guests)} guests')
    guest_memory.report_means(guests)
    print_cpu(cpu_before, cpu_after, guests, machine - machine_before,
              others)
    print(f'all deleted after      : {deleted_in:6.3f} s')
    print(f'left behind            : {left or "nothing"}')
    sys.exit(1 if left else 0)


if __name__ == '__main__':
    main()
