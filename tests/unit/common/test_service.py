"""Forked service workers: a failure is logged and exits non-zero, and
the parent signals only workers it has not reaped."""

import logging
import signal

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
