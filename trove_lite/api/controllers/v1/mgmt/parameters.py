"""``/mgmt/datastores/versions/{version_id}/parameters[/{name}]``: the
administrators' side of the configuration parameters (list, show, create,
update, delete), admin-only (else 401) as in Trove."""

import dataclasses

import pecan
from pecan import rest

from trove_lite.api import validation
from trove_lite.api.controllers import base
from trove_lite.api.views import configurations as views
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.datastore import parameters as config_parameters

BODY_KEY = 'configuration-parameter'


def _bound(value, path, data_type):
    """A bound as Trove's schema takes it (digits in a string) or as a
    JSON number."""
    if isinstance(value, str):
        try:
            return float(value) if data_type == 'float' else int(value)
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if data_type == 'float' else value
    validation.fail(path, f'{value!r} is not a number')


def parse_parameter(body, manager, name=None):
    """The Parameter a create or update body describes for a version of
    ``manager`` (an update keeps the ``name`` of its path)."""
    if not body:
        raise exceptions.BadRequest('Invalid request body.')
    value = validation.body_object(body, BODY_KEY)
    for key in ('name', 'restart_required', 'data_type'):
        if key not in value:
            validation.fail(BODY_KEY, f"'{key}' is a required property")
    restart_required = value['restart_required']
    if restart_required not in (0, 1):  # also True and False
        validation.fail(f"{BODY_KEY}['restart_required']",
                        f'{restart_required!r} is not one of [0, 1]')
    data_type = value['data_type']
    if data_type not in config_parameters.TYPES:
        validation.fail(f"{BODY_KEY}['data_type']",
                        f'{data_type!r} is not one of '
                        f'{config_parameters.TYPES}')
    bounds = {}
    for key in ('min_size', 'max_size'):
        if value.get(key) is not None:
            bounds[key] = _bound(value[key], f"{BODY_KEY}['{key}']",
                                 data_type)
        elif data_type in ('integer', 'float'):
            raise exceptions.BadRequest(
                f'{key} is required for {data_type} data type.')
    if len(bounds) == 2 and bounds['max_size'] < bounds['min_size']:
        raise exceptions.BadRequest(
            'max_size must be greater than or equal to min_size.')
    try:
        parameter = config_parameters.Parameter(
            name=name or value['name'], data_type=data_type,
            restart_required=bool(restart_required), **bounds)
        config_parameters.check_settable(manager, [parameter])
    except config_parameters.ParameterRuleError as error:
        validation.fail(BODY_KEY, str(error))
    return parameter


class MgmtDatastoresController(rest.RestController):
    """Only ``versions/{version_id}/parameters`` lives here."""

    def _version(self, path, with_name):
        if not base.context().is_admin:
            raise exceptions.Unauthorized()
        if len(path) != 3 + with_name or path[0] != 'versions' or \
                path[2] != 'parameters':
            raise exceptions.NotFound(uuid='/'.join(path))
        return catalogue_api.get_version(path[1])

    @pecan.expose('json')
    def get_one(self, *path):
        version = self._version(path, with_name=len(path) == 4)
        if len(path) == 3:
            return {'configuration-parameters': [
                views.mgmt_parameter(parameter, version.id)
                for parameter in catalogue_api.parameters(version.id)]}
        parameter = catalogue_api.get_parameter(version.id, path[3])
        if parameter is None:
            raise exceptions.NotFound(uuid=path[3])
        return views.mgmt_parameter(parameter, version.id)

    @pecan.expose('json')
    def post(self, *path):
        version = self._version(path, with_name=False)
        parameter = parse_parameter(base.optional_json_body(),
                                    version.manager)
        catalogue_api.add_parameter(version.id, parameter)
        return views.mgmt_parameter(parameter, version.id)

    @pecan.expose('json')
    def put(self, *path):
        version = self._version(path, with_name=True)
        existing = catalogue_api.get_parameter(version.id, path[3])
        if existing is None:
            raise exceptions.NotFound(uuid=path[3])
        parameter = parse_parameter(base.optional_json_body(),
                                    version.manager, name=existing.name)
        if parameter.data_type == existing.data_type == 'string':
            # The management API knows no allowed values: keep them.
            parameter = dataclasses.replace(
                parameter, allowed_values=existing.allowed_values,
                multiple=existing.multiple)
        catalogue_api.update_parameter(version.id, existing.name, parameter)
        return views.mgmt_parameter(parameter, version.id)

    @pecan.expose('json')
    def delete(self, *path):
        version = self._version(path, with_name=True)
        if not catalogue_api.delete_parameter(version.id, path[3]):
            raise exceptions.ConfigurationParameterNotInDatabase(
                name=path[3])
        return base.empty_response(204)
