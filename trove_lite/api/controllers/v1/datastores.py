"""``/datastores``, their versions, ``/datastores/versions/{uuid}``, and
the parameter catalogue of a version (see parameters)."""

import pecan
from pecan import rest

from trove_lite.api.controllers import base
from trove_lite.api.controllers.v1 import parameters
from trove_lite.api.views import catalogue as views
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.db import api as db_api

# The rule of GET /datastores/{ds}[/versions[/{version}]], by the number
# of path segments after the datastore.
_RULES = ('datastore:show', 'datastore:version_index',
          'datastore:version_show')


def _is_admin():
    return base.context().is_admin


def _versions(datastore):
    return db_api.version_list(datastore.id, active_only=not _is_admin())


class DatastoresController(rest.RestController):
    """One handler dispatches the nested paths: Pecan's sub-controller
    routing cannot tell ``/datastores/versions/{uuid}`` from
    ``/datastores/{name}/versions``."""

    @pecan.expose('json')
    def get_all(self):
        policy.authorize(base.context(), 'datastore:index')
        return {'datastores': [
            views.datastore(row, _versions(row), _is_admin())
            for row in db_api.datastore_list()]}

    @pecan.expose('json')
    def get_one(self, datastore_ref, *remainder):
        catalogue = parameters.route((datastore_ref, *remainder))
        if catalogue is not None:
            return catalogue
        if datastore_ref == 'versions' and len(remainder) == 1:
            policy.authorize(base.context(), 'datastore:version_show_by_uuid')
            row = db_api.version_get(remainder[0])
            return {'version': views.version(row, _is_admin())}
        if remainder and (remainder[0] != 'versions' or len(remainder) > 2):
            raise exceptions.NotFound(uuid='/'.join(remainder))
        policy.authorize(base.context(), _RULES[len(remainder)])
        datastore = db_api.datastore_find(datastore_ref)
        if not remainder:
            return {'datastore': views.datastore(
                datastore, _versions(datastore), _is_admin())}
        if len(remainder) == 1:
            return {'versions': [views.version(row, _is_admin())
                                 for row in _versions(datastore)]}
        row = db_api.version_find(datastore, remainder[1])
        return {'version': views.version(row, _is_admin())}
