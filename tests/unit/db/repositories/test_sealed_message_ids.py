"""The control plane's accepted envelope ids, remembered in batches: each
id is decided as if they had been remembered one at a time."""

import threading

from trove_lite.common import seen_ids
from trove_lite.db import engine
from trove_lite.db.repositories import sealed_message_ids


def remember_batch(items):
    with engine.transaction() as tx:
        return sealed_message_ids._remember_batch(tx, items)


def test_a_batch_decides_each_id_in_arrival_order(database):
    now = 1000.0
    assert remember_batch([('i-1', 'a', now + 60, now, 10)]) == [None]
    assert remember_batch([
        ('i-1', 'a', now + 60, now, 10),   # accepted before
        ('i-1', 'b', now + 60, now, 10),
        ('i-1', 'b', now + 60, now, 10),   # twice in one batch
        ('i-2', 'a', now + 60, now, 2),    # another instance's id a
        ('i-2', 'c', now + 60, now, 2),
        ('i-2', 'd', now + 60, now, 2),    # over its limit
    ]) == [seen_ids.REPLAYED, None, seen_ids.REPLAYED, None, None,
           seen_ids.TOO_MANY]


def test_ids_past_their_time_do_not_count_against_the_limit(database):
    assert remember_batch([('i-1', 'old', 50.0, 0.0, 1)]) == [None]
    assert remember_batch([('i-1', 'new', 200.0, 100.0, 1)]) == [None]


def test_an_id_taken_meanwhile_falls_back_to_one_at_a_time(
        database, monkeypatch):
    store = sealed_message_ids.DatabaseSeenIds()
    # Another worker took 'b' after this batch read the known ids.
    assert remember_batch([('i-1', 'b', 60.0, 0.0, 10)]) == [None]

    def raced(tx, items):
        raise sealed_message_ids._Raced()

    monkeypatch.setattr(sealed_message_ids, '_remember_batch', raced)
    assert store._remember_all([('i-1', 'a', 60.0, 0.0, 10),
                                ('i-1', 'b', 60.0, 0.0, 10)]) == [
        None, seen_ids.REPLAYED]


def test_concurrent_rememberers_accept_an_id_once(database):
    store = sealed_message_ids.DatabaseSeenIds()
    answers = []

    def remember(number):
        answers.append(store.remember('i-1', f'id-{number % 10}', 60.0,
                                      0.0, 1000))

    threads = [threading.Thread(target=remember, args=(n,))
               for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers.count(None) == 10
    assert answers.count(seen_ids.REPLAYED) == 30
