"""The internal API of configuration groups the REST controllers call:
create, find, list, change and delete groups; a change reaches every
instance the group is attached to."""

import logging

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.configuration import validation
from trove_lite.db.repositories import configurations
from trove_lite.db.repositories import instances
from trove_lite.instance import configuration as instance_configuration

LOG = logging.getLogger(__name__)


def _check(values, parameters, datastore_name, version_name):
    return validation.check_values(values, parameters.values(),
                                   datastore_name, version_name)


def create(context, name, description, values, datastore_ref):
    """A new group of the caller's project for the datastore version
    ``datastore_ref`` names (its default version by default; an inactive
    version may have groups, as in Trove). Nothing is stored unless every
    value is good."""
    datastore, version = catalogue_api.resolve_datastore_version(
        datastore_ref, allow_inactive=True)
    checked = _check(values, catalogue_api.parameters_by_name(version.id),
                     datastore.name, version.name)
    with db.transaction() as tx:
        group_id = configurations.create(tx, context.project_id, name,
                                         description, version.id, checked)
    LOG.info('Configuration group %s (%s) created for %s', group_id, name,
             context.project_id)
    return db.read(configurations.get, group_id)


def get(context, group_id):
    """A group the caller may see: one of its project, or any project's
    for an admin; else ConfigurationNotFound."""
    return db.read(configurations.get, group_id,
                   policy.visible_projects(context, context.project_id))


def list_page(context, limit, marker=None):
    """One page of the groups the caller may see, ordered by id, plus
    whether another page follows."""
    return db.read(configurations.list_page,
                   policy.visible_projects(context, context.project_id),
                   limit, marker)


def values_of(group):
    """A group's values, {name: value}."""
    return db.read(configurations.values, group.id)


def instance_count(context, group):
    """How many instances the group is attached to (of its own project,
    unless the caller is an admin)."""
    return db.read(instances.count_with_configuration, group.id,
                   policy.visible_projects(context, group.tenant_id))


def instances_page(context, group, limit, marker=None):
    """One page of the instances the group is attached to, (id, name)
    ordered by id, plus whether another page follows."""
    return db.read(instances.page_with_configuration, group.id,
                   policy.visible_projects(context, group.tenant_id),
                   limit, marker)


def update(context, group, values, replace, **columns):
    """Change a group's values (``replace``: PUT, they become ``values``;
    else PATCH, ``values`` are merged in) and ``name``/``description``,
    then have every instance the group is attached to brought up to date
    (taskmanager tasks: the request waits on no guest)."""
    parameters = catalogue_api.parameters_by_name(group.datastore_version_id)
    checked = _check(values, parameters, group.datastore_name,
                     group.datastore_version_name)
    with db.transaction() as tx:
        old, new = configurations.update(tx, group.id, checked, replace,
                                         **columns)
    LOG.info('Configuration group %s updated', group.id)
    if old != new:
        instance_configuration.reapply(context, group.id, old, new)


def delete(context, group):
    """Delete a group no instance uses (else 400, as Trove)."""
    # Under the group's lock: an attach waits, then finds it deleted.
    with db.transaction() as tx:
        configurations.lock(tx, group.id)
        if instances.count_with_configuration(tx, group.id):
            raise exceptions.InstanceAssignedToConfiguration()
        configurations.delete(tx, group.id)
    LOG.info('Configuration group %s deleted', group.id)
