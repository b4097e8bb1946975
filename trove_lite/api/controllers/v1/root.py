"""``/instances/{id}/root``: is root enabled, enable it, disable it."""

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import root as views
from trove_lite.instance import root as root_api


class RootController(rest.RestController):

    @pecan.expose('json')
    def get_all(self, instance_id):
        return views.root_enabled(
            root_api.is_enabled(base.context(), instance_id))

    @pecan.expose('json')
    def post(self, instance_id):
        password = validation.root_password(base.optional_json_body())
        root = root_api.enable(base.context(), instance_id, password)
        return views.root_created(root)

    @pecan.expose('json')
    def delete(self, instance_id):
        root_api.disable(base.context(), instance_id)
        return base.empty_response(204)
