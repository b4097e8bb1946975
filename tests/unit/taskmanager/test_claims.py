"""The per-instance claim (taskmanager/claims.py)."""

import threading
import time

import pytest

from trove_lite.taskmanager import claims


def test_a_claim_is_exclusive_and_released_when_its_block_ends():
    held = claims.Claims()
    with held.acquire('i', 'create'):
        assert held.is_claimed('i')
        with pytest.raises(claims.ClaimHeld, match='delete of i'):
            with held.acquire('i', 'delete'):
                pytest.fail('a held claim was taken twice')
        with held.acquire('other', 'create'):
            assert held.is_claimed('other')
    assert not held.is_claimed('i')
    assert not held.is_claimed('other')


def test_a_claim_is_released_when_its_block_raises():
    held = claims.Claims()
    with pytest.raises(RuntimeError):
        with held.acquire('i', 'create'):
            raise RuntimeError('boom')
    assert not held.is_claimed('i')


def test_a_waiter_gets_the_claim_when_it_is_released():
    held = claims.Claims()
    got = []

    def waiter():
        with held.acquire('i', 'delete', wait=5):
            got.append(time.monotonic())

    first = held.acquire('i', 'create')
    first.__enter__()
    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.1)
    assert got == []
    released = time.monotonic()
    first.__exit__(None, None, None)
    thread.join(5)
    assert len(got) == 1 and got[0] >= released


def test_a_waiter_gives_up_after_its_wait():
    held = claims.Claims()
    with held.acquire('i', 'create'):
        began = time.monotonic()
        with pytest.raises(claims.ClaimHeld) as busy:
            held.acquire('i', 'delete', wait=0.2).__enter__()
        assert time.monotonic() - began >= 0.2
    assert busy.value.instance_id == 'i' and busy.value.purpose == 'delete'


def test_work_continued_in_a_thread_holds_the_claim_until_it_ends():
    held = claims.Claims()
    go_on = threading.Event()
    with held.acquire('i', 'reconcile') as claim:
        claim.continue_in_thread(go_on.wait, 5)
    assert held.is_claimed('i')
    go_on.set()
    deadline = time.monotonic() + 5
    while held.is_claimed('i') and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not held.is_claimed('i')


def test_a_continuation_that_raises_still_releases_the_claim():
    held = claims.Claims()

    def fails():
        raise RuntimeError('boom')

    with held.acquire('i', 'reconcile') as claim:
        claim.continue_in_thread(fails)
    deadline = time.monotonic() + 5
    while held.is_claimed('i') and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not held.is_claimed('i')


def test_a_continuation_is_not_started_when_the_block_raises():
    held = claims.Claims()
    ran = []
    with pytest.raises(RuntimeError):
        with held.acquire('i', 'reconcile') as claim:
            claim.continue_in_thread(ran.append, 1)
            raise RuntimeError('boom')
    time.sleep(0.05)
    assert ran == [] and not held.is_claimed('i')
