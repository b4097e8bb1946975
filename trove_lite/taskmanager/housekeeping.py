"""Finishing what was left half-done: at start-up and periodically.

The rules (also in the README, "Crash recovery"):

* DELETING instances are deleted again (delete is idempotent), at
  start-up and periodically when a delete failed or was dropped.
* A BUILDING instance nobody in this process is working on:
  - if its guest already received ``prepare`` (it reported a status), the
    wait for its healthy heartbeat resumes for what is left of
    ``usage_timeout``;
  - otherwise the build request died with the previous taskmanager (the
    request carried the users' passwords, which are stored nowhere): the
    server, volume and guest queue are removed and the instance ends in
    ERROR with a fault saying so. The owner deletes and creates it again.
  - periodically, the same happens to a build older than its usage
    timeout (a lost request).
* Servers and volumes whose instance is deleted, unknown, or points at
  other resources are removed (orphans of a crash between "made" and
  "recorded").
* Stopped servers of ready instances are started again, as a hypervisor
  restarts its VMs when its host boots.
* A restart or resize (REBOOTING, RESIZING) nobody works on at start-up
  died with the previous taskmanager; it cannot be resumed halfway, so its
  task is cleared and the guest's heartbeats tell how the instance is.

This assumes one taskmanager per compute driver state (the local driver's
state directory), which is how the local driver is deployed.
"""

import datetime
import logging
import threading
import time

from oslo_utils import timeutils

from trove_lite import db
from trove_lite.common import broker_users
from trove_lite.common import context as trove_context
from trove_lite.conf import CONF
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.instance.status import InstanceTasks
from trove_lite.instance.status import ServiceStatuses
from trove_lite.taskmanager import backup_policies
from trove_lite.taskmanager import backups
from trove_lite.taskmanager import builds
from trove_lite.taskmanager import claims
from trove_lite.taskmanager import deletes

LOG = logging.getLogger(__name__)

# Requests redelivered after a restart are dispatched within milliseconds
# of the RPC server starting; reconciliation waits this long so they claim
# their instances first.
RECONCILE_SETTLE_SECONDS = 2.0

_ACTION_TASKS = (InstanceTasks.REBOOTING, InstanceTasks.RESIZING)


