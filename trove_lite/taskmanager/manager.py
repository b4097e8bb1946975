"""The taskmanager: long work on instances, one workflow per request."""

import logging

import oslo_messaging as messaging

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.compute import base as compute_base
from trove_lite.conf import CONF
from trove_lite.db.repositories import instances
from trove_lite.instance import keys
from trove_lite.quota import api as quota
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.taskmanager import access as access_updates
from trove_lite.taskmanager import backups
from trove_lite.taskmanager import builds
from trove_lite.taskmanager import claims
from trove_lite.taskmanager import deletes
from trove_lite.taskmanager import housekeeping
from trove_lite.taskmanager import overrides
from trove_lite.taskmanager import replicas
from trove_lite.taskmanager import restart_resize
from trove_lite.taskmanager import waiters as guest_waiters
from trove_lite.taskmanager import workflows

LOG = logging.getLogger(__name__)

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


class Manager:
    """Endpoint for topic ``taskmanager_queue``."""

    target = messaging.Target(version='1.0')

    def __init__(self, driver=None):
        self.driver = driver or compute_base.load_driver(
            CONF.compute_driver)
        self.waiters = guest_waiters.GuestStatusWaiters()
        self.claims = claims.Claims()
        self.housekeeper = housekeeping.Housekeeper(
            self.driver, self.claims, self.waiters)

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
                if not self.housekeeper.is_mine(instance):
                    # Placed on another host (a request replayed or sent
                    # to the wrong queue): that host's taskmanager builds.
                    LOG.warning('Create of %s skipped: it is placed on host '
                                '%s', spec.instance_id, instance.host)
                    return
                if self.housekeeper.host_local and instance.host is None:
                    # Sent before any host was known: built here.
                    with db.transaction() as tx:
                        instances.update(tx, spec.instance_id,
                                         host=self.claims.host)
                self._build(context, spec,
                            builds.usage_timeout(spec.datastore_manager))
        except claims.ClaimHeld:
            LOG.warning('Create of %s skipped: already in progress',
                        spec.instance_id)

    def _build(self, context, spec, timeout):
        flow = workflows.CreateInstanceFlow(context, spec, self.driver,
                                            self.waiters, timeout,
                                            claims=self.claims)
        try:
            flow.run()
        except workflows.BuildFailed as failure:
            self._end_snapshot(context, flow, failed=True)
            try:
                builds.fail(context, self.driver, spec.instance_id,
                            failure.task, failure.message)
            except Exception:
                LOG.exception('Could not fail the build of %s; the periodic '
                              'check will', spec.instance_id)
            return
        self._end_snapshot(context, flow)
        builds.succeed(context, spec.instance_id)

    def _end_snapshot(self, context, flow, failed=False):
        """A replica's snapshot goes once its build is over; a failed
        replica's account on its source too."""
        if flow.snapshot is not None:
            replicas.delete_snapshot(context, flow.snapshot.backup_id,
                                     self.driver)
        if failed and flow.spec.replica_of is not None:
            replicas.forget_account(context, flow.spec.replica_of,
                                    flow.spec.instance_id)

    def delete_instance(self, context, instance_id):
        """Remove the instance's server, volume and queues, then its
        rows (soft delete)."""
        deletes.delete_instance(context, self.driver, self.claims,
                                instance_id)

    def detach_replica(self, context, instance_id):
        """Make a replica a standalone instance (task DETACHING)."""
        try:
            with self.claims.acquire(instance_id, 'detach_replica',
                                     wait=ACTION_CLAIM_WAIT):
                replicas.detach(context, instance_id)
        except claims.ClaimHeld as busy:
            LOG.warning('%s skipped', busy)
            self._end(instance_id, InstanceTasks.DETACHING, None)

    def promote_to_replica_source(self, context, instance_id):
        """Make the replica ``instance_id`` the source of its set (every
        member PROMOTING)."""
        try:
            with self.claims.acquire(instance_id, 'promote',
                                     wait=ACTION_CLAIM_WAIT):
                replicas.promote(context, instance_id)
        except claims.ClaimHeld as busy:
            LOG.warning('%s skipped', busy)
            replicas.end_set_task(instance_id, InstanceTasks.PROMOTING)

    def eject_replica_source(self, context, instance_id):
        """Replace the failed source of the replica ``instance_id``'s set
        by its most advanced replica (every replica EJECTING)."""
        try:
            with self.claims.acquire(instance_id, 'eject',
                                     wait=ACTION_CLAIM_WAIT):
                replicas.eject(context, instance_id)
        except claims.ClaimHeld as busy:
            LOG.warning('%s skipped', busy)
            replicas.end_set_task(instance_id, InstanceTasks.EJECTING)

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
                context, instance, self.driver, guest, self.waiters,
                old_flavor, new_flavor),
            lambda instance: None if instance.flavor_id == new_flavor['id']
            else quota.resize_refund(
                instance, ram=new_flavor['ram'] - old_flavor['ram']),
            new_flavor_id=new_flavor['id'])

    def resize_volume(self, context, instance_id, new_size):
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
            with notifications.EndNotification(context, builds.PUBLISHER,
                                               action, payload):
                work(instance, guest_rpcapi.API(instance.id,
                                                keys.key_of(instance.id)))
        except Exception as error:
            LOG.warning('%s of %s failed: %s', action, instance.id, error,
                        exc_info=not isinstance(
                            error, exceptions.TroveLiteError))
        else:
            LOG.info('%s of %s done', action, instance.id)
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

    def update_overrides(self, context, instance_id, configuration_id,
                         changed):
        """A change of the instance's configuration group reaches its
        guest."""
        overrides.update_overrides(context, self.claims, instance_id,
                                   configuration_id, changed)

    def update_access(self, context, instance_id, access):
        """Let only the instance's new ``access`` reach its datastore
        (Trove's ``update_access``; task UPDATING is set)."""
        access_updates.update_access(context, self.driver, self.claims,
                                     instance_id, access)

    def create_backup(self, context, backup_id, container):
        """Send a new backup to its instance's guest."""
        backups.create_backup(context, backup_id, container, self.driver)

    def delete_backup(self, context, backup_id):
        """Remove the stored object of a deleted backup."""
        backups.delete_backup(context, backup_id, self.driver)

    def guest_status_changed(self, context, instance_id, status):
        """Pushed by the conductor: wake whoever waits on this instance."""
        self.waiters.wake(instance_id)
