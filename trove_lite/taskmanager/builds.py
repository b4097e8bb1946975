"""How a build ends: the one wait for its guest, and the one way each of
success and failure is recorded.

The create workflow and housekeeping (a build resumed or failed after a
taskmanager restart, a build whose request was lost) end builds only
through these functions, so every failed build looks the same: its
resources removed by the teardown path, ``server_status`` ERROR, a fault
whose details (admins only) keep the end of the guest's log, and
``trove.instance.create.error``.
"""

import logging

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.conf import CONF
from trove_lite.db import retry
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.records import status as instance_status
from trove_lite.records.status import InstanceTasks
from trove_lite.taskmanager import teardown

LOG = logging.getLogger(__name__)

# The publisher of the taskmanager's notifications.
PUBLISHER = 'taskmanager'


def usage_timeout(datastore_manager):
    """How long a new guest of this datastore may take to get healthy:
    the datastore's own ``usage_timeout``, else the DEFAULT one."""
    group = getattr(CONF, datastore_manager, None)
    return getattr(group, 'usage_timeout', None) or CONF.usage_timeout


def usage_timeout_of(instance):
    """``usage_timeout`` of an instance's datastore."""
    version = catalogue_api.get_version(instance.datastore_version_id)
    return usage_timeout(version.manager)


def build_done(status):
    """Whether a guest status ends a build; raises when it fails it."""
    if status in instance_status.BUILD_DONE:
        return True
    if status not in instance_status.BUILD_PENDING:
        raise exceptions.GuestPrepareError(
            reason=f'the guest reported "{status.description}"')
    return False


def wait_for_guest(waiters, instance_id, timeout):
    """Wait up to ``timeout`` seconds for the guest's healthy heartbeat;
    raises GuestTimeout (marking the guest FAILED_TIMEOUT_GUESTAGENT when
    ``update_status_on_fail`` is set) or GuestPrepareError."""
    final = waiters.wait(instance_id, build_done, timeout,
                         CONF.usage_sleep_time)
    if final is not None:
        return
    if CONF.update_status_on_fail:
        with db.transaction() as tx:
            heartbeats.set_service_status(
                tx, instance_id,
                instance_status.ServiceStatuses.FAILED_TIMEOUT_GUESTAGENT)
    raise exceptions.GuestTimeout(
        f'The guest did not report healthy within {timeout:.0f} seconds.')


@retry.retry_on_unavailable
def succeed(context, instance_id):
    """The guest is healthy: clear the task and tell."""
    with db.transaction() as tx:
        instances.update(tx, instance_id, task=InstanceTasks.NONE)
    LOG.info('Instance %s is ready', instance_id)
    notifications.notify(
        context, PUBLISHER, 'create', 'end',
        notifications.instance_payload(db.read(instances.get, instance_id)))


def fail(context, driver, instance_id, task, message):
    """Keep the guest's log, remove everything the build made, then record
    the instance in ``task`` with ``message`` as its fault and tell.

    When something will not go, this raises and records nothing: the
    instance stays BUILDING, and the periodic check fails it again once
    it is older than its usage timeout."""
    instance = db.read(instances.find, instance_id)
    if instance is None:
        return
    log_tail = _keep_guest_logs(driver, instance)
    teardown.remove_resources_of(driver, instance)
    _record_failure(context, instance_id, task, message, log_tail)


def _keep_guest_logs(driver, instance):
    """The end of the logs of the instance's guests (kept by the driver
    where it can), or None."""
    tails = []
    for server in driver.list_servers():
        if server.instance_id == instance.id:
            try:
                tail = driver.keep_guest_log(server.id)
            except Exception:
                LOG.exception('Could not keep the log of server %s',
                              server.id)
                continue
            if tail:
                tails.append(tail)
    return '\n'.join(tails) or None


@retry.retry_on_unavailable
def _record_failure(context, instance_id, task, message, details):
    with db.transaction() as tx:
        instances.add_fault(tx, instance_id, message, details=details,
                            task=task, compute_instance_id=None,
                            volume_id=None, addresses=None,
                            server_status='ERROR')
    notifications.notify(
        context, PUBLISHER, 'create', 'error',
        notifications.instance_payload(db.read(instances.get, instance_id),
                                       message=message))
