"""Several taskmanagers: create throughput with one and with two, and the
take-over time after a taskmanager is SIGKILLed mid-build.

Starts an isolated multi-host stack (as the functional tests do) with the
local driver's ``shared_state`` (every taskmanager reaches every server,
so any takes any build), then in the same run:

* throughput: ``--count`` instances created at once, from the POST of the
  first to the last ACTIVE/HEALTHY, with only host-a's taskmanager, then
  (after deleting them) with host-a's and host-b's; the ratio two/one;
* take-over: a build whose owner is SIGKILLed once its guest runs; the
  seconds from the kill to another taskmanager holding its claim, against
  ``taskmanager_lease_timeout`` (the floor: nothing can take over sooner).

    python benchmarks/scale_out.py [--count 6] [--lease 6]
"""

import argparse
import concurrent.futures
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import multihost  # noqa: E402
from tests.functional import stack as stack_module  # noqa: E402


def burst(api, count, label):
    """Seconds from the first POST to the last instance ACTIVE; ids."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        ids = list(pool.map(lambda index: api.create_instance(
            name=f'{label}-{index}')['id'], range(count)))
        list(pool.map(lambda instance_id: api.wait_active(
            instance_id, timeout=900), ids))
    return time.monotonic() - started, ids


def delete_all(api, ids):
    for instance_id in ids:
        api.delete(f'/instances/{instance_id}')
    for instance_id in ids:
        api.wait_gone(instance_id, timeout=300)


def owner_of(deployment, instance_id):
    rows = deployment.query('SELECT host FROM instance_claims WHERE '
                            'instance_id = %s', instance_id)
    return rows[0][0] if rows else None


def take_over(deployment, api):
    """Seconds from SIGKILL of a build's owner to another owner."""
    instance_id = api.create_instance(name='victim')['id']
    owner = stack_module.wait_until(lambda: owner_of(deployment,
                                                     instance_id),
                                    timeout=120, interval=0.01)
    stack_module.wait_until(lambda: any(
        server['instance_id'] == instance_id and server.get('pid')
        for server in deployment.servers()), timeout=120, interval=0.01)
    victim = 'taskmanager' if owner == multihost.BASE_HOST \
        else f'taskmanager@{owner}'
    killed = time.monotonic()
    deployment.stop_service(victim, sig=signal.SIGKILL)
    stack_module.wait_until(lambda: owner_of(deployment, instance_id)
                            != owner, timeout=300, interval=0.02)
    took = time.monotonic() - killed
    api.wait_for(instance_id, lambda i: i['status'] != 'BUILD',
                 timeout=300)
    delete_all(api, [instance_id])
    return took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--count', type=int, default=6)
    parser.add_argument('--lease', type=int, default=6)
    args = parser.parse_args()
    base = os.path.join('/tmp', f'tl-bench-scale-{os.getpid()}')
    os.makedirs(base)
    deployment = multihost.MultiHostStack(base, overrides={
        'DEFAULT': {'taskmanager_lease_timeout': str(args.lease)},
        'local_compute': {'shared_state': 'true'}})
    try:
        deployment.setup()
        api = deployment.api('bench')
        one, ids = burst(api, args.count, 'one')
        delete_all(api, ids)
        deployment.start_on('taskmanager', 'host-b')
        stack_module.wait_until(lambda: sum(
            1 for row in deployment.service_list()
            if row[1] == 'trove-lite-taskmanager' and row[4] == 'up') == 2,
            timeout=60)
        two, ids = burst(api, args.count, 'two')
        delete_all(api, ids)
        took = take_over(deployment, api)
    finally:
        deployment.teardown()
        shutil.rmtree(base, ignore_errors=True)
    print(f'create throughput, {args.count} at once:')
    print(f'  one taskmanager : {args.count / one:.3f} instances/s '
          f'({one:.1f} s)')
    print(f'  two taskmanagers: {args.count / two:.3f} instances/s '
          f'({two:.1f} s)')
    print(f'  ratio two/one   : {one / two:.2f}')
    print(f'take-over after SIGKILL: {took:.1f} s with '
          f'taskmanager_lease_timeout = {args.lease} s '
          f'(ratio to the lease {took / args.lease:.2f})')


if __name__ == '__main__':
    main()
