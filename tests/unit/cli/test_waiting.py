"""``--wait``: the progress line and when waiting ends (and how)."""

import io

import pytest

from trove_lite.cli import client as api_client
from trove_lite.cli import waiting


class Terminal(io.StringIO):
    def isatty(self):
        return True


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 100.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class ScriptedClient:
    """Answers GET /instances/{id} with the given states in turn (None:
    404), repeating the last."""

    def __init__(self, *states):
        self.states = list(states)
        self.paths = []

    def get(self, path, params=None):
        self.paths.append(path)
        state = self.states.pop(0) if len(self.states) > 1 else \
            self.states[0]
        if state is None:
            raise api_client.APIError('gone (HTTP 404)', 404)
        return {'instance': state}


def instance(status, operating_status='', **extra):
    return dict({'id': 'i-1', 'name': 'shop', 'status': status,
                 'operating_status': operating_status,
                 'flavor': {'id': '1'}, 'volume': {'size': 1}}, **extra)


ACTIVE = instance('ACTIVE', 'HEALTHY')


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(waiting, 'time', fake)
    return fake


def waiter(client, stream=None, timeout=60):
    return waiting.Waiter(client, stream or io.StringIO(), timeout)


def test_progress_prints_a_plain_line_per_change_when_not_a_tty():
    stream = io.StringIO()
    progress = waiting.Progress(stream, 'Instance shop')
    progress.update('BUILD', 0.0)
    progress.update('BUILD', 0.5)
    progress.update('ACTIVE', 1.0)
    progress.finish('ACTIVE HEALTHY', 1.5)
    assert stream.getvalue() == (
        'Instance shop: BUILD after 0.0s\n'
        'Instance shop: ACTIVE after 1.0s\n'
        'Instance shop: ACTIVE HEALTHY after 1.5s\n')


def test_progress_rewrites_one_line_with_a_spinner_on_a_tty():
    stream = Terminal()
    progress = waiting.Progress(stream, 'Instance shop')
    progress.update('BUILD', 0.0)
    progress.update('BUILD', 0.1)
    progress.finish('ACTIVE HEALTHY', 2.25)
    out = stream.getvalue()
    assert out.count('\n') == 1 and out.endswith('\n')
    frames = out.rstrip('\n').split('\r')[1:]
    assert frames[0] == '| Instance shop: BUILD (0.0s)'
    assert frames[1] == '/ Instance shop: BUILD (0.1s)'
    # The last frame covers the longer spinner frame before it.
    assert frames[2].rstrip() == 'Instance shop: ACTIVE HEALTHY after 2.2s'
    assert len(frames[2]) >= len(frames[1])


def test_wait_returns_the_ready_instance(clock):
    client = ScriptedClient(instance('BUILD'), instance('BUILD'), ACTIVE)
    stream = io.StringIO()
    result = waiter(client, stream).wait(ACTIVE, waiting.is_ready,
                                         'the build')
    assert result == ACTIVE
    assert client.paths == ['/instances/i-1'] * 3
    assert stream.getvalue().splitlines() == [
        'Instance shop: BUILD after 0.0s',
        'Instance shop: ACTIVE HEALTHY after 1.0s']


def test_wait_fails_with_the_fault_message_on_error(clock):
    failed = instance('ERROR', 'ERROR',
                      fault={'message': 'The guest did not report.'})
    client = ScriptedClient(instance('BUILD'), failed)
    with pytest.raises(waiting.WaitFailed) as caught:
        waiter(client).wait(ACTIVE, waiting.is_ready, 'the build')
    assert str(caught.value) == ('Instance shop went to ERROR during the '
                                 'build: The guest did not report.')


def test_wait_times_out_with_the_last_status(clock):
    client = ScriptedClient(instance('BUILD'))
    with pytest.raises(waiting.WaitFailed) as caught:
        waiter(client, timeout=5).wait(ACTIVE, waiting.is_ready,
                                       'the build')
    assert str(caught.value) == ('Timed out after 5s waiting for the build '
                                 'of instance shop (last status BUILD).')
    assert clock.now - 100.0 <= 5.5


def test_wait_for_deletion_ends_when_the_instance_is_gone(clock):
    client = ScriptedClient(instance('SHUTDOWN'), None)
    stream = io.StringIO()
    assert waiter(client, stream).wait(
        ACTIVE, lambda found: found is None, 'the deletion') is None
    assert stream.getvalue().splitlines()[-1].startswith(
        'Instance shop: DELETED after')


def test_instance_vanishing_while_waiting_to_be_ready_fails(clock):
    client = ScriptedClient(instance('BUILD'), None)
    with pytest.raises(waiting.WaitFailed, match='disappeared during the '
                                                 'build'):
        waiter(client).wait(ACTIVE, waiting.is_ready, 'the build')


def test_an_undone_resize_fails_instead_of_waiting_forever(clock):
    client = ScriptedClient(instance('RESIZE'), ACTIVE)
    with pytest.raises(waiting.WaitFailed) as caught:
        waiter(client).wait(
            ACTIVE, lambda found: waiting.is_ready(found) and
            found['flavor']['id'] == '2', 'the flavor resize')
    assert str(caught.value) == ('Instance shop is ACTIVE HEALTHY again '
                                 'but the flavor resize did not take '
                                 'effect.')


def test_spinner_turns_between_polls_on_a_tty(clock):
    client = ScriptedClient(instance('BUILD'), ACTIVE)
    stream = Terminal()
    waiter(client, stream).wait(ACTIVE, waiting.is_ready, 'the build')
    assert clock.slept == [waiting.SPINNER_TICK] * 5
    assert stream.getvalue().count('\r') == 7


def test_other_api_errors_end_the_wait(clock):
    class Broken:
        def get(self, path, params=None):
            raise api_client.APIError('Internal error (HTTP 500)', 500)
    with pytest.raises(api_client.APIError, match='HTTP 500'):
        waiter(Broken()).wait(ACTIVE, waiting.is_ready, 'the build')


@pytest.mark.parametrize('text', ['0', '-1', 'soon'])
def test_timeout_must_be_a_positive_number(text):
    with pytest.raises(Exception, match='seconds'):
        waiting.positive_seconds(text)


def test_waiting_for_deletion_goes_on_through_error(clock):
    failed = instance('ERROR', '', fault={'message': 'build failed'})
    client = ScriptedClient(failed, failed, None)
    assert waiter(client).wait(ACTIVE, lambda found: found is None,
                               'the deletion',
                               error_is_final=False) is None
