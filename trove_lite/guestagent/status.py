"""The guest's side of the status model: heartbeats through the conductor."""

import logging
import time

from trove_lite.common import context as trove_context
from trove_lite.conductor import rpcapi as conductor_rpcapi
from trove_lite.instance.status import ServiceStatuses

LOG = logging.getLogger(__name__)


class StatusReporter:
    """Sends ``heartbeat`` casts; before prepare has completed only forced
    reports (begin and end of the install) go out, as in Trove."""

    def __init__(self, instance_id, conductor=None):
        self.instance_id = instance_id
        self.conductor = conductor or conductor_rpcapi.API()
        self.is_installed = False
        self.status = ServiceStatuses.NEW

    def set_status(self, status, force=False):
        if not (force or self.is_installed):
            LOG.debug('Prepare has not completed; no heartbeat sent')
            return
        self.conductor.heartbeat(
            trove_context.get_admin_context(), self.instance_id,
            {'service_status': status.description}, sent=time.time())
        self.status = status

    def begin_install(self):
        self.set_status(ServiceStatuses.BUILDING, force=True)

    def end_install(self, error_occurred=False):
        if error_occurred:
            self.set_status(ServiceStatuses.FAILED, force=True)
            return
        self.is_installed = True
        self.set_status(ServiceStatuses.HEALTHY)
