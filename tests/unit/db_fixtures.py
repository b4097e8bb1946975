"""Control-plane rows for unit tests, written and read through the
repositories (each call in a transaction or read of its own)."""

from trove_lite import db
from trove_lite.db.repositories import configurations
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import quotas


def create_instance(values):
    """A new instance (task BUILDING, guest status NEW) with ``values``
    (its columns); its record."""
    with db.transaction() as tx:
        instance_id = instances.create(tx, values)
    return get_instance(instance_id)


def update_instance(instance_id, **values):
    with db.transaction() as tx:
        instances.update(tx, instance_id, **values)


def get_instance(instance_id):
    return db.read(instances.get, instance_id)


def list_instances(tenant_id, limit=100):
    return db.read(instances.list_page, tenant_id, limit)[0]


def soft_delete_instance(instance_id):
    with db.transaction() as tx:
        instances.soft_delete(tx, instance_id)


def reset_status(instance_id):
    with db.transaction() as tx:
        instances.reset_status(tx, instance_id)


def service_status(instance_id):
    return db.read(heartbeats.service_status, instance_id)


def set_service_status(instance_id, status):
    with db.transaction() as tx:
        heartbeats.set_service_status(tx, instance_id, status)


def create_group(tenant_id, name, version_id, values):
    """A configuration group; its record."""
    with db.transaction() as tx:
        group_id = configurations.create(tx, tenant_id, name, None,
                                         version_id, values)
    return db.read(configurations.get, group_id)


def group_values(group_id):
    return db.read(configurations.values, group_id)


def instance_overrides(instance_id):
    return db.read(configurations.values_of_instance, instance_id)


def quota_usages(tenant_id):
    return db.read(quotas.usages, tenant_id)
