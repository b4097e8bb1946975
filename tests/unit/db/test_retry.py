"""What a database error means to its caller, and trying again."""

import pymysql
import pytest
import sqlalchemy as sa

from trove_lite.db import retry


def operational(invalidated=False):
    return sa.exc.OperationalError('SELECT 1', {}, Exception('gone'),
                                   connection_invalidated=invalidated)


def failing(errors):
    """A function that raises ``errors`` one per call, then returns."""
    calls = []

    def function():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return len(calls)
    return function, calls


def test_unreachable_is_told_from_a_bad_statement():
    assert retry.is_unavailable(operational())
    assert retry.is_unavailable(sa.exc.TimeoutError())
    assert not retry.is_unavailable(
        sa.exc.IntegrityError('INSERT', {}, Exception('duplicate')))
    assert not retry.is_unavailable(ValueError())


def test_a_write_waits_out_a_short_outage(conf):
    conf.config(max_retries=2, retry_interval=0, group='database')
    function, calls = failing([operational(), operational()])
    assert retry.retry_on_unavailable(function)() == 3


def test_a_write_gives_up_after_max_retries(conf):
    conf.config(max_retries=1, retry_interval=0, group='database')
    function, calls = failing([operational(), operational()])
    with pytest.raises(sa.exc.OperationalError):
        retry.retry_on_unavailable(function)()
    assert len(calls) == 2


def test_a_bad_statement_is_not_retried(conf):
    conf.config(max_retries=5, retry_interval=0, group='database')
    function, calls = failing([sa.exc.IntegrityError('', {}, Exception())])
    with pytest.raises(sa.exc.IntegrityError):
        retry.retry_on_unavailable(function)()
    assert len(calls) == 1


def test_a_dropped_connection_is_retried_once():
    function, calls = failing([operational(invalidated=True)])
    assert retry.retry_once_on_disconnect(function)() == 2
    function, calls = failing([operational(invalidated=True)] * 2)
    with pytest.raises(sa.exc.OperationalError):
        retry.retry_once_on_disconnect(function)()
    function, calls = failing([operational()])
    with pytest.raises(sa.exc.OperationalError):
        retry.retry_once_on_disconnect(function)()
    assert len(calls) == 1


def _deadlock():
    return sa.exc.OperationalError(
        'UPDATE', {}, pymysql.err.OperationalError(
            1213, 'Deadlock found when trying to get lock'))


def test_a_deadlock_victim_runs_again():
    calls = []

    @retry.retry_on_deadlock
    def write():
        calls.append(1)
        if len(calls) < 3:
            raise _deadlock()
        return 'written'

    assert write() == 'written'
    assert len(calls) == 3


def test_deadlocks_give_up_after_a_few_attempts_and_other_errors_at_once():
    calls = []

    @retry.retry_on_deadlock
    def always_deadlocked():
        calls.append(1)
        raise _deadlock()

    with pytest.raises(sa.exc.OperationalError):
        always_deadlocked()
    assert len(calls) == retry._DEADLOCK_ATTEMPTS == 10

    @retry.retry_on_deadlock
    def unavailable():
        calls.append(2)
        raise sa.exc.OperationalError(
            'SELECT', {}, pymysql.err.OperationalError(2003, 'no route'))

    with pytest.raises(sa.exc.OperationalError):
        unavailable()
    assert calls.count(2) == 1
