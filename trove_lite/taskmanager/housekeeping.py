"""Finishing what was left half-done: at start-up and periodically.

Several taskmanagers may run at once, so housekeeping acts only on work
nobody live holds (taskmanager.claims): work whose claim lapsed with its
taskmanager, and, on a host-local compute driver, only on instances of
this host. The rules (also in the README, "Crash recovery"):

* A claim whose taskmanager is gone (its lease lapsed, or it was this
  host's previous process) is taken over, at start-up and every
  ``service_report_interval``, and its work finished:
  - DELETING: deleted again (delete is idempotent);
  - BUILDING: if its guest already received ``prepare`` (it reported a
    status), the wait for its healthy heartbeat resumes for what is left
    of ``usage_timeout``; otherwise the build request died with its
    taskmanager (the request carried the users' passwords, which are
    stored nowhere): the server, volume and guest queue are removed and
    the instance ends in ERROR with a fault saying so. The owner deletes
    and creates it again.
  - REBOOTING, RESIZING: a restart or resize cannot be resumed halfway,
    so its task is cleared and the guest's heartbeats tell how the
    instance is.
  - UPDATING (access): the stored access is applied again (the request's
    new one died with its taskmanager), then the task is cleared.
* Periodically, a build nobody holds that is older than its usage
  timeout (a lost request) is failed the same way, and a delete that
  failed or was dropped runs again.
* Servers and volumes whose instance is deleted, unknown, or points at
  other resources are removed (orphans of a crash between "made" and
  "recorded").
* At start-up, stopped servers of ready instances are started again, as a
  hypervisor restarts its VMs when its host boots, and the driver's access
  rules are brought in line with its servers (a host reboot emptied them).

Unclaimed work younger than its timeout is left alone: its request may
still wait in the queue of a live taskmanager. Only at start-up, when no
other taskmanager can have taken this host's requests (a host-local
driver, or no live peer), is unclaimed work begun before the start
finished as above: its request died with the previous process between
leaving the queue and claiming the instance.
"""

import datetime
import logging
import threading
import time

from oslo_utils import timeutils

from trove_lite import db
from trove_lite.common import broker_users
from trove_lite.common import context as trove_context
from trove_lite.common import rpc
from trove_lite.conf import CONF
from trove_lite.db.repositories import claims as claim_rows
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import services
from trove_lite.records.status import InstanceTasks
from trove_lite.records.status import ServiceStatuses
from trove_lite.taskmanager import access
from trove_lite.taskmanager import backup_policies
from trove_lite.taskmanager import backups
from trove_lite.taskmanager import builds
from trove_lite.taskmanager import claims
from trove_lite.taskmanager import deletes
from trove_lite.taskmanager import failover

LOG = logging.getLogger(__name__)

_ACTION_TASKS = (InstanceTasks.REBOOTING, InstanceTasks.RESIZING)

# Requests waiting in a new process's queues are dispatched within
# moments of its RPC server starting; reconciliation waits this long so
# they claim their instances first.
RECONCILE_SETTLE_SECONDS = 2.0


