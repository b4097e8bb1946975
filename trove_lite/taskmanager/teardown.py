"""The one teardown path: every kind of resource a build may make.

A failed build, a delete, a build failed by housekeeping and the orphan
reaper all remove an instance's resources here, so none of them can
forget a kind. Each kind removes what the instance's row records *and*
what was made for the instance but never recorded (a taskmanager killed
between "made" and "recorded"): drivers find those by the instance's id.

A flow that makes a new kind of resource (a broker user, a backup
container, ...) adds its remover to ``RESOURCE_KINDS``; the order is the
order of removal (a server goes before the volume it uses).
"""

import logging

from trove_lite.common import broker_users
from trove_lite.rpcapi import guestagent as guest_rpcapi

LOG = logging.getLogger(__name__)


def remove_servers(driver, instance):
    """The recorded server and any other server made for the instance."""
    found = {server.id for server in driver.list_servers()
             if server.instance_id == instance.id}
    if instance.compute_instance_id:
        found.add(instance.compute_instance_id)
    for server_id in sorted(found):
        driver.delete_server(server_id)


def remove_public_addresses(driver, instance):
    """Found by instance id: a floating IP outlives its server."""
    driver.release_public_addresses(instance.id)


def remove_ports(driver, instance):
    """The port of the instance's ``nics``, found by instance id; it
    holds the security group until it goes."""
    driver.delete_ports(instance.id)


def remove_volumes(driver, instance):
    """The recorded volume and any other volume made for the instance."""
    found = {volume.id for volume in driver.list_volumes()
             if volume.instance_id == instance.id}
    if instance.volume_id:
        found.add(instance.volume_id)
    for volume_id in sorted(found):
        driver.delete_volume(volume_id)


def remove_security_group(driver, instance):
    """Never recorded on the row: the driver finds it by instance id."""
    driver.delete_security_group(instance.id)


def remove_guest_queue(driver, instance):
    """The guest's RPC queue (and whatever requests wait in it)."""
    # Deleting a queue needs no key: nothing is sent to the guest.
    guest_rpcapi.API(instance.id, None).delete_queue()


def remove_broker_user(driver, instance):
    """The guest's own broker user (common.broker_users)."""
    broker_users.remove(instance.id)


RESOURCE_KINDS = [
    ('server', remove_servers),
    ('public address', remove_public_addresses),
    ('port', remove_ports),
    ('volume', remove_volumes),
    ('security group', remove_security_group),
    ('guest queue', remove_guest_queue),
    ('broker user', remove_broker_user),
]


def remove_resources_of(driver, instance):
    """Remove every kind of resource of ``instance`` (its record: ``id``,
    ``compute_instance_id``, ``volume_id``); missing pieces are fine, so a
    half-built or half-deleted instance can always go. Every kind is
    tried; the first error is raised after the others had their turn."""
    first_error = None
    for kind, remove in RESOURCE_KINDS:
        try:
            remove(driver, instance)
        except Exception as error:
            LOG.warning('Could not remove the %s of instance %s: %s', kind,
                        instance.id, error)
            first_error = first_error or error
    if first_error is not None:
        raise first_error
