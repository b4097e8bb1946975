"""Group commit: what many threads submit is applied in batches, each
submitter gets its own item's result once its batch is written."""

import threading
import time

import pytest

from trove_lite.common import batching


def test_waiters_get_their_own_results_from_shared_batches():
    batches = []
    release = threading.Event()

    def apply(items):
        batches.append(list(items))
        release.wait(5)  # the first batch is slow: the others queue up
        return [item * 10 for item in items]

    batcher = batching.Batcher(apply)
    results = {}

    def submit(item):
        results[item] = batcher.submit(item)

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    while not batches:
        threading.Event().wait(0.01)
    others = [threading.Thread(target=submit, args=(item,))
              for item in range(1, 21)]
    for thread in others:
        thread.start()
    while batcher._queue.qsize() < 20:
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert results == {item: item * 10 for item in range(21)}
    assert batches[0] == [0]
    assert sorted(batches[1]) == list(range(1, 21))  # one batch


def test_a_failed_batch_fails_each_of_its_waiters_and_the_next_works():
    calls = []

    def apply(items):
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError('database gone')
        return items

    batcher = batching.Batcher(apply)
    with pytest.raises(RuntimeError, match='database gone'):
        batcher.submit('a')
    assert batcher.submit('b') == 'b'


def test_a_wrong_number_of_results_is_an_error_not_a_hang():
    batcher = batching.Batcher(lambda items: [])
    with pytest.raises(ValueError):
        batcher.submit('a')


def test_batches_are_bounded():
    sizes = []
    gate = threading.Event()

    def apply(items):
        sizes.append(len(items))
        gate.wait(5)
        return items

    batcher = batching.Batcher(apply, max_batch=3)
    threads = [threading.Thread(target=batcher.submit, args=(item,))
               for item in range(10)]
    for thread in threads:
        thread.start()
    while batcher._queue.qsize() + sum(sizes) < 10:
        threading.Event().wait(0.01)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert max(sizes) <= 3 and sum(sizes) == 10


def test_a_quiet_batcher_writes_each_item_at_once():
    batcher = batching.Batcher(lambda items: items, linger=5.0)
    started = time.monotonic()
    for item in range(3):
        assert batcher.submit(item) == item
    assert time.monotonic() - started < 1.0


def test_under_load_a_batch_lingers_for_what_comes_next():
    """Items that come one by one, a little apart, while the batches are
    busy: without the linger each would be a batch of its own."""
    batches = []

    def apply(items):
        batches.append(list(items))
        return items

    batcher = batching.Batcher(apply, linger=2.0)
    busy = [threading.Thread(target=batcher.submit, args=(item,))
            for item in ('a', 'b')]
    batcher._busy = True  # as after a batch of more than one
    for thread in busy:
        thread.start()
        time.sleep(0.05)  # within a tenth of the linger: still waited for
    for thread in busy:
        thread.join(5)
    assert batches == [['a', 'b']]
