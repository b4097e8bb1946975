"""Heartbeats at scale: 1,000 simulated guests against the real conductor.

In one run, on an isolated stack (real RabbitMQ, real conductor, real
MariaDB, one instance row per simulated guest):

1. the ceiling: raw oslo.messaging casts/s through the same broker to a
   no-op RPC server (same senders, same payload);
2. heartbeats/s the conductor applies end to end when the guests send as
   fast as they can (send of the first to the last one applied);
3. the guests at a ``--interval`` report interval for a while: the
   status lag (a guest's status change sent -> visible in the database),
   median, p99 and max;
4. memory: per simulated guest (sender RSS growth / guests), and per real
   guest (guest agent + its mariadbd, RSS and PSS) from real instances.

    python benchmarks/heartbeat_scale.py [--guests 1000] [--burst 20000]
    python benchmarks/heartbeat_scale.py --guests 10000 --interval 30 \\
        --duration 60   # the 10,000 guests target
"""

import argparse
import datetime
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import guest_memory  # noqa: E402
from tests.functional import stack as stack_module  # noqa: E402
from trove_lite.compute.local import processes  # noqa: E402

SENDERS = 4
# How long a burst may take to arrive once it is all sent.
BURST_DRAIN_SECONDS = 120
NOOP_TOPIC = 'heartbeat-benchmark-noop'


def _rpc_setup(config_file):
    import trove_lite.cmd  # noqa: F401  (environment, warning filters)
    from trove_lite.common import service
    service.prepare_service(['benchmark', '--config-file', config_file])


def _guest_clients(topic, guests):
    """A client per simulated guest: it seals what it sends with its
    instance's key, as a real guest does; key None: a plain
    oslo.messaging client (the ceiling's casts)."""
    import oslo_messaging as messaging

    from trove_lite.common import rpc
    target = messaging.Target(topic=topic, version='1.0')
    return {instance_id: (rpc.SealedClient(target, key, instance_id)
                          if key else rpc.get_client(target)).prepare()
            for instance_id, key in guests}


def noop_server(config_file, ready, stop, counter):
    """An RPC server whose endpoint only counts (the ceiling)."""
    _rpc_setup(config_file)
    import oslo_messaging as messaging

    from trove_lite.common import rpc

    class Endpoint:
        target = messaging.Target(version='1.0')

        def heartbeat(self, context, instance_id, payload, sent=None):
            with counter.get_lock():
                counter.value += 1

    server = rpc.get_server(messaging.Target(topic=NOOP_TOPIC, server='b'),
                            [Endpoint()])
    server.start()
    ready.set()
    stop.wait()
    server.stop()
    server.wait()


def burst_sender(config_file, topic, guests, per_guest, start_at,
                 sent_base):
    """Send ``per_guest`` heartbeats from each guest as fast as possible."""
    _rpc_setup(config_file)
    from trove_lite.common import context
    clients = _guest_clients(topic, guests)
    ctxt = context.get_admin_context()
    while time.time() < start_at:
        time.sleep(0.001)
    for round_index in range(per_guest):
        for instance_id, client in clients.items():
            client.cast(ctxt, 'heartbeat', instance_id=instance_id,
                        payload={'service_status': 'healthy'},
                        sent=sent_base + round_index)


def _resident_kib():
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGESIZE') \
            // 1024


