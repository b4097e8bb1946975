"""JSON shapes of configuration groups and of the configuration parameters
(Trove's configuration views)."""

from oslo_utils import strutils

from trove_lite.api.views import common


def configuration(group):
    """A group in a list."""
    return {
        'id': group.id,
        'name': group.name,
        'description': group.description,
        'created': common.timestamp(group.created),
        'updated': common.timestamp(group.updated),
        'datastore_version_id': group.datastore_version_id,
        'datastore_name': group.datastore_name,
        'datastore_version_name': group.datastore_version_name,
    }


def configuration_detail(group, values, instance_count):
    """A group with its values (password-like ones masked, as Trove)."""
    return {
        'id': group.id,
        'name': group.name,
        'description': group.description,
        'values': strutils.mask_dict_password(values),
        'created': common.timestamp(group.created),
        'updated': common.timestamp(group.updated),
        'instance_count': instance_count,
        'datastore_name': group.datastore_name,
        'datastore_version_id': group.datastore_version_id,
        'datastore_version_name': group.datastore_version_name,
        'datastore_version_number': group.datastore_version_number,
    }


def attached_instances(found):
    """The instances a group is attached to, from (id, name) pairs."""
    return [{'id': instance_id, 'name': name}
            for instance_id, name in found]


def _bounds(parameter, min_key, max_key):
    # Trove shows a bound only when it is set and not 0.
    bounds = {}
    if parameter.max_size:
        bounds[max_key] = parameter.max_size
    if parameter.min_size:
        bounds[min_key] = parameter.min_size
    return bounds


def parameter(param, version_id):
    """A configuration parameter; ``values`` (and ``multiple``) only where
    trove-lite's parameter rules restricts a string."""
    view = {
        'name': param.name,
        'datastore_version_id': version_id,
        'restart_required': param.restart_required,
        'type': param.data_type,
        **_bounds(param, 'min', 'max'),
    }
    if param.allowed_values is not None:
        view['values'] = list(param.allowed_values)
        if param.multiple:
            view['multiple'] = True
    return view


def mgmt_parameter(param, version_id):
    """A configuration parameter as the management API shows it."""
    return {
        'name': param.name,
        'datastore_version_id': version_id,
        'restart_required': param.restart_required,
        'type': param.data_type,
        **_bounds(param, 'min_size', 'max_size'),
    }


def instance_configuration(settings):
    """``GET /instances/{id}/configuration``."""
    return {'instance': {'configuration': settings}}
