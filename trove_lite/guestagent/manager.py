"""The guest agent's RPC endpoint, common to every datastore.

A datastore manager subclass supplies the datastore work (``do_prepare``,
``datastore_status``); this class runs the protocol around it: status
reports, notifications, the prepare-completed marker that lets a rebooted
guest resume.
"""

import logging
import os
import threading
import traceback

import oslo_messaging as messaging

from trove_lite.conductor import rpcapi as conductor_rpcapi
from trove_lite.guestagent import status as guest_status

LOG = logging.getLogger(__name__)

PREPARE_MARKER = 'prepare-completed'


class Manager:
    """Endpoint for topic ``guestagent.<instance_id>``."""

    target = messaging.Target(version='1.0')

    def __init__(self, instance_id, sandbox_path, conductor=None):
        self.instance_id = instance_id
        self.sandbox_path = sandbox_path
        self.conductor = conductor or conductor_rpcapi.API()
        self.status = guest_status.StatusReporter(instance_id,
                                                  self.conductor)
        self._prepare_lock = threading.Lock()
        self._boot_thread = None
        self._boot_error = None

    @property
    def prepare_marker(self):
        return os.path.join(self.sandbox_path, PREPARE_MARKER)

    def boot(self):
        """At agent start, in the background: start the datastore the way a
        VM's init would, so it is up by the time ``prepare`` arrives; a
        guest that was already prepared resumes its heartbeats."""
        self._boot_thread = threading.Thread(target=self._boot,
                                             name='boot', daemon=True)
        self._boot_thread.start()

    def _boot(self):
        try:
            if os.path.exists(self.prepare_marker):
                self.start_datastore()
                self.status.is_installed = True
                self.report_status()
                LOG.info('Resumed an already prepared datastore')
            else:
                self.preboot_datastore()
        except Exception as error:
            LOG.exception('The datastore did not start')
            self._boot_error = error

    def wait_for_boot(self):
        if self._boot_thread is not None:
            self._boot_thread.join()
        if self._boot_error is not None:
            raise self._boot_error

    def prepare(self, context, request):
        """Set up the datastore of a new instance (cast by the
        taskmanager; the outcome comes back as a heartbeat)."""
        with self._prepare_lock:
            if self.status.is_installed:
                LOG.warning('Prepare received twice; ignoring the second')
                return
            LOG.info('Preparing the datastore: %r', request)
            self.status.begin_install()
            try:
                self.wait_for_boot()
                self.do_prepare(context, request)
            except Exception as error:
                LOG.exception('Prepare failed')
                self.status.end_install(error_occurred=True)
                self.conductor.notify_exc_info(
                    context, self.instance_id, 'create', str(error),
                    traceback.format_exception(error))
                return
            with open(self.prepare_marker, 'w'):
                pass
            self.status.end_install()
            LOG.info('Prepare completed')

    def report_status(self):
        """Periodic heartbeat: the datastore's current status."""
        if self.status.is_installed:
            self.status.set_status(self.datastore_status())

    def shutdown(self):
        """The agent is stopping: stop the datastore cleanly."""
        self.stop_datastore()

    # Datastore-specific work, supplied by subclasses.

    def preboot_datastore(self):
        """Start the datastore with the image's defaults before prepare."""
        raise NotImplementedError

    def do_prepare(self, context, request):
        """Configure the started datastore for the instance."""
        raise NotImplementedError

    def datastore_status(self):
        raise NotImplementedError

    def start_datastore(self):
        raise NotImplementedError

    def stop_datastore(self):
        raise NotImplementedError