def steady_sender(config_file, guests, interval, duration, watched,
                  results):
    """Guests reporting every ``interval`` s, spread evenly; each report
    of a watched guest flips its status, so its lag can be seen."""
    _rpc_setup(config_file)
    from trove_lite.common import context
    ctxt = context.get_admin_context()
    # Warm up the transport with one cast, so what grows after is the
    # guests' own state (their clients and keys).
    first_id = guests[0][0]
    _guest_clients(stack_module.CONDUCTOR_TOPIC, guests[:1])[first_id].cast(
        ctxt, 'heartbeat', instance_id=first_id,
        payload={'service_status': 'healthy'}, sent=time.time())
    before = _resident_kib()
    clients = _guest_clients(stack_module.CONDUCTOR_TOPIC, guests)
    started = time.time()
    spacing = interval / len(clients)
    schedule = sorted(
        (started + index * spacing + round_index * interval, instance_id,
         round_index)
        for index, instance_id in enumerate(clients)
        for round_index in range(int(duration // interval)))
    flips = []
    for due, instance_id, round_index in schedule:
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        status = 'healthy'
        if instance_id in watched:
            status = ('blocked', 'healthy')[round_index % 2]
            flips.append((instance_id, status, time.time()))
        clients[instance_id].cast(ctxt, 'heartbeat', instance_id=instance_id,
                                  payload={'service_status': status},
                                  sent=time.time())
    after = _resident_kib()
    results.put((after - before, flips))


def insert_guests(deployment, count):
    """``count`` ACTIVE instances, each with its own key: [(id, key)]."""
    from trove_lite.instance import keys
    version_id = deployment.query(
        'SELECT id FROM datastore_versions LIMIT 1')[0][0]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    guests = [(str(uuid.uuid4()), keys.new_key()) for _ in range(count)]
    # Stored as the API stores them: under inst_rpc_key_encr_key.
    stored = {instance_id: keys.encrypt(key) for instance_id, key in guests}
    ids = [instance_id for instance_id, _ in guests]
    with deployment.db_connection(deployment.database) as connection:
        cursor = connection.cursor()
        cursor.executemany(
            'INSERT INTO instances (id, created, updated, name, tenant_id, '
            'flavor_id, datastore_version_id, task_id, task_description, '
            'server_status, deleted, encrypted_key) VALUES (%s, %s, %s, %s, '
            "%s, %s, %s, 1, 'No tasks for the instance.', 'ACTIVE', 0, %s)",
            [(i, now, now, 'sim', 'bench', '1', version_id, stored[i])
             for i, _ in guests])
        cursor.executemany(
            'INSERT INTO instance_service_statuses (id, instance_id, '
            "status_id, status_description, created_at, updated_at) VALUES "
            "(%s, %s, 33, 'healthy', %s, %s)",
            [(str(uuid.uuid4()), i, now, now) for i in ids])
    return guests


def _pids_of(command, user):
    out = subprocess.run(['pgrep', '-x', '-u', user, command],
                         capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def cpu_now(server_pids):
    """CPU seconds so far: {'server': the receiving processes',
    'broker': RabbitMQ's, 'database': MariaDB's, 'machine': every busy
    second of the machine}. What the senders took is the machine's less
    the others (other processes of the machine included)."""
    def seconds(pids):
        return sum(guest_memory.figures(pid).get('cpu', 0) for pid in pids)
    return {'server': seconds(server_pids),
            'broker': seconds(_pids_of('beam.smp', 'rabbitmq')),
            'database': seconds(_pids_of('mariadbd', 'mysql')),
            'machine': guest_memory.machine_cpu()}


def cpu_spent(before, after, messages):
    """CPU milliseconds per message by part, between two cpu_now."""
    spent = {part: after[part] - before[part] for part in after}
    spent['senders and rest'] = spent['machine'] - sum(
        value for part, value in spent.items() if part != 'machine')
    return {part: value * 1000 / messages for part, value in spent.items()}


def chunks(items, parts):
    return [items[index::parts] for index in range(parts)]


def measure_ceiling(config_file, guests, per_guest):
    """Plain casts (no sealing, no work at the server): the ceiling."""
    guests = [(instance_id, None) for instance_id, _ in guests]
    ctx = multiprocessing.get_context('spawn')
    ready, stop = ctx.Event(), ctx.Event()
    counter = ctx.Value('l', 0)
    server = ctx.Process(target=noop_server,
                         args=(config_file, ready, stop, counter))
    server.start()
    ready.wait(60)
    total = len(guests) * per_guest
    start_at = time.time() + 3
    senders = [ctx.Process(target=burst_sender, args=(
        config_file, NOOP_TOPIC, part, per_guest, start_at, 1.0))
        for part in chunks(guests, SENDERS)]
    for sender in senders:
        sender.start()
    while time.time() < start_at:
        time.sleep(0.01)
    cpu_before = cpu_now([server.pid])
    wait_for_burst(senders, lambda: counter.value >= total, 0.01)
    elapsed = time.time() - start_at
    cpu = cpu_spent(cpu_before, cpu_now([server.pid]), total)
    for sender in senders:
        sender.join()
    stop.set()
    server.join()
    return total / elapsed, cpu


def wait_for_burst(senders, arrived, poll):
    """Poll ``arrived()`` until the whole burst arrived; fail instead of
    waiting forever when a sender died, or when everything was sent but
    not all of it arrives."""
    sent_by = None
    while not arrived():
        if any(sender.exitcode for sender in senders):
            raise RuntimeError('a sender process failed')
        if sent_by is None and all(sender.exitcode == 0
                                   for sender in senders):
            sent_by = time.monotonic()
        if sent_by and time.monotonic() - sent_by > BURST_DRAIN_SECONDS:
            raise RuntimeError('the burst was sent but did not all arrive '
                               f'within {BURST_DRAIN_SECONDS} s')
        time.sleep(poll)


def measure_conductor(deployment, guests, per_guest):
    ctx = multiprocessing.get_context('spawn')
    total = len(guests) * per_guest
    sent_base = time.time()  # newer than anything applied so far
    start_at = time.time() + 3
    senders = [ctx.Process(target=burst_sender, args=(
        deployment.config_file, stack_module.CONDUCTOR_TOPIC, part, per_guest,
        start_at, sent_base))
        for part in chunks(guests, SENDERS)]
    for sender in senders:
        sender.start()
    conductors = processes.group_members(
        deployment.processes['conductor'].pid)
    while time.time() < start_at:
        time.sleep(0.01)
    cpu_before = cpu_now(conductors)
    final = sent_base + per_guest - 1
    wait_for_burst(senders, lambda: deployment.query(
        'SELECT COUNT(*) FROM conductor_lastseen WHERE sent >= %s',
        final)[0][0] >= len(guests), 0.05)
    elapsed = time.time() - start_at
    cpu = cpu_spent(cpu_before, cpu_now(conductors), total)
    for sender in senders:
        sender.join()
    return total / elapsed, cpu


def measure_lag(deployment, guests, interval, duration):
    ctx = multiprocessing.get_context('spawn')
    watched = [instance_id for instance_id, _ in guests[::50]]
    results = ctx.Queue()
    senders = [ctx.Process(target=steady_sender, args=(
        deployment.config_file, part, interval, duration, set(watched),
        results)) for part in chunks(guests, SENDERS)]
    for sender in senders:
        sender.start()
    # Poll the watched guests' statuses; note when each change shows.
    shown, last = [], {}
    while any(sender.is_alive() for sender in senders) or not shown:
        rows = deployment.query(
            'SELECT instance_id, status_description FROM '
            'instance_service_statuses WHERE instance_id IN %s',
            tuple(watched))
        now = time.time()
        for instance_id, status in rows:
            if last.get(instance_id) != status:
                last[instance_id] = status
                shown.append((instance_id, status, now))
        time.sleep(0.02)
    growth, flips = 0, []
    for _ in senders:
        rss_growth, sent = results.get(timeout=60)
        growth += rss_growth
        flips += sent
    for sender in senders:
        sender.join()
    lags = []
    for instance_id, status, sent_at in flips:
        seen = [at for i, st, at in shown
                if i == instance_id and st == status and at >= sent_at]
        if seen:
            lags.append(seen[0] - sent_at)
    return lags, len(flips), growth / len(guests)


def measure_real_guests(deployment, count=3):
    """[(RSS, PSS)] in MiB of the agents and of their mariadbds, of
    ``count`` real instances (deleted afterwards)."""
    api = deployment.api('bench-real')
    created = {api.create_instance(name=f'real{i}')['id']
               for i in range(count)}
    for instance_id in created:
        api.wait_active(instance_id, timeout=120)
    time.sleep(2)
    found = {role: [] for role in ('agent', 'mariadbd')}
    for instance_id, guest in guest_memory.guest_processes(
            deployment).items():
        if instance_id in created:
            for role, values in found.items():
                values.append((guest[role]['Rss'] / 1024,
                               guest[role]['Pss'] / 1024))
    for instance_id in created:
        api.delete(f'/instances/{instance_id}')
    return found['agent'], found['mariadbd']


def p99(values):
    """The 99th percentile (the largest value of fewer than 100)."""
    if len(values) < 100:
        return max(values)
    return statistics.quantiles(values, n=100, method='inclusive')[98]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--guests', type=int, default=1000)
    parser.add_argument('--burst', type=int, default=20000,
                        help='heartbeats sent in the as-fast-as-possible '
                             'phase')
    parser.add_argument('--interval', type=float, default=10.0)
    parser.add_argument('--duration', type=float, default=40.0)
    args = parser.parse_args()
    per_guest = max(1, args.burst // args.guests)

    base = tempfile.mkdtemp(prefix='tl-bench-hb-')
    deployment = stack_module.Stack(base, overrides={
        'DEFAULT': {'debug': 'false', 'report_interval': '30'}})
    try:
        deployment.setup()
        # The stack's configuration here too: the instance keys are
        # stored encrypted with its inst_rpc_key_encr_key.
        _rpc_setup(deployment.config_file)
        guests = insert_guests(deployment, args.guests)
        ceiling, ceiling_cpu = measure_ceiling(deployment.config_file,
                                               guests, per_guest)
        applied, applied_cpu = measure_conductor(deployment, guests,
                                                 per_guest)
        lags, flips, sim_kib = measure_lag(deployment, guests, args.interval,
                                           args.duration)
        agents, databases = measure_real_guests(deployment)
    finally:
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)

    total = args.guests * per_guest
    print(f'\n{args.guests} simulated guests, {SENDERS} sender processes, '
          f'{total} heartbeats per burst')
    print(f'raw oslo.messaging casts/s to a no-op server : {ceiling:8.0f}')
    print(f'heartbeats/s applied by the conductor        : {applied:8.0f}'
          f'  ({applied / ceiling:.0%} of raw)')
    print('CPU ms per message        receiver  broker  database  senders '
          'and rest  machine')
    for label, cpu in (('raw casts (no-op server)', ceiling_cpu),
                       ('heartbeats (conductor)', applied_cpu)):
        print(f'  {label:24} {cpu["server"]:6.3f}  {cpu["broker"]:6.3f}  '
              f'{cpu["database"]:8.3f}  {cpu["senders and rest"]:16.3f}  '
              f'{cpu["machine"]:7.3f}')
    if lags:
        print(f'status lag at a {args.interval:.0f} s interval, '
              f'{len(lags)} of {flips} status changes seen: median '
              f'{statistics.median(lags):.3f}s, p99 {p99(lags):.3f}s, '
              f'max {max(lags):.3f}s (poll granularity 0.02 s)')
    print(f'memory per simulated guest                   : '
          f'{sim_kib:8.1f} KiB')
    for label, values in (('guest agent', agents), ('its mariadbd',
                                                     databases)):
        if values:
            rss = statistics.mean(v[0] for v in values)
            pss = statistics.mean(v[1] for v in values)
            print(f'memory per real guest, {label:<14}        : '
                  f'RSS {rss:6.1f} MiB, PSS {pss:6.1f} MiB')


if __name__ == '__main__':
    main()
