"""Access changes on the taskmanager's side (Trove's ``update_access``):
the driver's rules follow the instance's new access while its server and
datastore keep running.

The API set task UPDATING and sent the new access; the stored access
changes only once the driver applied it, so what the API shows is what is
enforced. A failure leaves task UPDATING_ERROR_ACCESS with a fault (the
owner may send the access again); an update interrupted by a crash is
finished by housekeeping, which applies the stored access again.
"""

import logging

from trove_lite import db
from trove_lite.common import notifications
from trove_lite.conf import CONF
from trove_lite.db.repositories import instances
from trove_lite.records.status import InstanceTasks
from trove_lite.taskmanager import builds
from trove_lite.taskmanager import claims

LOG = logging.getLogger(__name__)

# Seconds an update waits for the instance's claim (housekeeping's).
CLAIM_WAIT = 60


def allowed_cidrs(access):
    """The CIDRs an access (a dict, or None) lets in; empty: everyone."""
    return list((access or {}).get('allowed_cidrs') or [])


def is_public(access):
    """Whether an access (a dict, or None) asks for a public address
    (Trove's default: no)."""
    return bool((access or {}).get('is_public'))


def with_public_address(addresses, address):
    """The instance's ``addresses`` with ``address`` (None: none) as its
    only public one, on the network of its first address."""
    kept = [entry for entry in addresses or []
            if entry.get('type') != 'public']
    if address is None:
        return kept
    network = kept[0].get('network') if kept else None
    return kept + [{'address': address, 'type': 'public',
                    'network': network}]


def apply(driver, instance, access):
    """Make the driver enforce ``access`` on the instance's server; the
    instance's addresses afterwards (its public one given or taken by a
    driver that gives them, else as they were)."""
    port = getattr(CONF, instance.datastore_manager or 'mysql').port
    driver.update_access(instance.id, instance.compute_instance_id, port,
                         allowed_cidrs(access))
    if not driver.gives_public_addresses():
        return instance.addresses
    public = driver.set_public(instance.id, instance.compute_instance_id,
                               is_public(access))
    return with_public_address(instance.addresses, public)


def _fail(instance_id, message, details=None):
    LOG.warning('Access update of %s failed: %s %s', instance_id, message,
                details or '')
    with db.transaction() as tx:
        if instances.update_if_task(tx, instance_id,
                                    InstanceTasks.UPDATING):
            instances.add_fault(tx, instance_id, message, details=details,
                                task=InstanceTasks.UPDATING_ERROR_ACCESS)


def update_access(context, driver, claim_registry, instance_id, access):
    """Apply ``access`` to an instance the API left UPDATING, then store
    it and clear the task."""
    try:
        with claim_registry.acquire(instance_id, 'update_access',
                                    wait=CLAIM_WAIT):
            instance = db.read(instances.find, instance_id)
            if instance is None or instance.task != InstanceTasks.UPDATING:
                LOG.warning('Access update of %s skipped: the instance is '
                            'gone or no longer updating', instance_id)
                return
            try:
                with notifications.EndNotification(
                        context, builds.PUBLISHER, 'update_access',
                        notifications.instance_payload(instance)):
                    addresses = apply(driver, instance, access)
            except Exception as error:
                _fail(instance_id, 'The new access could not be applied.',
                      details=str(error))
                return
            with db.transaction() as tx:
                instances.set_task_if(tx, instance_id,
                                      [InstanceTasks.UPDATING],
                                      InstanceTasks.NONE, access=access,
                                      addresses=addresses)
            LOG.info('Access of %s is now %s', instance_id, access)
    except claims.ClaimHeld as busy:
        _fail(instance_id, f'The new access was not applied: {busy}.')


def finish_interrupted(driver, instance):
    """An update whose taskmanager went away: the stored access (the one
    before the update) is applied again, so rules and record agree."""
    try:
        addresses = apply(driver, instance, instance.access)
    except Exception as error:
        _fail(instance.id, 'The access could not be restored after an '
                           'interrupted update.', details=str(error))
        return
    with db.transaction() as tx:
        instances.set_task_if(tx, instance.id, [InstanceTasks.UPDATING],
                              InstanceTasks.NONE, addresses=addresses)
