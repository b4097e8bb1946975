"""Instance actions (``POST /instances/{id}/action``): restart, resize of
flavor or volume, reset of the status.

Each action takes the instance as a record from ``instance.api.get`` and
is checked completely (Trove's rules and order), then the task is set
atomically with the quota usage a resize adds (a racing action gets the
same 422 as a busy instance; a resize past a limit gets 413), then the
taskmanager gets its cast. A cast that cannot be sent puts the task and
the usage back.
"""

import logging

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.conf import CONF
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.instance import api as instance_api
from trove_lite.instance import network
from trove_lite.quota import api as quota
from trove_lite.records import status as instance_status
from trove_lite.records.status import InstanceTasks
from trove_lite.records.status import ServiceStatuses
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi

LOG = logging.getLogger(__name__)


def check_can_perform_action(
        record, allowed_service=instance_status.ACTION_ALLOWED_SERVICE):
    """Trove's gate for actions: 422 unless the instance is idle and its
    guest in a state that allows one."""
    refusal = instance_status.action_refusal(
        record.task, record.server_status,
        instance_api.service_status(record), allowed_service)
    if refusal is not None:
        status_type, status = refusal
        raise exceptions.InstanceBusy(instance_id=record.id,
                                      status_type=status_type,
                                      status=status)


def _set_task_if(record, expected_tasks, task, usage):
    """Set ``task`` if the instance's task is one of ``expected_tasks``,
    and apply ``usage`` with it (QuotaExceeded sets nothing); whether it
    was set."""
    quota.prepare(usage)
    with db.transaction() as tx:
        if not instances.set_task_if(tx, record.id, expected_tasks, task):
            return False
        quota.apply(tx, usage)
    return True


def _set_service_status(record, status):
    with db.transaction() as tx:
        heartbeats.set_service_status(tx, record.id, status)


def _start(context, record, task, action, cast, usage=None,
           expected_tasks=instance_status.IDLE_TASKS, **payload):
    """Set ``task`` (and charge ``usage``) if the instance's task is one
    of ``expected_tasks`` (no other action got there first), then send
    ``cast()``; the notification's ``.end`` comes from the taskmanager."""
    if not _set_task_if(record, expected_tasks, task, usage):
        current = db.read(instances.get, record.id)
        raise exceptions.InstanceBusy(instance_id=record.id,
                                      status_type='task',
                                      status=current.task.action)
    with notifications.StartNotification(
            context, 'api', action,
            notifications.instance_payload(record, **payload)):
        try:
            cast()
        except Exception as error:
            LOG.exception('Could not send %s for %s', action, record.id)
            _set_task_if(record, [task], record.task, quota.refund(usage))
            raise exceptions.ServiceUnavailable() from error


def restart(context, record):
    """Restart the datastore: task REBOOTING, service RESTARTING until the
    guest reports again."""
    check_can_perform_action(record,
                             instance_status.RESTART_ALLOWED_SERVICE)

    def cast():
        _set_service_status(record, ServiceStatuses.RESTARTING)
        try:
            taskmanager_rpcapi.API(record.host).restart(context, record.id)
        except Exception:
            _set_service_status(record, record.service_status)
            raise

    _start(context, record, InstanceTasks.REBOOTING, 'restart', cast)


def resize_volume(context, record, new_size):
    """Grow the volume to ``new_size`` GB (never shrink it)."""
    if not record.volume_size:
        raise exceptions.BadRequest(f'Instance {record.id} has no volume.')
    if new_size <= record.volume_size:
        raise exceptions.BadRequest(
            f"The new volume 'size' must be larger than the current volume "
            f"size of '{record.volume_size}'.")
    if new_size > CONF.max_accepted_volume_size:
        raise exceptions.VolumeQuotaExceeded(
            max_size=CONF.max_accepted_volume_size)
    check_can_perform_action(record)
    _start(context, record, InstanceTasks.RESIZING, 'resize_volume',
           lambda: taskmanager_rpcapi.API(record.host).resize_volume(
               context, record.id, new_size),
           usage=quota.resize_charge(
               record, volumes=new_size - record.volume_size),
           new_size=new_size)


def resize_flavor(context, record, flavor_ref):
    """Move the instance to the flavor ``flavor_ref``."""
    check_can_perform_action(record)
    if flavor_ref == record.flavor_id:
        raise exceptions.BadRequest(
            f"The new flavor id must be different than the current flavor "
            f"id of '{record.flavor_id}'.")
    new_flavor = catalogue_api.get_flavor(flavor_ref)
    if new_flavor is None:
        raise exceptions.FlavorNotFound(uuid=flavor_ref)
    if (instance_api.volume_support(record.datastore_manager)
            and new_flavor.ephemeral):
        raise exceptions.NotImplementedYet(
            'Local storage support is not enabled.')
    old_flavor = catalogue_api.get_flavor(record.flavor_id)
    _start(context, record, InstanceTasks.RESIZING, 'resize_flavor',
           lambda: taskmanager_rpcapi.API(record.host).resize_flavor(
               context, record.id, instance_api.flavor_dict(old_flavor),
               instance_api.flavor_dict(new_flavor)),
           usage=quota.resize_charge(record,
                                     ram=new_flavor.ram - old_flavor.ram),
           new_flavor_id=new_flavor.id)


def update_access(context, record, access):
    """Let only ``access`` (validated) reach the instance's datastore:
    task UPDATING while the taskmanager changes the rules, the server and
    datastore running on. After a failed update (UPDATING_ERROR_ACCESS)
    the owner may send one again."""
    network.check_access(access)
    if record.task != InstanceTasks.UPDATING_ERROR_ACCESS:
        check_can_perform_action(record)
    _start(context, record, InstanceTasks.UPDATING, 'update_access',
           lambda: taskmanager_rpcapi.API(record.host).update_access(
               context, record.id, access),
           expected_tasks=instance_status.IDLE_TASKS | {
               InstanceTasks.UPDATING_ERROR_ACCESS})


def reset_status(context, record):
    """Trove's way out of a stuck task (admins): no task, and the guest's
    status unknown until its next heartbeat. No server is needed."""
    with notifications.ActionNotification(
            context, 'api', 'reset_status',
            notifications.instance_payload(record)):
        with db.transaction() as tx:
            instances.reset_status(tx, record.id)
