"""A service's entry in the registry: written when it starts, refreshed
every ``service_report_interval`` seconds, marked stopped when it stops
cleanly. Peers read it to tell a live taskmanager from a gone one."""

import threading

from oslo_log import log as logging

from trove_lite import db
from trove_lite.conf import CONF
from trove_lite.db import retry
from trove_lite.db.repositories import services

LOG = logging.getLogger(__name__)


@retry.retry_once_on_disconnect
@retry.retry_on_deadlock
def _heartbeat(binary, host, topic, capacity):
    with db.transaction() as tx:
        services.heartbeat(tx, binary, host, topic, capacity)


class Registration:
    """The heartbeat of ``binary`` on ``host`` (serving ``topic``; a
    taskmanager's host runs ``capacity`` servers at most)."""

    def __init__(self, binary, topic, host=None, capacity=None):
        self.binary = binary
        self.topic = topic
        self.host = host or CONF.host
        self.capacity = capacity
        self._stopping = threading.Event()
        self._thread = None

    def beat(self):
        """One heartbeat; False (logged) when the database is away: the
        service keeps serving, and peers see it down once the outage
        outlasts ``service_down_time``."""
        try:
            _heartbeat(self.binary, self.host, self.topic, self.capacity)
        except Exception as error:
            if not retry.is_unavailable(error):
                raise
            LOG.warning('Service heartbeat not recorded: the database is '
                        'unavailable (%s)', error)
            return False
        return True

    def start(self):
        self.beat()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='service-heartbeat')
        self._thread.start()
        LOG.info('Registered %s on host %s', self.binary, self.host)

    def _run(self):
        while not self._stopping.wait(CONF.service_report_interval):
            try:
                self.beat()
            except Exception:
                LOG.exception('Service heartbeat failed')

    def stop(self):
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        try:
            with db.transaction() as tx:
                services.stopped(tx, self.binary, self.host)
        except Exception as error:
            LOG.warning('Could not record the stop of %s: %s', self.binary,
                        error)
