"""Forked service workers: a failure is logged and exits non-zero, and
the parent signals only workers it has not reaped."""

import logging
import signal
import sys
import threading

from trove_lite.common import service


class Service:
    def __init__(self, error=None):
        self.error = error

    def run(self):
        if self.error is not None:
            raise self.error


def test_a_worker_that_fails_to_start_logs_it_and_exits_1(caplog):
    def make_service():
        raise RuntimeError('no broker')

    with caplog.at_level(logging.ERROR):
        assert service._run_worker(make_service) == 1
    assert 'no broker' in caplog.text
    assert service._run_worker(lambda: Service(ValueError('x'))) == 1


def test_a_worker_that_ends_exits_0():
    assert service._run_worker(Service) == 0


def test_reaped_workers_are_signalled_no_more(monkeypatch):
    handlers = {}
    monkeypatch.setattr(service.signal, 'signal',
                        lambda signum, handler: handlers.update(
                            {signum: handler}))
    service.run_workers(2, Service)
    killed = []
    monkeypatch.setattr(service.os, 'kill',
                        lambda pid, signum: killed.append(pid))
    handlers[signal.SIGTERM](signal.SIGTERM, None)
    assert killed == []


def test_a_signal_arriving_while_stop_runs_does_not_hang_it():
    """A signal handler runs between any two lines of what it interrupts,
    its own earlier call included (SIGTERM twice): stop() must take no
    lock that such a nested call would wait on for ever."""
    rpc_service = service.RPCService('topic', [])
    nested = []

    def interrupt(frame, event, arg):
        if event == 'line' and not nested:
            nested.append(True)
            rpc_service.stop()  # the second signal
            nested.pop()
        return interrupt

    def first_signal():
        sys.settrace(interrupt)
        try:
            rpc_service.stop()
        finally:
            sys.settrace(None)

    stopping = threading.Thread(target=first_signal, daemon=True)
    stopping.start()
    stopping.join(5)
    assert not stopping.is_alive()
    assert rpc_service._stop_requested
