"""``/instances/{id}/databases``: list, create, delete."""

import pecan

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import common as common_views
from trove_lite.api.views import databases as views
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.instance import databases as databases_api

RULE = 'instance:extension:database:%s'

# Trove answers a single database's GET with webob's 501.
NOT_IMPLEMENTED = ('The server has either erred or is incapable of '
                   'performing the requested operation.')


class DatabasesController(base.NamedMembersController):

    @pecan.expose('json')
    def get_all(self, instance_id):
        limit = base.page_limit(CONF.databases_page_size)
        record = base.authorized_instance(instance_id, RULE % 'index')
        specs, next_marker = databases_api.list_databases(
            base.context(), record, limit, pecan.request.GET.get('marker'))
        result = views.databases(specs)
        if next_marker:
            result['links'] = common_views.next_page_links(next_marker)
        return result

    @pecan.expose('json')
    def get_one(self, instance_id, name):
        base.authorized_instance(instance_id, RULE % 'show')
        raise exceptions.NotImplementedYet(NOT_IMPLEMENTED)

    @pecan.expose('json')
    def post(self, instance_id):
        databases = validation.databases(
            validation.body_object_value(base.json_body(), 'databases'),
            'databases')
        record = base.authorized_instance(instance_id, RULE % 'create')
        databases_api.create(base.context(), record, databases)
        return base.empty_response(202)

    @pecan.expose('json')
    def delete(self, instance_id, name):
        name = validation.database_name(name, 'database')
        record = base.authorized_instance(instance_id, RULE % 'delete')
        databases_api.delete(base.context(), record, name)
        return base.empty_response(202)
