"""The parameter catalogue of a datastore version, under
``/datastores/{ds}/versions/{version}/parameters[/{name}]`` and
``/datastores/versions/{uuid}/parameters[/{name}]`` (routed here by the
datastores controller). A single parameter is the bare object, as in
Trove."""

from trove_lite.api.controllers import base
from trove_lite.api.views import configurations as views
from trove_lite.common import exceptions
from trove_lite.common import policy
from trove_lite.configuration import parameters as catalogue
from trove_lite.db import api as db_api


def route(path):
    """The response for a datastore path that names parameters, or None
    when ``path`` (the segments after ``/datastores``) names none."""
    if len(path) in (3, 4) and path[0] == 'versions' and \
            path[2] == 'parameters':
        version = db_api.version_get(path[1])
        return _respond(version, path[3:], '_by_version')
    if len(path) in (4, 5) and path[1] == 'versions' and \
            path[3] == 'parameters':
        datastore = db_api.datastore_find(path[0])
        version = db_api.version_find(datastore, path[2])
        return _respond(version, path[4:], '')
    return None


def _respond(version, name, suffix):
    context = base.context()
    if not name:
        policy.authorize(context, f'configuration-parameter:index{suffix}')
        return {'configuration-parameters': [
            views.parameter(catalogue.Parameter.from_row(row), version.id)
            for row in db_api.parameter_list(version.id)]}
    policy.authorize(context, f'configuration-parameter:show{suffix}')
    row = db_api.parameter_get(version.id, name[0])
    if row is None:
        raise exceptions.NotFound(uuid=name[0])
    return views.parameter(catalogue.Parameter.from_row(row), version.id)
