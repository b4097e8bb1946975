"""The internal API of configuration groups the REST controllers call:
create, find, change and delete groups; a change reaches every instance
the group is attached to."""

import logging

from trove_lite.configuration import parameters as catalogue
from trove_lite.configuration import validation
from trove_lite.db import api as db_api
from trove_lite.instance import api as instance_api
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
    datastore, version = instance_api.resolve_datastore_version(
        datastore_ref, allow_inactive=True)
    checked = _check(values, catalogue.of_version(version.id),
                     datastore.name, version.name)
    group = db_api.configuration_create(context.project_id, name,
                                        description, version.id, checked)
    LOG.info('Configuration group %s (%s) created for %s', group.id, name,
             context.project_id)
    return group


def get(context, group_id):
    """A group the caller may see: one of its project, or any project's
    for an admin; else ConfigurationNotFound."""
    return db_api.configuration_get(
        group_id, None if context.is_admin else context.project_id)


def update(context, group, values, replace, **columns):
    """Change a group's values (``replace``: PUT, they become ``values``;
    else PATCH, ``values`` are merged in) and ``name``/``description``,
    then bring every instance the group is attached to up to date."""
    parameters = catalogue.of_version(group.datastore_version_id)
    checked = _check(values, parameters, group.datastore_name,
                     group.datastore_version_name)
    old, new = db_api.configuration_update(group.id, checked, replace,
                                           **columns)
    LOG.info('Configuration group %s updated', group.id)
    if old != new:
        instance_configuration.reapply(context, group.id, old, new,
                                       parameters)


def delete(context, group):
    """Delete a group no instance uses (else 400, as Trove)."""
    db_api.configuration_delete(group.id)
    LOG.info('Configuration group %s deleted', group.id)
