"""Process start-up and the run loop shared by every RPC service."""

import os
import signal
import threading
import time

import oslo_messaging as messaging
from futurist import periodics
from oslo_log import log as logging

from trove_lite.common import config
from trove_lite.common import rpc
from trove_lite.conf import CONF
from trove_lite.conf import opts

LOG = logging.getLogger(__name__)


def prepare_service(argv, default_config_files=None):
    """Start-up of an RPC service (or the API): messaging defaults, then
    config and logging."""
    opts.set_defaults()
    config.parse_args(argv, default_config_files)


class RPCService:
    """An RPC server on one topic plus periodic tasks, until SIGTERM.
    A ``registration`` (service_registry.Registration) is started once
    the server serves and stopped when it has stopped."""

    def __init__(self, topic, endpoints, server=None, periodic_tasks=(),
                 on_start=None, on_stop=None, serializer=None,
                 registration=None, ack_after_dispatch=False):
        self.target = messaging.Target(topic=topic,
                                       server=server or CONF.host)
        self.endpoints = endpoints
        self.serializer = serializer
        self.periodic_tasks = list(periodic_tasks)
        self.on_start = on_start
        self.on_stop = on_stop
        self.registration = registration
        self.ack_after_dispatch = ack_after_dispatch
        # A plain flag, not a threading.Event: stop() is a signal handler,
        # and a second signal arriving inside Event.set() would wait
        # forever on the lock the first one holds.
        self._stop_requested = False

    def _periodic_worker(self):
        callables = []
        for spacing, task in self.periodic_tasks:
            @periodics.periodic(spacing=spacing, run_immediately=False)
            def run_task(task=task):
                try:
                    task()
                except Exception:
                    LOG.exception('Periodic task %s failed', task.__name__)
            callables.append((run_task, (), {}))
        return periodics.PeriodicWorker(callables)

    def stop(self, *_args):
        self._stop_requested = True

    def run(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        server = rpc.get_server(self.target, self.endpoints,
                                serializer=self.serializer,
                                ack_after_dispatch=self.ack_after_dispatch)
        server.start()
        LOG.info('Serving topic %s as %s', self.target.topic,
                 self.target.server)
        if self.registration is not None:
            self.registration.start()
        if self.on_start:
            self.on_start()
        worker = None
        if self.periodic_tasks:
            worker = self._periodic_worker()
            threading.Thread(target=worker.start, daemon=True,
                             name='periodic-tasks').start()
        while not self._stop_requested:
            time.sleep(0.2)
        LOG.info('Stopping')
        if worker is not None:
            worker.stop()
        server.stop()
        server.wait()
        if self.on_stop:
            self.on_stop()
        if self.registration is not None:
            self.registration.stop()
        rpc.cleanup()


def run_workers(count, make_service):
    """Run ``count`` copies of a service in forked worker processes that
    share its topic (the broker spreads the messages); the parent passes
    SIGTERM on and exits when they have. One worker runs in-process."""
    if count <= 1:
        make_service().run()
        return
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _run_worker(make_service)
            finally:
                # Never back into the parent's stack.
                os._exit(code)
        children.append(pid)

    def forward(signum, _frame):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in list(children):
        # Wait without reaping: a zombie keeps its pid, so it can leave
        # the signalled list before the pid is free for reuse. (Waits
        # retry by themselves after a signal: PEP 475.)
        try:
            os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass
        children.remove(child)
        try:
            os.waitpid(child, 0)
        except ChildProcessError:
            pass


def _run_worker(make_service):
    """The life of a forked worker; its exit status: 1 (logged) when
    the service fails, even at start-up."""
    try:
        make_service().run()
    except Exception:
        LOG.exception('Worker %d failed', os.getpid())
        return 1
    return 0