class Housekeeper:
    """Reconciliation at start-up and the periodic checks."""

    def __init__(self, driver, claims, waiters):
        self.driver = driver
        self.claims = claims
        self.waiters = waiters
        self.started_at = timeutils.utcnow()
        self.policy_task = backup_policies.PolicyTask()

    def _left_over(self, tasks):
        """Instances in ``tasks`` since before this process started: work
        begun afterwards is this process's own, even when its request has
        not been dispatched yet. The database keeps whole seconds, so work
        begun in the second of the start-up counts as left over: if its
        request reaches this process, it holds the claim by the time
        reconcile runs (RECONCILE_SETTLE_SECONDS later)."""
        return [instance for instance in db.read(instances.with_tasks, tasks)
                if (instance.task_start_time or instance.created)
                < self.started_at]

    def periodic_tasks(self):
        """(spacing, task) pairs the service runs."""
        return [(CONF.periodic_interval, task) for task in (
            self.fail_stuck_builds, self.retry_stuck_deletes,
            self.reap_orphans, self.fail_dead_backups,
            self.run_backup_policies)]

    def run_backup_policies(self):
        """Automated backups and expiry (see taskmanager.backup_policies).
        """
        self.policy_task.run(self.context)

    def fail_dead_backups(self):
        """Fail the backups whose guest died or whose instance went
        away (see taskmanager.backups)."""
        backups.fail_dead_backups(self.context, self.driver)

    @property
    def context(self):
        return trove_context.get_admin_context()

    def start_reconcile(self):
        """Run ``reconcile`` in the background once requests redelivered
        to this new process had their chance to claim their instances."""
        def run():
            time.sleep(RECONCILE_SETTLE_SECONDS)
            try:
                self.reconcile()
            except Exception:
                LOG.exception('Reconciliation failed')
        threading.Thread(target=run, name='reconcile', daemon=True).start()

    def reconcile(self):
        """At start-up (after the RPC server took any redelivered
        requests): finish deletes, resume or fail builds, restart the
        stopped servers of ready instances."""
        for instance in db.read(instances.with_tasks,
                                [InstanceTasks.DELETING]):
            LOG.info('Reconcile: finishing the delete of %s', instance.id)
            deletes.delete_instance(self.context, self.driver, self.claims,
                                    instance.id)
        for instance in self._left_over([InstanceTasks.BUILDING]):
            try:
                self._reconcile_build(instance)
            except Exception:
                # Tried again by the periodic check of stuck builds.
                LOG.exception('Reconcile: failing the build of %s failed',
                              instance.id)
        for instance in self._left_over(_ACTION_TASKS):
            self._reconcile_action(instance)
        for instance in db.read(instances.with_tasks, [InstanceTasks.NONE]):
            if instance.compute_instance_id:
                self._ensure_running(instance)

    def _reconcile_build(self, instance):
        try:
            with self.claims.acquire(instance.id, 'reconcile') as claim:
                self._recover_build(instance, claim)
        except claims.ClaimHeld:
            pass  # a redelivered create request is on it

    def _recover_build(self, instance, claim):
        status = db.read(heartbeats.service_status, instance.id)
        server = (self.driver.get_server(instance.compute_instance_id)
                  if instance.compute_instance_id else None)
        if server is not None and status not in (None, ServiceStatuses.NEW):
            LOG.info('Reconcile: resuming the wait for the guest of %s',
                     instance.id)
            claim.continue_in_thread(self._resume_wait, instance)
            return
        LOG.info('Reconcile: the build of %s was interrupted before its '
                 'guest got its request; failing it', instance.id)
        self.fail_build(instance, 'The build was interrupted by a '
                                  'taskmanager restart; delete the '
                                  'instance and create it again.')

    def _reconcile_action(self, instance):
        try:
            with self.claims.acquire(instance.id, 'reconcile'):
                LOG.warning('Reconcile: the %s of %s was interrupted; '
                            'clearing its task', instance.task.description,
                            instance.id)
                with db.transaction() as tx:
                    instances.set_task_if(tx, instance.id, _ACTION_TASKS,
                                          InstanceTasks.NONE)
        except claims.ClaimHeld:
            pass  # a redelivered restart or resize is on it

    def _resume_wait(self, instance):
        elapsed = (timeutils.utcnow() - instance.task_start_time) \
            .total_seconds()
        timeout = max(1.0, builds.usage_timeout_of(instance) - elapsed)
        try:
            builds.wait_for_guest(self.waiters, instance.id, timeout)
        except Exception as error:
            self.fail_build(instance, str(error))
            return
        builds.succeed(self.context, instance.id)

    def fail_build(self, instance, message):
        """Fail a build nobody can finish any more (the guest-agent
        timeout task, as an interrupted build's guest never reported)."""
        builds.fail(self.context, self.driver, instance.id,
                    InstanceTasks.BUILDING_ERROR_TIMEOUT_GA, message)

    def _ensure_running(self, instance):
        try:
            server = self.driver.get_server(instance.compute_instance_id)
            if server is not None and server.status != 'ACTIVE':
                LOG.info('Reconcile: starting the stopped server of %s',
                         instance.id)
                self.driver.start_server(server.id)
        except Exception:
            LOG.exception('Could not start the server of %s', instance.id)

    # --- periodic ---------------------------------------------------------

    def fail_stuck_builds(self):
        """Builds nobody works on that are older than their usage timeout
        (their request was lost): fail them cleanly."""
        now = timeutils.utcnow()
        for instance in db.read(instances.with_tasks,
                                [InstanceTasks.BUILDING]):
            age = now - (instance.task_start_time or instance.created)
            limit = datetime.timedelta(
                seconds=builds.usage_timeout_of(instance))
            if age <= limit:
                continue
            try:
                with self.claims.acquire(instance.id, 'fail stuck build'):
                    LOG.warning('Periodic: the build of %s is %d s old and '
                                'no one works on it; failing it',
                                instance.id, age.total_seconds())
                    self.fail_build(instance, 'The build request was lost; '
                                              'delete the instance and '
                                              'create it again.')
            except claims.ClaimHeld:
                continue
            except Exception:
                # One build that cannot be failed now (its server will not
                # go, the database blinked) is tried again next period;
                # the builds after it are not held up by it.
                LOG.exception('Periodic: failing the build of %s failed',
                              instance.id)

    def retry_stuck_deletes(self):
        """Deletes that failed or were dropped: run them again (delete is
        idempotent)."""
        now = timeutils.utcnow()
        limit = datetime.timedelta(seconds=2 * CONF.server_delete_time_out)
        for instance in db.read(instances.with_tasks,
                                [InstanceTasks.DELETING]):
            age = now - (instance.task_start_time or instance.updated)
            if age > limit and not self.claims.is_claimed(instance.id):
                LOG.warning('Periodic: the delete of %s is %d s old; running '
                            'it again', instance.id, age.total_seconds())
                deletes.delete_instance(self.context, self.driver, self.claims,
                                    instance.id)

    def reap_orphans(self):
        """Remove servers and volumes no live instance owns."""
        owners = {}
        for server in self.driver.list_servers():
            owners.setdefault(server.instance_id, []).append(
                ('server', server.id))
        for volume in self.driver.list_volumes():
            owners.setdefault(volume.instance_id, []).append(
                ('volume', volume.id))
        reaped = 0
        for instance_id, resources in owners.items():
            if self.claims.is_claimed(instance_id):
                continue
            instance = db.read(instances.find, instance_id) \
                if instance_id else None
            for kind, resource_id in resources:
                if instance is not None and resource_id in (
                        instance.compute_instance_id, instance.volume_id):
                    continue
                LOG.warning('Periodic: removing orphan %s %s of instance '
                            '%s', kind, resource_id, instance_id)
                if kind == 'server':
                    self.driver.delete_server(resource_id)
                    if instance is None and instance_id:
                        # Its instance is gone: so is its broker user.
                        broker_users.remove(instance_id)
                else:
                    self.driver.delete_volume(resource_id)
                reaped += 1
        if reaped:
            LOG.info('Periodic: %d orphan resources removed', reaped)
