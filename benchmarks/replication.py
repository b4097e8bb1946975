"""Replication figures: replica create -> ACTIVE against a plain create in
the same run, and how long a promote, an eject and an automatic failover
with semi-synchronous replication take.

Starts an isolated stack (as the functional tests do, local storage,
contained guests, ``agent_heartbeat_expiry`` 10 s, ``failover_timeout``
5 s, ``periodic_interval`` 2 s), then for ``--runs`` rounds:

* a plain create -> ACTIVE/HEALTHY (the baseline);
* a replica of an instance holding ``--rows`` rows, create -> ACTIVE
  (snapshot of the source, restore, attach);
* promote_to_replica_source: request -> the replica shown ACTIVE as the
  source and the old source shown following it;
* eject_replica_source after SIGKILL of the source's mariadbd and agent:
  kill -> the replica shown ACTIVE as the source (the heartbeat expiry
  included), and request -> the same;
* automatic failover of a semi-synchronous set (one configuration group
  with ``rpl_semi_sync_master_enabled`` on source and replica) while a
  writer inserts rows: SIGKILL of the source's mariadbd and agent -> the
  replica shown ACTIVE as the source; a round that lost an acknowledged
  row stops the benchmark.

    python benchmarks/replication.py [--runs 2] [--rows 2000]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import stack as stack_module  # noqa: E402
from tests.functional import test_backups  # noqa: E402
from tests.functional import test_replication  # noqa: E402

POLL = 0.05


def timed(start, api, instance_id, predicate, timeout=600):
    api.wait_for(instance_id, predicate, timeout=timeout, interval=POLL)
    return time.monotonic() - start


def ready(instance):
    return instance is not None and (
        instance['status'], instance['operating_status']) == (
        'ACTIVE', 'HEALTHY')


def source_of_none(instance):
    return ready(instance) and 'replica_of' not in instance


def one_round(stack, api, number, rows):
    figures = {}
    start = time.monotonic()
    plain = api.create_instance(name=f'bench-plain-{number}')
    figures['plain create'] = timed(start, api, plain['id'], ready)
    source = test_backups.make_instance(api, f'bench-src-{number}')
    test_backups.insert(source, 1, rows)
    start = time.monotonic()
    replica = test_replication.create_replica(
        api, source, f'bench-rep-{number}').json()['instance']
    figures['replica create'] = timed(start, api, replica['id'], ready)
    start = time.monotonic()
    test_replication.act(api, replica, 'promote_to_replica_source')
    timed(start, api, replica['id'], source_of_none)
    figures['promote'] = timed(
        start, api, source['id'], lambda i: ready(i) and i.get(
            'replica_of', {}).get('id') == replica['id'])
    # The old source is the replica now; kill the new source.
    test_replication.kill_guest(stack, replica['id'])
    killed = time.monotonic()
    while test_replication.act(api, source, 'eject_replica_source'
                               ).status_code == 400:
        time.sleep(POLL)
    asked = time.monotonic()
    timed(asked, api, source['id'], source_of_none)
    figures['eject (request)'] = time.monotonic() - asked
    figures['eject (kill)'] = time.monotonic() - killed
    for instance in (plain, source, replica):
        api.delete(f'/instances/{instance["id"]}')
    figures['failover (semi-sync)'] = semi_sync_failover(stack, api,
                                                         number)
    return figures


def semi_sync_failover(stack, api, number):
    """Seconds from the kill of a semi-synchronous source to its replica
    shown as the source, every acknowledged row on it."""
    group = api.post('/configurations', {'configuration': {
        'name': f'bench-semi-sync-{number}',
        'datastore': {'type': 'mariadb'}, 'values': {
            'rpl_semi_sync_master_enabled': True,
            'rpl_semi_sync_master_timeout':
                test_replication.SEMI_SYNC_TIMEOUT}}}).json()['configuration']
    source = test_backups.make_instance(api, f'bench-ss-src-{number}',
                                        failover={'automatic': True})
    test_backups.insert(source, 1, 10)
    replica = test_replication.create_replica(
        api, source, f'bench-ss-rep-{number}',
        configuration=group['id']).json()['instance']
    api.wait_active(replica['id'], timeout=600)
    api.put(f'/instances/{source["id"]}',
            {'instance': {'configuration': group['id']}})
    writer = test_replication.Writer(source, 1000)
    writer.start()
    stack_module.wait_until(lambda: len(writer.acknowledged) > 50,
                            timeout=60)
    test_replication.kill_guest(stack, source['id'])
    killed = time.monotonic()
    seconds = timed(killed, api, replica['id'], source_of_none)
    writer.stopping.set()
    writer.join()
    kept = {row[0] for row in test_backups.rows(
        api.instance(replica['id']))}
    lost = set(writer.acknowledged) - kept
    if lost:
        sys.exit(f'{len(lost)} acknowledged rows lost in round {number}')
    for instance in (source, replica):
        api.delete(f'/instances/{instance["id"]}')
    for instance in (source, replica):
        api.wait_gone(instance['id'], timeout=120)
    api.delete(f'/configurations/{group["id"]}')
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=2)
    parser.add_argument('--rows', type=int, default=2000)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix='bench-repl-')
    stack = stack_module.Stack(base, overrides={'DEFAULT': {
        'agent_heartbeat_expiry': '10',
        'failover_timeout': str(test_replication.FAILOVER_TIMEOUT),
        'periodic_interval': '2'}})
    try:
        stack.setup()
        api = stack.api('bench-replication')
        rounds = [one_round(stack, api, number, args.rows)
                  for number in range(args.runs)]
    finally:
        stack.teardown()
        shutil.rmtree(base, ignore_errors=True)  # its config and logs
    plain = statistics.median(r['plain create'] for r in rounds)
    for name in rounds[0]:
        values = [r[name] for r in rounds]
        print(f'{name:20} median {statistics.median(values):6.1f} s  '
              f'(min {min(values):.1f}, max {max(values):.1f})  '
              f'{statistics.median(values) / plain:4.1f}x a plain create')


if __name__ == '__main__':
    main()
