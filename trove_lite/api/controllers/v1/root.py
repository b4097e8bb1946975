"""``/instances/{id}/root``: is root enabled, enable it, disable it."""

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import root as views
from trove_lite.instance import root as root_api

RULE = 'instance:extension:root:%s'


class RootController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, instance_id):
        record = base.authorized_instance(instance_id, RULE % 'index')
        return views.root_enabled(root_api.is_enabled(base.context(),
                                                      record))

    @pecan.expose('json')
    def post(self, instance_id):
        password = validation.root_password(base.optional_json_body())
        record = base.authorized_instance(instance_id, RULE % 'create')
        return views.root_created(root_api.enable(base.context(), record,
                                                  password))

    @pecan.expose('json')
    def delete(self, instance_id):
        record = base.authorized_instance(instance_id, RULE % 'delete')
        root_api.disable(base.context(), record)
        return base.empty_response(204)
