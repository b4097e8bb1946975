"""The taskmanager: long work on instances, one workflow per request."""

import logging

import oslo_messaging as messaging

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.common import quota
from trove_lite.compute import base as compute_base
from trove_lite.conf import CONF
from trove_lite.db import retry
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.guestagent import rpcapi as guest_rpcapi
from trove_lite.instance import keys
from trove_lite.instance.status import InstanceTasks
from trove_lite.taskmanager import backups
from trove_lite.taskmanager import claims
from trove_lite.taskmanager import housekeeping
from trove_lite.taskmanager import restart_resize
from trove_lite.taskmanager import waiters as guest_waiters
from trove_lite.taskmanager import workflows

LOG = logging.getLogger(__name__)

PUBLISHER = 'taskmanager'

# Seconds a delete waits for another workflow on the same instance.
DELETE_CLAIM_WAIT = 300
# Seconds a restart or resize waits for one (the API lets an action start
# only on an idle instance, so only housekeeping can hold it briefly).
ACTION_CLAIM_WAIT = 60


def _unrecorded(instance_id, refund):
    """``refund(instance)`` for the instance as recorded now: the quota
    follows the record, as instance_release does, so a resize that failed
    or never ran before it was recorded gives its charge back, and one
    recorded (even by an earlier delivery of the same request) keeps it.
    """
    if refund is None:
        return None
    instance = db.read(instances.find, instance_id, include_deleted=True)
    return None if instance is None else refund(instance)


def usage_timeout(datastore_manager):
    """How long a new guest of this datastore may take to get healthy:
    the datastore's own ``usage_timeout``, else the DEFAULT one."""
    group = getattr(CONF, datastore_manager, None)
    return getattr(group, 'usage_timeout', None) or CONF.usage_timeout


