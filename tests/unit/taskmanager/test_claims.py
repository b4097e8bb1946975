"""The per-instance claim (taskmanager/claims.py): exclusive in a process
and between taskmanagers, with a lease on the owner's heartbeat."""

import datetime
import threading
import time

import pytest

from trove_lite import db
from trove_lite.db import coordination_models
from trove_lite.db import models
from trove_lite.db.repositories import claims as claim_rows
from trove_lite.db.repositories import services
from trove_lite.taskmanager import claims


@pytest.fixture(autouse=True)
def schema(database, conf):
    conf.config(host='me', taskmanager_lease_timeout=30)


def heartbeat(host, age=0, stopped=False):
    """Register ``host``'s taskmanager with a heartbeat ``age`` seconds
    old (stopped cleanly if ``stopped``)."""
    with db.transaction() as tx:
        services.heartbeat(tx, claim_rows.TASKMANAGER, host, 'taskmanager')
        table = coordination_models.Service.__table__
        then = models.utcnow() - datetime.timedelta(seconds=age)
        tx.execute(table.update().where(table.c.host == host).values(
            updated_at=then, stopped_at=then if stopped else None))


def rows():
    return db.read(claim_rows.all_claims)


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


def test_a_claim_is_a_row_naming_its_host_while_held():
    held = claims.Claims()
    with held.acquire('i', 'create'):
        assert rows() == [('i', 'me', 'create')]
    assert rows() == []


def test_a_live_peers_claim_is_left_to_it():
    heartbeat('peer')
    peer, mine = claims.Claims('peer'), claims.Claims()
    with peer.acquire('i', 'create'):
        assert mine.is_claimed('i')
        assert mine.lapsed() == []
        with pytest.raises(claims.ClaimHeld):
            mine.acquire('i', 'delete', wait=0.6).__enter__()
    assert not mine.is_claimed('i')


def test_a_waiter_gets_a_peers_claim_once_the_peer_releases_it():
    heartbeat('peer')
    peer, mine = claims.Claims('peer'), claims.Claims()
    first = peer.acquire('i', 'create')
    first.__enter__()
    threading.Timer(0.3, first.__exit__, (None, None, None)).start()
    began = time.monotonic()
    with mine.acquire('i', 'delete', wait=10) as claim:
        assert time.monotonic() - began >= 0.3
        assert claim.taken_from is None
        assert rows() == [('i', 'me', 'delete')]


@pytest.mark.parametrize('age, stopped', [(31, False), (0, True)],
                         ids=['lease lapsed', 'stopped'])
def test_a_claim_whose_owner_is_gone_is_taken_over(age, stopped):
    heartbeat('peer', age=age, stopped=stopped)
    peer, mine = claims.Claims('peer'), claims.Claims()
    peer.acquire('i', 'create').__enter__()  # and the peer dies
    assert not mine.is_claimed('i')
    assert mine.lapsed() == [('i', 'peer')]
    with mine.acquire('i', 'take over') as claim:
        assert claim.taken_from == 'peer'
        assert rows() == [('i', 'me', 'take over')]
        assert mine.lapsed() == []
    # The dead owner's late release does not drop the new owner's claim.
    with mine.acquire('i', 'delete'):
        peer._release('i')
        assert rows() == [('i', 'me', 'delete')]


def test_an_unregistered_owners_claim_has_no_lease():
    claims.Claims('ghost').acquire('i', 'create').__enter__()
    assert claims.Claims().lapsed() == [('i', 'ghost')]


def test_this_hosts_claim_from_its_previous_process_is_taken_back():
    heartbeat('me')
    claims.Claims().acquire('i', 'create').__enter__()  # then a restart
    restarted = claims.Claims()
    assert restarted.lapsed() == [('i', 'me')]
    assert not restarted.is_claimed('i')
    with restarted.acquire('i', 'take over') as claim:
        assert claim.taken_from == 'me'
        assert restarted.lapsed() == []
