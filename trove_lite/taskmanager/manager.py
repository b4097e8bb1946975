"""The taskmanager: long work on instances, one workflow per request."""

import logging

import oslo_messaging as messaging

from trove_lite.common import context as trove_context
from trove_lite.common import notifications
from trove_lite.compute import base as compute_base
from trove_lite.conf import CONF
from trove_lite.db import api as db_api
from trove_lite.instance.status import InstanceTasks
from trove_lite.taskmanager import waiters as guest_waiters
from trove_lite.taskmanager import workflows

LOG = logging.getLogger(__name__)

PUBLISHER = 'taskmanager'


def usage_timeout(spec):
    """How long a new guest of this datastore may take to get healthy:
    the datastore's own ``usage_timeout``, else the DEFAULT one."""
    group = getattr(CONF, spec.datastore_manager, None)
    return getattr(group, 'usage_timeout', None) or CONF.usage_timeout


class Manager:
    """Endpoint for topic ``taskmanager_queue``."""

    target = messaging.Target(version='1.0')

    def __init__(self, driver=None):
        self.driver = driver or compute_base.load_driver(
            CONF.compute_driver)
        self.waiters = guest_waiters.GuestStatusWaiters()

    def create_instance(self, context, spec):
        """Build the instance described by an InstanceSpec."""
        instance = db_api.instance_row(spec.instance_id)
        if instance is None or instance.task_id != \
                InstanceTasks.BUILDING.code:
            LOG.warning('Create of %s skipped: the instance is gone or no '
                        'longer building', spec.instance_id)
            return
        self._build(context, spec, instance, usage_timeout(spec))

    def _build(self, context, spec, instance, timeout):
        flow = workflows.CreateInstanceFlow(context, spec, self.driver,
                                            self.waiters, timeout)
        try:
            flow.run()
        except workflows.BuildFailed as failure:
            db_api.fault_add(spec.instance_id, failure.message,
                             task=failure.task)
            notifications.notify(
                context, PUBLISHER, 'create', 'error',
                notifications.instance_payload(
                    db_api.instance_row(spec.instance_id),
                    message=failure.message))
            return
        db_api.instance_update(spec.instance_id, task=InstanceTasks.NONE)
        LOG.info('Instance %s is ready', spec.instance_id)
        notifications.notify(
            context, PUBLISHER, 'create', 'end',
            notifications.instance_payload(
                db_api.instance_row(spec.instance_id)))

    def delete_instance(self, context, instance_id):
        """Remove the instance's server, volume and queues, then its
        rows (soft delete)."""
        instance = db_api.instance_row(instance_id)
        if instance is None:
            LOG.info('Delete of %s: already gone', instance_id)
            return
        payload = notifications.instance_payload(instance)
        try:
            workflows.delete_instance_resources(self.driver, instance)
        except Exception as error:
            LOG.exception('Delete of %s failed', instance_id)
            db_api.fault_add(instance_id, f'Delete failed: {error}')
            notifications.notify(context, PUBLISHER, 'delete', 'error',
                                 dict(payload, message=str(error)))
            return
        db_api.instance_soft_delete(instance_id)
        db_api.lastseen_delete(instance_id)
        LOG.info('Instance %s deleted', instance_id)
        notifications.notify(context, PUBLISHER, 'delete', 'end', payload)

    def guest_status_changed(self, context, instance_id, status):
        """Pushed by the conductor: wake whoever waits on this instance."""
        self.waiters.wake(instance_id)

    def reconcile(self):
        """At start-up, finish what a previous run left half-done (see
        README, "Crash recovery"): deletes are redone, and the servers of
        ready instances that are not running are started again, as a
        hypervisor restarts its VMs when its host boots."""
        context = trove_context.get_admin_context()
        for instance in db_api.instances_with_tasks([InstanceTasks.DELETING]):
            LOG.info('Resuming delete of %s', instance.id)
            self.delete_instance(context, instance.id)
        for instance in db_api.instances_with_tasks([InstanceTasks.NONE]):
            if instance.compute_instance_id:
                self._ensure_running(instance)

    def _ensure_running(self, instance):
        try:
            server = self.driver.get_server(instance.compute_instance_id)
            if server is not None and server.status != 'ACTIVE':
                LOG.info('Starting the stopped server of %s', instance.id)
                server = self.driver.start_server(server.id)
                db_api.instance_update(instance.id,
                                       server_status=server.status)
        except Exception:
            LOG.exception('Could not start the server of %s', instance.id)
