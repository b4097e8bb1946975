"""The guest agent's RPC endpoint, common to every datastore.

A datastore manager subclass supplies the datastore work (``do_prepare``,
``datastore_status``, its databases and users); this class runs the
protocol around it: status reports, notifications, the prepare-completed
marker that lets a rebooted guest resume, restarts, and the data volume.

The volume of a local-driver guest has a disk allowance instead of a
filesystem size. It is enforced here: once the volume's files occupy the
whole allowance, the datastore refuses writes (as it would on a full
disk) until space is freed or the volume grows; the check runs with every
status report and after every resize.
"""

import logging
import os
import threading
import traceback

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.guestagent import durable
from trove_lite.guestagent import status as guest_status
from trove_lite.guestagent import volume
from trove_lite.records.status import DATASTORE_RUNNING

LOG = logging.getLogger(__name__)

PREPARE_MARKER = 'prepare-completed'


class Manager:
    """Endpoint for topic ``guestagent.<instance_id>``."""

    #: The version of the RPC API it serves (rpcapi.guestagent).
    RPC_API_VERSION = '1.0'

    def __init__(self, instance_id, sandbox_path, conductor):
        """``conductor``: where reports go (rpcapi.conductor.API)."""
        self.instance_id = instance_id
        self.sandbox_path = sandbox_path
        self.conductor = conductor
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
            durable.write_private(self.prepare_marker, '')
            # The report that makes the instance ACTIVE shows its usage.
            self.status.end_install(volume_stats=self.measured_volume())
            LOG.info('Prepare completed')

    def report_status(self):
        """Periodic heartbeat: the datastore's current status and the
        volume's usage (what a show displays: the API never asks)."""
        with self.status.lock:
            if not self.status.is_installed:
                return
            status = self.datastore_status()
            stats = self.measured_volume()
            if status in DATASTORE_RUNNING and stats is not None:
                try:
                    self.enforce_disk_allowance(stats)
                except Exception:
                    # The heartbeat still goes out; the next one retries.
                    LOG.exception('Could not enforce the disk allowance')
            self.status.set_status(status, volume_stats=stats,
                                   extra=self.status_extras())

    def rpc_ping(self, context):
        """Answer at once: the agent is alive and consuming its queue."""
        return True

    def restart(self, context):
        """Restart the datastore (a call from the taskmanager). Returns the
        ``sent`` stamp of the heartbeat that reports the status afterwards,
        so the caller can wait until the conductor has applied it."""
        with self.status.lock:
            LOG.info('Restarting the datastore')
            stats = None
            try:
                self.stop_datastore()
                self.start_datastore()
                stats = self.volume_stats()
                self.enforce_disk_allowance(stats)
            finally:
                sent = self.status.set_status(self.datastore_status(),
                                              force=True,
                                              volume_stats=stats)
            LOG.info('The datastore restarted')
            return sent

    def apply_flavor(self, context, memory_mb):
        """The instance's flavor changed: size the datastore for
        ``memory_mb`` of RAM, now and for every later start."""
        LOG.info('Applying a flavor with %s MB of RAM', memory_mb)
        self.resize_memory(memory_mb)

    def get_filesystem_stats(self, context, fs_path=None):
        """Used and total space of the data volume (``fs_path`` is ignored
        as in Trove: the volume is always the datastore's)."""
        return self.volume_stats()

    @staticmethod
    def volume_stats():
        """The data volume's size and usage (volume.filesystem_stats)."""
        return volume.filesystem_stats(CONF.guest_agent.mount_point,
                                       CONF.guest_agent.disk_allowance_gb)

    def measured_volume(self):
        """volume_stats for a report, or None when the volume cannot be
        measured (the report goes out without usage)."""
        try:
            return self.volume_stats()
        except OSError:
            LOG.exception('Could not measure the volume')
            return None

    def resize_fs(self, context, device_path=None, mount_point=None,
                  online=True):
        """The volume grew. A local volume's new size is its new disk
        allowance, which the driver wrote into this guest's config; a
        block device's filesystem is grown to the device's new size. The
        arguments are Trove's; a guest grows only its own volume, the one
        mounted at its configured mount point."""
        CONF.reload_config_files()
        if not CONF.guest_agent.disk_allowance_gb:
            mount_point = CONF.guest_agent.mount_point
            try:
                volume.grow_filesystem(mount_point)
            except (OSError, ValueError) as error:
                raise exceptions.DatastoreOperationError(
                    reason=f'growing the filesystem at {mount_point} '
                           f'failed: {error}') from error
            LOG.info('The filesystem at %s now has %s GB', mount_point,
                     volume.filesystem_stats(mount_point)['total'])
            return
        LOG.info('The volume now has %s GB',
                 CONF.guest_agent.disk_allowance_gb)
        with self.status.lock:
            self.enforce_disk_allowance()

    def enforce_disk_allowance(self, stats=None):
        """Refuse writes while the volume has used up its allowance, and
        accept them again once it has not (``stats``: volume_stats just
        measured)."""
        if CONF.guest_agent.disk_allowance_gb:
            self.refuse_writes(volume.is_full(stats or self.volume_stats()))

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

    def resize_memory(self, memory_mb):
        """Size the running datastore for ``memory_mb`` of RAM, and keep
        that for every later start."""
        raise NotImplementedError

    def status_extras(self):
        """What the datastore adds to a heartbeat (a dict)."""
        return {}

    def refuse_writes(self, refuse):
        """Make the datastore refuse (or accept again) tenants' writes;
        must be cheap when nothing changes."""
        raise NotImplementedError
