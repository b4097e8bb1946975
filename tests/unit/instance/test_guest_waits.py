"""API requests wait on a guest for at most ``api_guest_call_timeout``
and at most ``api_guest_calls_per_project`` of them, across every API
process, wait on one project's guests; the guest's own sessions give up
on a tenant's locks after ``sql_lock_wait_timeout``."""

import threading

import pytest

from tests.unit.rpcapi.test_guestagent import RecordingClient
from trove_lite.common import exceptions
from trove_lite.guestagent.datastore import mysql_sql
from trove_lite.instance import api as instance_api
from trove_lite.instance import guest_waits
from trove_lite.records.instance import Instance


@pytest.fixture
def limits(conf, database):
    conf.config(agent_call_low_timeout=15, agent_call_high_timeout=180,
                api_guest_call_timeout=8, api_guest_calls_per_project=2)


def record(tenant_id='p'):
    values = {field: None for field in Instance.__dataclass_fields__}
    values.update(id='inst-1', tenant_id=tenant_id)
    return Instance(**values)


def test_a_request_never_waits_longer_than_the_api_timeout(limits):
    guest = instance_api.guest(record())
    guest._client = RecordingClient(reply={'name': 'root'})
    guest.enable_root(None)  # agent_call_high_timeout: 180 s
    guest.is_root_enabled(None)  # agent_call_low_timeout: 15 s
    assert [timeout for _, _, timeout, _ in guest._client.sent] == [8, 8]


def test_a_shorter_usual_timeout_stays(conf, limits):
    conf.config(agent_call_low_timeout=3)
    guest = instance_api.guest(record())
    guest._client = RecordingClient(reply=True)
    guest.is_root_enabled(None)
    assert guest._client.sent[0][2] == 3


def test_the_taskmanager_keeps_its_long_timeouts(limits):
    from trove_lite.rpcapi import guestagent as rpcapi
    guest = rpcapi.API('inst-1', None)
    guest._client = RecordingClient(reply={'name': 'root'})
    guest.enable_root(None)
    assert guest._client.sent[0][2] == 180


def test_past_the_cap_a_project_is_refused_before_anything_is_sent(limits):
    waits = guest_waits.ProjectWaits()
    with waits.hold('p'), waits.hold('p'):
        with pytest.raises(exceptions.GuestsBusy) as refused:
            with waits.hold('p'):
                pass
        # Another project is not held up by it.
        with waits.hold('q'):
            assert waits.waiting('q') == 1
    assert refused.value.code == 413
    assert refused.value.fault_name == 'overLimit'
    assert refused.value.response_headers() == {'Retry-After': '8'}
    assert waits.waiting('p') == 0
    with waits.hold('p'):
        assert waits.waiting('p') == 1


def test_the_cap_holds_across_api_processes(limits):
    """Two processes' counters are two ProjectWaits over one database."""
    first_worker, second_worker = (guest_waits.ProjectWaits(),
                                   guest_waits.ProjectWaits())
    with first_worker.hold('p'), second_worker.hold('p'):
        for worker in (first_worker, second_worker):
            with pytest.raises(exceptions.GuestsBusy):
                with worker.hold('p'):
                    pass
        assert first_worker.waiting('p') == second_worker.waiting('p') == 2
    assert first_worker.waiting('p') == 0


def test_a_place_a_dead_worker_never_gave_back_frees_itself(limits):
    from trove_lite import db
    from trove_lite.db.repositories import guest_call_slots
    with db.transaction() as tx:
        # Two places taken by a worker that then died: their leases run
        # out (here at once).
        for holder in ('dead-1', 'dead-2'):
            assert guest_call_slots.take(tx, 'p', 2, holder, hold_for=-1)
    waits = guest_waits.ProjectWaits()
    with waits.hold('p'), waits.hold('p'):
        assert waits.waiting('p') == 2


def test_calls_blocked_on_a_guest_hold_their_places_until_they_end(
        limits, monkeypatch):
    waits = guest_waits.ProjectWaits()
    monkeypatch.setattr(guest_waits, '_WAITS', waits)
    release = threading.Event()
    entered = threading.Semaphore(0)

    class BlockedClient(RecordingClient):
        def call(self, context, method, **kwargs):
            entered.release()
            release.wait(10)
            return True

    def call():
        guest = instance_api.guest(record())
        guest._client = BlockedClient()
        guest.is_root_enabled(None)

    threads = [threading.Thread(target=call) for _ in range(2)]
    # One after the other: the in-process SQLite of unit tests does not
    # lock rows as MariaDB does, so two takes must not race here.
    for thread in threads:
        thread.start()
        assert entered.acquire(timeout=10)
    third = instance_api.guest(record())
    third._client = RecordingClient(reply=True)
    with pytest.raises(exceptions.GuestsBusy):
        third.is_root_enabled(None)
    assert third._client.sent == []
    other = instance_api.guest(record('q'))
    other._client = RecordingClient(reply=True)
    assert other.is_root_enabled(None) is True
    release.set()
    for thread in threads:
        thread.join()
    assert waits.waiting('p') == 0


def test_a_failing_call_gives_its_place_back(limits, monkeypatch):
    waits = guest_waits.ProjectWaits()
    monkeypatch.setattr(guest_waits, '_WAITS', waits)
    guest = instance_api.guest(record())
    guest._client = RecordingClient(error=RuntimeError('broker gone'))
    for _ in range(3):
        with pytest.raises(RuntimeError):
            guest.is_root_enabled(None)
    assert waits.waiting('p') == 0


def test_guest_sessions_bound_their_lock_waits():
    assert mysql_sql.session_lock_wait(5) == (
        'SET SESSION lock_wait_timeout = 5, innodb_lock_wait_timeout = 5')
    with pytest.raises(ValueError):
        mysql_sql.session_lock_wait('5; DROP DATABASE x')


def test_every_agent_connection_has_read_and_lock_timeouts(
        conf, tmp_path, monkeypatch):
    from trove_lite.guestagent.datastore import mysql_server
    conf.config(sql_read_timeout=12, sql_lock_wait_timeout=4,
                group='guest_agent')
    opened = []
    monkeypatch.setattr(mysql_server.pymysql, 'connect',
                        lambda **kwargs: opened.append(kwargs))
    server = mysql_server.MariaDBServer(str(tmp_path), str(tmp_path / 'data'),
                                 '127.0.0.1', 3306, '/usr/sbin/mariadbd')
    server.connect()
    assert opened[0]['read_timeout'] == 12
    assert opened[0]['write_timeout'] == 12
    assert opened[0]['init_command'] == mysql_sql.session_lock_wait(4)
