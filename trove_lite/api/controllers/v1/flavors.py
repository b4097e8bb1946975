"""``/flavors``: the flavor catalogue."""

import pecan
from pecan import rest

from trove_lite.api.controllers import base
from trove_lite.api.views import catalogue as views
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import policy


class FlavorsController(rest.RestController):

    @pecan.expose('json')
    def get_all(self):
        policy.authorize(base.context(), 'flavor:index')
        return {'flavors': [views.flavor(row)
                            for row in catalogue_api.flavors()]}

    @pecan.expose('json')
    def get_one(self, flavor_id):
        policy.authorize(base.context(), 'flavor:show')
        row = catalogue_api.get_flavor(flavor_id)
        if row is None:
            raise exceptions.NotFound(uuid=flavor_id)
        return {'flavor': views.flavor(row)}
