"""Many creates and deletes at once from several threads."""

import collections
import concurrent.futures
import time

import pytest

pytestmark = pytest.mark.functional

COUNT = 20


def test_twenty_parallel_creates_and_deletes_end_clean(stack):
    api = stack.api('crowd')
    stack.query('SELECT 1')
    queues_before = set(stack.queues())
    seen_addresses = collections.defaultdict(set)

    def life(index):
        client = stack.api('crowd')
        created = client.create_instance(name=f'crowd{index}')
        ready = client.wait_active(created['id'], timeout=240)
        address = ready['ip'][0]
        seen_addresses[address].add(created['id'])
        assert client.delete(f'/instances/{created["id"]}').status_code == \
            202
        client.wait_gone(created['id'], timeout=120)
        return created['id'], address

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(life, range(COUNT)))
    elapsed = time.monotonic() - started

    ids = [instance_id for instance_id, _ in results]
    assert len(set(ids)) == COUNT
    # No address was handed to two instances alive at the same time: the
    # pool hands a freed address out again only after its delete.
    rows = stack.query(
        'SELECT id, deleted FROM instances WHERE tenant_id = %s', 'crowd')
    assert {row[0] for row in rows} == set(ids)
    assert all(deleted for _, deleted in rows)
    assert [s for s in stack.servers() if s['instance_id'] in ids] == []
    leftover_volumes = stack.query(
        'SELECT volume_id FROM instances WHERE tenant_id = %s', 'crowd')
    assert not {v for (v,) in leftover_volumes} & set(stack.volumes())
    guest_queues = {q for q in set(stack.queues()) - queues_before
                    if any(i in q for i in ids)}
    assert guest_queues == set()
    assert api.get('/instances').json()['instances'] == []
    print(f'{COUNT} instances created and deleted in {elapsed:.1f}s')


def test_addresses_are_unique_among_live_instances(stack):
    api = stack.api('unique')
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        created = list(pool.map(lambda i: api.create_instance(
            name=f'u{i}'), range(6)))
        ready = list(pool.map(lambda i: api.wait_active(i['id'],
                                                        timeout=180),
                              created))
    addresses = [instance['ip'][0] for instance in ready]
    assert len(set(addresses)) == len(addresses)
    records = [s for s in stack.servers()
               if s['instance_id'] in {i['id'] for i in created}]
    assert sorted(r['address'] for r in records) == sorted(addresses)
    for instance in created:
        api.delete(f'/instances/{instance["id"]}')
    for instance in created:
        api.wait_gone(instance['id'], timeout=120)
