"""The configuration parameters of a datastore version, under
``/datastores/{ds}/versions/{version}/parameters[/{name}]`` and
``/datastores/versions/{uuid}/parameters[/{name}]`` (routed here by the
datastores controller). A single parameter is the bare object, as in
Trove."""

from trove_lite.api.controllers import base
from trove_lite.api.views import configurations as views
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import policy


def route(path):
    """The response for a datastore path that names parameters, or None
    when ``path`` (the segments after ``/datastores``) names none."""
    if len(path) in (3, 4) and path[0] == 'versions' and \
            path[2] == 'parameters':
        version = catalogue_api.get_version(path[1])
        return _respond(version, path[3:], '_by_version')
    if len(path) in (4, 5) and path[1] == 'versions' and \
            path[3] == 'parameters':
        datastore = catalogue_api.find_datastore(path[0])
        version = catalogue_api.find_version(datastore, path[2])
        return _respond(version, path[4:], '')
    return None


def _respond(version, name, suffix):
    context = base.context()
    if not name:
        policy.authorize(context, f'configuration-parameter:index{suffix}')
        return {'configuration-parameters': [
            views.parameter(parameter, version.id)
            for parameter in catalogue_api.parameters(version.id)]}
    policy.authorize(context, f'configuration-parameter:show{suffix}')
    parameter = catalogue_api.get_parameter(version.id, name[0])
    if parameter is None:
        raise exceptions.NotFound(uuid=name[0])
    return views.parameter(parameter, version.id)
