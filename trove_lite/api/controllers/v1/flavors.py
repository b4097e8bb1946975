"""``/flavors``: the flavor catalogue."""

import pecan
from pecan import rest

from trove_lite.api.controllers import base
from trove_lite.api.views import catalogue as views
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.db import api as db_api


class FlavorsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self):
        policy.authorize(base.context(), 'flavor:index')
        return {'flavors': [views.flavor(row)
                            for row in db_api.flavor_list()]}

    @pecan.expose('json')
    def get_one(self, flavor_id):
        policy.authorize(base.context(), 'flavor:show')
        row = db_api.flavor_get(flavor_id)
        if row is None:
            raise exceptions.NotFound(uuid=flavor_id)
        return {'flavor': views.flavor(row)}
