"""``/datastores``, their versions, ``/datastores/versions/{uuid}``, and
the configuration parameters of a version (see parameters)."""

import pecan
from pecan import rest

from trove_lite.api.controllers import base
from trove_lite.api.controllers.v1 import parameters
from trove_lite.api.views import catalogue as views
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import policy

# The rule of GET /datastores/{ds}[/versions[/{version}]], by the number
# of path segments after the datastore.
_RULES = ('datastore:show', 'datastore:version_index',
          'datastore:version_show')


def _is_admin():
    return base.context().is_admin


def _versions(datastore):
    return catalogue_api.versions(datastore.id, active_only=not _is_admin())


class DatastoresController(rest.RestController):
    """One handler dispatches the nested paths: Pecan's sub-controller
    routing cannot tell ``/datastores/versions/{uuid}`` from
    ``/datastores/{name}/versions``."""

    @pecan.expose('json')
    def get_all(self):
        policy.authorize(base.context(), 'datastore:index')
        is_admin = _is_admin()
        return {'datastores': [
            views.datastore(row, versions, is_admin)
            for row, versions in catalogue_api.datastores_with_versions(
                active_only=not is_admin)]}

    @pecan.expose('json')
    def get_one(self, datastore_ref, *remainder):
        found = parameters.route((datastore_ref, *remainder))
        if found is not None:
            return found
        if datastore_ref == 'versions' and len(remainder) == 1:
            policy.authorize(base.context(), 'datastore:version_show_by_uuid')
            row = catalogue_api.get_version(remainder[0])
            return {'version': views.version(row, _is_admin())}
        if remainder and (remainder[0] != 'versions' or len(remainder) > 2):
            raise exceptions.NotFound(uuid='/'.join(remainder))
        policy.authorize(base.context(), _RULES[len(remainder)])
        datastore = catalogue_api.find_datastore(datastore_ref)
        if not remainder:
            return {'datastore': views.datastore(
                datastore, _versions(datastore), _is_admin())}
        if len(remainder) == 1:
            return {'versions': [views.version(row, _is_admin())
                                 for row in _versions(datastore)]}
        row = catalogue_api.find_version(datastore, remainder[1])
        return {'version': views.version(row, _is_admin())}
