"""The guest's side of the status model: heartbeats through the conductor."""

import logging
import threading
import time

from trove_lite.common import context as trove_context
from trove_lite.guestagent import volume
from trove_lite.records.status import ServiceStatuses

LOG = logging.getLogger(__name__)


class StatusReporter:
    """Sends ``heartbeat`` casts; before prepare has completed only forced
    reports (begin and end of the install) go out, as in Trove.

    ``lock`` is held by whoever changes the datastore's state (a restart)
    and by the periodic report, so a status measured before a change can
    never be sent after it.
    """

    def __init__(self, instance_id, conductor):
        self.instance_id = instance_id
        self.conductor = conductor
        self.is_installed = False
        self.status = ServiceStatuses.NEW
        self.lock = threading.RLock()

    def set_status(self, status, force=False, volume_stats=None,
                   extra=None):
        """Report ``status`` and, when measured, the volume's usage
        (``volume_stats``, see volume.filesystem_stats) and the
        datastore's ``extra`` values (a replica's ``replication_lag``);
        returns the report's ``sent`` stamp (None when nothing was
        sent)."""
        if not (force or self.is_installed):
            LOG.debug('Prepare has not completed; no heartbeat sent')
            return None
        payload = {'service_status': status.description}
        if volume_stats is not None:
            payload['volume'] = volume.usage(volume_stats)
        payload.update(extra or {})
        sent = time.time()
        self.conductor.heartbeat(
            trove_context.get_admin_context(), self.instance_id, payload,
            sent=sent)
        self.status = status
        return sent

    def begin_install(self):
        self.set_status(ServiceStatuses.BUILDING, force=True)

    def end_install(self, error_occurred=False, volume_stats=None):
        if error_occurred:
            self.set_status(ServiceStatuses.FAILED, force=True)
            return
        self.is_installed = True
        self.set_status(ServiceStatuses.HEALTHY, volume_stats=volume_stats)
