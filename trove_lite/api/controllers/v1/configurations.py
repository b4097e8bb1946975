"""``/configurations``: configuration groups, and the instances each is
attached to. Trove's status codes, the odd ones included: create answers
200 with the group, PUT 202 and PATCH 200, both without a body."""

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import common as common_views
from trove_lite.api.views import configurations as views
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.conf import CONF
from trove_lite.configuration import groups


def _values(configuration, required):
    if 'values' not in configuration:
        if required:
            validation.fail('configuration', "'values' is a required "
                                             "property")
        return {}
    return validation.require_object(configuration['values'],
                                     "configuration['values']")


def _names(configuration):
    """The ``name`` and ``description`` a body sets."""
    columns = {}
    for key in ('name', 'description'):
        if configuration.get(key) is not None:
            columns[key] = validation.non_empty_name(
                configuration[key], f"configuration['{key}']")
    return columns


def parse_create(body):
    """(name, description, values, datastore reference) of a create."""
    configuration = validation.body_object(body, 'configuration')
    name = validation.non_empty_name(configuration.get('name'),
                                     "configuration['name']")
    values = _values(configuration, required=True)
    datastore = {}
    if configuration.get('datastore') is not None:
        datastore = validation.datastore_ref(
            configuration['datastore'], "configuration['datastore']")
    return name, _names(configuration).get('description'), values, \
        datastore


class ConfigurationsController(rest.RestController):

    def _group(self, group_id, rule):
        context = base.context()
        group = groups.get(context, group_id)
        policy.authorize(context, rule, {'tenant': group.tenant_id})
        return group

    @pecan.expose('json')
    def get_all(self):
        context = base.context()
        policy.authorize(context, 'configuration:index')
        limit = base.page_limit(CONF.configurations_page_size)
        found, more = groups.list_page(context, limit,
                                       pecan.request.GET.get('marker'))
        result = {'configurations': [views.configuration(group)
                                     for group in found]}
        if more:
            result['links'] = common_views.next_page_links(found[-1].id)
        return result

    @pecan.expose('json')
    def get_one(self, group_id, *remainder):
        if remainder == ('instances',):
            return self._instances(group_id)
        if remainder:
            raise exceptions.NotFound(uuid='/'.join(remainder))
        group = self._group(group_id, 'configuration:show')
        return {'configuration': views.configuration_detail(
            group, groups.values_of(group),
            groups.instance_count(base.context(), group))}

    def _instances(self, group_id):
        group = self._group(group_id, 'configuration:instances')
        limit = base.page_limit(CONF.instances_page_size)
        found, more = groups.instances_page(
            base.context(), group, limit, pecan.request.GET.get('marker'))
        result = {'instances': views.attached_instances(found)}
        if more:
            instance_id, _name = found[-1]
            result['links'] = common_views.next_page_links(instance_id)
        return result

    @pecan.expose('json')
    def post(self):
        context = base.context()
        policy.authorize(context, 'configuration:create')
        name, description, values, datastore = parse_create(
            base.json_body())
        group = groups.create(context, name, description, values,
                              datastore)
        return {'configuration': views.configuration_detail(
            group, groups.values_of(group), 0)}

    @pecan.expose('json')
    def put(self, group_id):
        """Replace the group's values (all of them: those the body does
        not give are gone) and set its name or description."""
        body = base.json_body()
        group = self._group(group_id, 'configuration:update')
        configuration = validation.body_object(body, 'configuration')
        groups.update(base.context(), group,
                      _values(configuration, required=False), replace=True,
                      **_names(configuration))
        return base.empty_response(202)

    @pecan.expose('json')
    def patch(self, group_id):
        """Merge values into the group."""
        body = base.json_body()
        group = self._group(group_id, 'configuration:edit')
        configuration = validation.body_object(body, 'configuration')
        groups.update(base.context(), group,
                      _values(configuration, required=False),
                      replace=False)
        return base.empty_response(200)

    @pecan.expose('json')
    def delete(self, group_id):
        group = self._group(group_id, 'configuration:delete')
        groups.delete(base.context(), group)
        return base.empty_response(202)
