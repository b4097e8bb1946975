"""Restart and resize of a running instance (the taskmanager's side).

The API has set the task (REBOOTING, RESIZING) before casting; the
manager clears it when the action ends, whether it worked or not, as
Trove does: the instance then shows what its guest reports. Here is only
the work of each action, and the undo of a resize that failed halfway; the
manager gives back the quota usage the API charged for a resize that was
not recorded.
"""

import logging
import time

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db.repositories import configurations
from trove_lite.db.repositories import instances
from trove_lite.records.status import InstanceTasks

LOG = logging.getLogger(__name__)


def restart(context, instance, driver, guest, waiters):
    """Restart the datastore through the guest, then wait until the
    conductor has applied the guest's report of its status afterwards, so
    the API never shows the restart as over while the old status stands.

    A restart is when configuration values that need one take effect, so
    the guest first gets the values of the instance's configuration group
    again: a change that did not reach it before is not lost.

    A guest agent that is dead or hung cannot restart anything: then the
    server is rebooted instead, and its guest resumes the datastore it was
    prepared for (the way to recover an instance whose agent died)."""
    server = driver.get_server(instance.compute_instance_id) \
        if instance.compute_instance_id else None
    if server is not None and server.status == 'ACTIVE' and \
            guest.rpc_ping(context):
        guest.update_overrides(context, db.read(
            configurations.values_of_instance, instance.id))
        sent = guest.restart(context)
    else:
        if server is None:
            raise exceptions.ComputeError(
                reason=f'instance {instance.id} has no server to restart')
        LOG.warning('The guest of %s does not answer; rebooting its server',
                    instance.id)
        sent = time.time()  # the first report after the reboot is newer
        driver.reboot_server(server.id)
    if waiters.wait_for_report(instance.id, sent, CONF.reboot_time_out,
                               CONF.usage_sleep_time) is None:
        LOG.warning('Instance %s restarted, but its status report did not '
                    'arrive within %s seconds', instance.id,
                    CONF.reboot_time_out)


def resize_flavor(context, instance, driver, guest, waiters, old_flavor,
                  new_flavor):
    """Give the server the new flavor and size the datastore for it; if the
    guest cannot follow, server and datastore go back to the old flavor."""
    _resize_server(instance, driver, waiters, new_flavor)
    try:
        guest.apply_flavor(context, new_flavor['ram'])
    except Exception:
        LOG.warning('Instance %s could not take flavor %s; going back to '
                    'flavor %s', instance.id, new_flavor['id'],
                    old_flavor['id'])
        _resize_server(instance, driver, waiters, old_flavor)
        try:
            guest.apply_flavor(context, old_flavor['ram'])
        except Exception:
            LOG.exception('The guest of %s did not go back to flavor %s',
                          instance.id, old_flavor['id'])
        raise
    _record_resize(instance, flavor_id=new_flavor['id'])


def _resize_server(instance, driver, waiters, flavor):
    """Resize the server; where that restarted it, wait for its guest's
    first report after (a guest still booting cannot apply the flavor)."""
    driver.resize_server(instance.compute_instance_id, flavor)
    if not driver.resize_restarts_server:
        return
    resized = time.time()
    if waiters.wait_for_report(instance.id, resized, CONF.resize_time_out,
                               CONF.usage_sleep_time) is None:
        LOG.warning('The guest of %s did not report within %s seconds of '
                    'its server\'s resize', instance.id,
                    CONF.resize_time_out)


def resize_volume(context, instance, driver, guest, new_size):
    """Grow the volume, record its new size (it has grown even if the guest
    is slow to notice), and tell the guest."""
    driver.extend_volume(instance.volume_id, new_size)
    if _record_resize(instance, volume_size=new_size):
        guest.resize_fs(context)


def _record_resize(instance, **values):
    """Record the resize's outcome while the instance is still RESIZING;
    whether it was. A delete that set DELETING first has released the
    usage of the record as it then was, so the resize stays unrecorded
    and its charge is given back (the manager's refund follows the
    record): the quota counts exactly what was released."""
    with db.transaction() as tx:
        recorded = instances.update_if_task(tx, instance.id,
                                            InstanceTasks.RESIZING, **values)
    if not recorded:
        LOG.warning('Resize of %s not recorded: the instance is no longer '
                    'resizing (deleted or reset meanwhile)', instance.id)
    return recorded