class Housekeeper:
    """Reconciliation at start-up and the periodic checks."""

    def __init__(self, driver, claims, waiters):
        self.driver = driver
        self.claims = claims
        self.waiters = waiters
        self.host_local = driver.host_local()
        # In whole seconds, as the rows' times are (DATETIME): with its
        # fraction, a request sent in this process's first second would
        # read as older than the process, and its build be failed as lost
        # while its request is still on its way (a broker slow to deliver
        # it, or down).
        self.started_at = timeutils.utcnow().replace(microsecond=0)
        self.policy_task = backup_policies.PolicyTask()

    def is_mine(self, instance):
        """Whether this taskmanager can act on the instance's server: any
        can on a compute driver every taskmanager reaches; on a host-local
        one, only its host's (instances recorded before hosts were, with
        none, belong to every host: one host ran them)."""
        return not self.host_local or instance.host in (None,
                                                        self.claims.host)

    def _mine_with_tasks(self, tasks):
        return [instance for instance in db.read(instances.with_tasks, tasks)
                if self.is_mine(instance)]

    def periodic_tasks(self):
        """(spacing, task) pairs the service runs: taking over lapsed
        claims as often as the registry heartbeats, the rest every
        ``periodic_interval``."""
        return [(CONF.service_report_interval, self.take_over_lapsed)] + [
            (CONF.periodic_interval, task) for task in (
                self.fail_stuck_builds, self.retry_stuck_deletes,
                self.reap_orphans, self.fail_dead_backups,
                self.run_backup_policies, self.fail_over_dead_sources)]

    def fail_over_dead_sources(self):
        """Automatic failover of dead replication sources (see
        taskmanager.failover)."""
        failover.fail_over_dead_sources(self.context, self.claims)

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
        """Run ``reconcile`` in the background once requests waiting in
        this new process's queues had their chance to claim their
        instances."""
        def run():
            time.sleep(RECONCILE_SETTLE_SECONDS)
            try:
                self.reconcile()
                time.sleep(RECONCILE_SETTLE_SECONDS)
                self.reconcile_start_up_second()
            except Exception:
                LOG.exception('Reconciliation failed')
        threading.Thread(target=run, name='reconcile', daemon=True).start()

    def reconcile(self):
        """At start-up: take over what gone taskmanagers (this host's
        previous process among them) left, restart the stopped servers of
        this host's ready instances."""
        try:
            self.driver.reconcile_access()
        except Exception:
            LOG.exception('Could not reconcile the access rules')
        self.take_over_lapsed()
        if self._alone():
            self._finish_unclaimed_left_over()
        for instance in self._mine_with_tasks([InstanceTasks.NONE]):
            if instance.compute_instance_id:
                self._ensure_running(instance)

    def _alone(self):
        """Whether no other live taskmanager can have taken this host's
        requests: on a host-local driver they come only to this host's
        queue; otherwise, when no peer is alive."""
        if self.host_local:
            return True
        peers = db.read(services.live_hosts, claim_rows.TASKMANAGER,
                        CONF.taskmanager_lease_timeout)
        return not peers - {self.claims.host}

    def reconcile_start_up_second(self):
        """The second look, one settle time after ``reconcile``, at work
        begun in this process's first second. The rows keep whole
        seconds, so at the first look such work may be a request still on
        its way to this process; by now any such request has been
        dispatched and has claimed its instance, so what is still
        unclaimed was lost with a previous process that died in the
        second this one started (a taskmanager restarted at once). Unless
        requests still wait in this process's queues (the broker was away
        and delivers late) or the broker cannot say: then such work is
        left to its request, or to ``fail_stuck_builds``."""
        if not self._alone():
            return
        queues = (CONF.taskmanager_queue,
                  f'{CONF.taskmanager_queue}.{CONF.host}')
        try:
            waiting = rpc.ready_messages(queues)
        except Exception as error:
            LOG.info('Reconcile: no second look at the start-up second; '
                     'the broker cannot say what waits in %s (%s)',
                     queues[0], error)
            return
        if waiting != 0:
            return
        self._finish_unclaimed_left_over(
            begun_before=self.started_at + datetime.timedelta(seconds=1))

    def _finish_unclaimed_left_over(self, begun_before=None):
        """Work of this host begun before ``begun_before`` (by default
        this process's start) that nobody claimed: its request reached
        the previous process, which died between taking it from the queue
        and claiming the instance (requests still queued claim theirs
        while reconcile settles)."""
        begun_before = begun_before or self.started_at
        for instance in self._mine_with_tasks(
                (InstanceTasks.BUILDING, InstanceTasks.DELETING,
                 InstanceTasks.UPDATING) + _ACTION_TASKS):
            if (instance.task_start_time or instance.created) >= \
                    begun_before:
                continue
            try:
                with self.claims.acquire(instance.id, 'reconcile') as claim:
                    LOG.warning('Reconcile: the request on %s was lost '
                                'with the previous taskmanager',
                                instance.id)
                    self._finish(instance.id, claim)
            except claims.ClaimHeld:
                continue
            except Exception:
                LOG.exception('Reconcile of %s failed', instance.id)

    def take_over_lapsed(self):
        """Finish or fail the work of every claim whose taskmanager is
        gone (see the module's rules)."""
        for instance_id, owner in self.claims.lapsed():
            instance = db.read(instances.find, instance_id)
            if instance is not None and not self.is_mine(instance):
                continue  # its host's taskmanager will, when it is back
            try:
                with self.claims.acquire(instance_id, 'take over') as claim:
                    LOG.warning('Taking over the work on %s left by %s',
                                instance_id, owner)
                    self._finish(instance_id, claim)
            except claims.ClaimHeld:
                continue
            except Exception:
                # Tried again at the next run: the claim is ours now, and
                # lapses to a peer if this process dies.
                LOG.exception('Taking over the work on %s failed',
                              instance_id)

    def _finish(self, instance_id, claim):
        instance = db.read(instances.find, instance_id)
        if instance is None:
            return  # deleted meanwhile: only the claim was left
        if instance.task == InstanceTasks.DELETING:
            LOG.info('Finishing the delete of %s', instance_id)
            deletes.delete_claimed(self.context, self.driver, instance_id)
        elif instance.task == InstanceTasks.BUILDING:
            self._recover_build(instance, claim)
        elif instance.task == InstanceTasks.UPDATING:
            LOG.warning('The access update of %s was interrupted; applying '
                        'its stored access again', instance_id)
            access.finish_interrupted(self.driver, instance)
        elif instance.task in _ACTION_TASKS:
            LOG.warning('The %s of %s was interrupted; clearing its task',
                        instance.task.description, instance_id)
            with db.transaction() as tx:
                instances.set_task_if(tx, instance_id, _ACTION_TASKS,
                                      InstanceTasks.NONE)

    def _recover_build(self, instance, claim):
        status = db.read(heartbeats.service_status, instance.id)
        server = (self.driver.get_server(instance.compute_instance_id)
                  if instance.compute_instance_id else None)
        if server is not None and status not in (None, ServiceStatuses.NEW):
            LOG.info('Resuming the wait for the guest of %s', instance.id)
            claim.continue_in_thread(self._resume_wait, instance)
            return
        LOG.info('The build of %s was interrupted before its guest got its '
                 'request; failing it', instance.id)
        self.fail_build(instance, 'The taskmanager building the instance '
                                  'went away; delete the instance and '
                                  'create it again.')

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
        for instance in self._mine_with_tasks([InstanceTasks.BUILDING]):
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
        for instance in self._mine_with_tasks([InstanceTasks.DELETING]):
            age = now - (instance.task_start_time or instance.updated)
            if age > limit and not self.claims.is_claimed(instance.id):
                LOG.warning('Periodic: the delete of %s is %d s old; running '
                            'it again', instance.id, age.total_seconds())
                deletes.delete_instance(self.context, self.driver,
                                        self.claims, instance.id)

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
                else:
                    self.driver.delete_volume(resource_id)
                reaped += 1
            if instance is None and instance_id:
                # Its instance is gone (so each of its leftovers went
                # above): so is its broker user, found by whatever was
                # left of it (a server whose record was lost leaves only
                # its volume).
                broker_users.remove(instance_id)
        if reaped:
            LOG.info('Periodic: %d orphan resources removed', reaped)
