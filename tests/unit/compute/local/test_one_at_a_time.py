"""The local driver deletes a server once at a time: a delete request and
the reaper meeting on one server wait for each other."""

import threading
import time

from trove_lite.compute.local import driver


def test_one_holder_per_key_and_other_keys_go_on():
    locks = driver._OneAtATime()
    inside = []
    overlaps = []

    def hold(key):
        with locks.of(key):
            if key in inside:
                overlaps.append(key)
            inside.append(key)
            time.sleep(0.05)
            inside.remove(key)

    threads = [threading.Thread(target=hold, args=(key,))
               for key in ('a', 'a', 'a', 'b')]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    # The three holders of 'a' took turns; 'b' did not wait for them.
    assert time.monotonic() - started >= 0.15
    assert locks._locks == {}


def test_a_holder_that_raises_lets_the_next_in():
    locks = driver._OneAtATime()
    try:
        with locks.of('a'):
            raise RuntimeError('boom')
    except RuntimeError:
        pass
    with locks.of('a'):
        assert list(locks._locks) == ['a']
    assert locks._locks == {}