class Manager:
    """Endpoint for topic ``taskmanager_queue``."""

    target = messaging.Target(version='1.0')

    def __init__(self, driver=None):
        self.driver = driver or compute_base.load_driver(
            CONF.compute_driver)
        self.waiters = guest_waiters.GuestStatusWaiters()
        self.claims = claims.Claims()
        self.housekeeper = housekeeping.Housekeeper(self)

    def usage_timeout_of(self, instance):
        version = catalogue_api.get_version(instance.datastore_version_id)
        return usage_timeout(version.manager)

    def create_instance(self, context, spec):
        """Build the instance described by an InstanceSpec."""
        try:
            with self.claims.acquire(spec.instance_id, 'create'):
                instance = db.read(instances.find, spec.instance_id)
                if instance is None or \
                        instance.task != InstanceTasks.BUILDING:
                    LOG.warning('Create of %s skipped: the instance is gone '
                                'or no longer building', spec.instance_id)
                    return
                self._build(context, spec,
                            usage_timeout(spec.datastore_manager))
        except claims.ClaimHeld:
            LOG.warning('Create of %s skipped: already in progress',
                        spec.instance_id)

    def _build(self, context, spec, timeout):
        flow = workflows.CreateInstanceFlow(context, spec, self.driver,
                                            self.waiters, timeout)
        try:
            flow.run()
        except workflows.BuildFailed as failure:
            self.build_failed(context, spec.instance_id, failure.task,
                              failure.message)
            return
        self.build_succeeded(context, spec.instance_id)

    @retry.retry_on_unavailable
    def build_succeeded(self, context, instance_id):
        with db.transaction() as tx:
            instances.update(tx, instance_id, task=InstanceTasks.NONE)
        LOG.info('Instance %s is ready', instance_id)
        notifications.notify(
            context, PUBLISHER, 'create', 'end',
            notifications.instance_payload(
                db.read(instances.get, instance_id)))

    @retry.retry_on_unavailable
    def build_failed(self, context, instance_id, task, message, **values):
        """Record the failed build (task, fault and any other instance
        ``values`` together) and tell."""
        with db.transaction() as tx:
            instances.add_fault(tx, instance_id, message, task=task,
                                **values)
        notifications.notify(
            context, PUBLISHER, 'create', 'error',
            notifications.instance_payload(
                db.read(instances.get, instance_id), message=message))

    def delete_instance(self, context, instance_id):
        """Remove the instance's server, volume and queues, then its
        rows (soft delete)."""
        # A delete waits for whatever else works on the instance (a failing
        # build, reconciliation, another delete) instead of being lost.
        try:
            with self.claims.acquire(instance_id, 'delete',
                                     wait=DELETE_CLAIM_WAIT):
                self._delete(context, instance_id)
        except claims.ClaimHeld as busy:
            LOG.warning('%s; the periodic check will retry the delete',
                        busy)

    def _delete(self, context, instance_id):
        instance = db.read(instances.find, instance_id)
        if instance is None:
            LOG.info('Delete of %s: already gone', instance_id)
            return
        payload = notifications.instance_payload(instance)
        try:
            self.housekeeper.remove_resources_of(instance)
        except Exception as error:
            LOG.exception('Delete of %s failed', instance_id)
            with db.transaction() as tx:
                instances.add_fault(tx, instance_id,
                                    f'Delete failed: {error}')
            notifications.notify(context, PUBLISHER, 'delete', 'error',
                                 dict(payload, message=str(error)))
            return
        with db.transaction() as tx:
            instances.soft_delete(tx, instance_id)
        # Apart: a heartbeat locks the lastseen row before the status row,
        # the delete the other way round.
        with db.transaction() as tx:
            heartbeats.forget_lastseen(tx, instance_id)
        LOG.info('Instance %s deleted', instance_id)
        notifications.notify(context, PUBLISHER, 'delete', 'end', payload)

    def restart(self, context, instance_id):
        """Restart the instance's datastore."""
        self._run_action(
            context, instance_id, InstanceTasks.REBOOTING, 'restart',
            lambda instance, guest: restart_resize.restart(
                context, instance, self.driver, guest, self.waiters))

    def resize_flavor(self, context, instance_id, old_flavor, new_flavor):
        """Move the instance to ``new_flavor``."""
        self._run_action(
            context, instance_id, InstanceTasks.RESIZING, 'resize_flavor',
            lambda instance, guest: restart_resize.resize_flavor(
                context, instance, self.driver, guest, old_flavor,
                new_flavor),
            lambda instance: None if instance.flavor_id == new_flavor['id']
            else quota.resize_refund(
                instance, ram=new_flavor['ram'] - old_flavor['ram']),
            new_flavor_id=new_flavor['id'])

    def resize_volume(self, context, new_size, instance_id):
        """Grow the instance's volume to ``new_size`` GB."""
        self._run_action(
            context, instance_id, InstanceTasks.RESIZING, 'resize_volume',
            lambda instance, guest: restart_resize.resize_volume(
                context, instance, self.driver, guest, new_size),
            lambda instance: None if instance.volume_size >= new_size
            else quota.resize_refund(
                instance, volumes=new_size - instance.volume_size),
            new_size=new_size)

    def _run_action(self, context, instance_id, task, action, work,
                    refund=None, **payload):
        """Run ``work(instance, guest)`` for an instance the API left in
        ``task``, holding the instance's claim (a delete waits for it),
        then clear the task whatever happened.

        ``refund(instance)`` is the quota usage to give back (a resize's
        charge; None once the resize is recorded): applied here only, so
        no way out of an action forgets it."""
        try:
            with self.claims.acquire(instance_id, action,
                                     wait=ACTION_CLAIM_WAIT):
                instance = db.read(instances.find, instance_id)
                if instance is None or instance.task != task:
                    LOG.warning('%s of %s skipped: the instance is gone or '
                                'no longer %s', action, instance_id,
                                task.action)
                    # Reset or deleted meanwhile: the task is not ours to
                    # clear, the charge still is ours to give back.
                    quota.apply_alone(_unrecorded(instance_id, refund))
                    return
                self._act(context, instance, task, action, work, refund,
                          notifications.instance_payload(instance,
                                                         **payload))
        except claims.ClaimHeld as busy:
            LOG.warning('%s skipped', busy)
            self._end(instance_id, task, _unrecorded(instance_id, refund))

    def _act(self, context, instance, task, action, work, refund, payload):
        try:
            work(instance, guest_rpcapi.API(instance.id,
                                            keys.key_of(instance.id)))
        except Exception as error:
            LOG.warning('%s of %s failed: %s', action, instance.id, error,
                        exc_info=not isinstance(
                            error, exceptions.TroveLiteError))
            notifications.notify(context, PUBLISHER, action, 'error',
                                 dict(payload, message=str(error)))
        else:
            LOG.info('%s of %s done', action, instance.id)
            notifications.notify(context, PUBLISHER, action, 'end',
                                 payload)
        finally:
            self._end(instance.id, task, _unrecorded(instance.id, refund))

    @staticmethod
    def _end(instance_id, task, usage):
        """Clear ``task`` if it is still ours (not reset, not deleted) and
        apply ``usage`` in one transaction."""
        quota.prepare(usage)
        with db.transaction() as tx:
            instances.set_task_if(tx, instance_id, [task],
                                  InstanceTasks.NONE)
            quota.apply(tx, usage)

    def create_backup(self, context, backup_id, container):
        """Send a new backup to its instance's guest."""
        backups.create_backup(context, backup_id, container)

    def delete_backup(self, context, backup_id):
        """Remove the stored object of a deleted backup."""
        backups.delete_backup(context, backup_id)

    def guest_status_changed(self, context, instance_id, status):
        """Pushed by the conductor: wake whoever waits on this instance."""
        self.waiters.wake(instance_id)

    def periodic_tasks(self):
        """(spacing, task) pairs the service runs."""
        housekeeper = self.housekeeper
        return [(CONF.periodic_interval, task) for task in (
            housekeeper.fail_stuck_builds, housekeeper.retry_stuck_deletes,
            housekeeper.reap_orphans, self.fail_dead_backups)]

    def fail_dead_backups(self):
        """Periodic: fail the backups whose guest died or whose instance
        went away."""
        backups.fail_dead_backups(self.housekeeper.context)
