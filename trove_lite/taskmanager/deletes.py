"""Deleting an instance: its resources through the teardown path, then
its rows (soft delete, as Trove keeps them).

Used by the RPC endpoint and by housekeeping (a delete whose taskmanager
went away, or one that failed), always under the instance's claim.
"""

import logging

from trove_lite import db
from trove_lite.common import notifications
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.records.status import InstanceTasks
from trove_lite.taskmanager import backup_policies
from trove_lite.taskmanager import builds
from trove_lite.taskmanager import claims as instance_claims
from trove_lite.taskmanager import replicas
from trove_lite.taskmanager import teardown

LOG = logging.getLogger(__name__)

# Seconds a delete waits for another workflow on the same instance.
DELETE_CLAIM_WAIT = 300


def delete_instance(context, driver, claims, instance_id):
    """Delete the instance once no other workflow works on it; a delete
    that cannot get the claim is left to the periodic retry."""
    # A delete waits for whatever else works on the instance (a failing
    # build, reconciliation, another delete) instead of being lost.
    try:
        with claims.acquire(instance_id, 'delete', wait=DELETE_CLAIM_WAIT):
            delete_claimed(context, driver, instance_id)
    except instance_claims.ClaimHeld as busy:
        LOG.warning('%s; the periodic check will retry the delete', busy)


def delete_claimed(context, driver, instance_id):
    """The delete itself, for a caller holding the instance's claim."""
    instance = db.read(instances.find, instance_id)
    if instance is None:
        LOG.info('Delete of %s: already gone', instance_id)
        return
    if instance.task != InstanceTasks.DELETING:
        # Only the API's delete (which sets DELETING first) counts: a
        # delete_instance cast by anyone else changes nothing.
        LOG.warning('Delete of %s refused: its task is %s, not DELETING',
                    instance_id, instance.task.action)
        return
    backup_policies.archive_before_delete(context, instance)
    try:
        with notifications.EndNotification(
                context, builds.PUBLISHER, 'delete',
                notifications.instance_payload(instance)):
            _remove(driver, instance)
    except Exception:
        LOG.exception('Delete of %s failed', instance_id)
        return
    replicas.forget_account(context, instance.slave_of_id, instance_id)


def _remove(driver, instance):
    instance_id = instance.id
    try:
        teardown.remove_resources_of(driver, instance)
    except Exception as error:
        with db.transaction() as tx:
            instances.add_fault(tx, instance_id, f'Delete failed: {error}')
        raise
    with db.transaction() as tx:
        instances.soft_delete(tx, instance_id)
    # Apart: a heartbeat locks the lastseen row before the status row,
    # the delete the other way round.
    with db.transaction() as tx:
        heartbeats.forget_lastseen(tx, instance_id)
    LOG.info('Instance %s deleted', instance_id)
