"""The internal API of the catalogue: datastores and their versions,
flavors, and the configuration parameters of each version. The REST
controllers, trove-lite-manage and the other services read and change the
catalogue through it."""

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.db.repositories import catalogue
from trove_lite.db.repositories import configuration_parameters


def datastores_with_versions(active_only=False):
    """``[(datastore, [its versions by name])]``, in one read."""
    return db.read(catalogue.list_datastores_with_versions, active_only)


def find_datastore(id_or_name):
    """A datastore by id or name, or DatastoreNotFound."""
    return db.read(catalogue.find_datastore, id_or_name)


def versions(datastore_id, active_only=False):
    """The versions of a datastore, by name."""
    return db.read(catalogue.list_versions, datastore_id, active_only)


def get_version(version_id):
    """A datastore version by id, or DatastoreVersionNotFound."""
    return db.read(catalogue.get_version, version_id)


def find_version(datastore, id_or_name, version_number=None):
    """A version of ``datastore`` by id or name (Trove's rules: an unknown
    UUID is 404, an unknown or ambiguous name is 400)."""
    return db.read(catalogue.find_version, datastore, id_or_name,
                   version_number)


def resolve_datastore_version(datastore_ref, allow_inactive=False):
    """The (datastore, version) a request names, with Trove's defaults
    and errors; an inactive version only with ``allow_inactive``."""
    type_ref = datastore_ref.get('type') or CONF.default_datastore
    if not type_ref:
        raise exceptions.DatastoreDefaultDatastoreNotFound()
    datastore = find_datastore(type_ref)
    version_ref = datastore_ref.get('version')
    if version_ref:
        version = find_version(datastore, version_ref,
                               datastore_ref.get('version_number'))
    elif datastore.default_version_id:
        version = get_version(datastore.default_version_id)
    else:
        raise exceptions.DatastoreDefaultVersionNotFound(
            datastore=datastore.name)
    if not (version.active or allow_inactive):
        raise exceptions.DatastoreVersionInactive(version=version.name)
    return datastore, version


def save_datastore(name, default_version=None):
    """Create or update a datastore; ``default_version`` is a version's
    name."""
    with db.transaction() as tx:
        return catalogue.save_datastore(tx, name, default_version)


def save_version(datastore_name, name, manager, image_id=None,
                 packages=None, active=True, version=None):
    """Create or update a version (matched by datastore, name and version
    number)."""
    with db.transaction() as tx:
        return catalogue.save_version(
            tx, datastore_name, name, manager, image_id=image_id,
            packages=packages, active=active, version=version)


def flavors():
    return db.read(catalogue.list_flavors)


def get_flavor(flavor_id):
    """A flavor by id, or None."""
    return db.read(catalogue.get_flavor, flavor_id)


def save_flavor(flavor_id, name, ram, vcpus, disk=0, ephemeral=0):
    """Create or update a flavor."""
    with db.transaction() as tx:
        return catalogue.save_flavor(tx, flavor_id, name, ram, vcpus,
                                     disk=disk, ephemeral=ephemeral)


def parameters(version_id):
    """The configuration parameters of a datastore version, by name (a
    list of datastore.parameters.Parameter)."""
    return db.read(configuration_parameters.list_parameters, version_id)


def parameters_by_name(version_id):
    """The configuration parameters of a datastore version, {name:
    Parameter}."""
    return {parameter.name: parameter
            for parameter in parameters(version_id)}


def get_parameter(version_id, name):
    """One parameter of a version by name (in any case), or None."""
    return db.read(configuration_parameters.get, version_id, name)


def add_parameter(version_id, parameter):
    """Add a Parameter to a version; ConfigurationParameterAlreadyExists
    when it has one of that name."""
    with db.transaction() as tx:
        configuration_parameters.create(tx, version_id, parameter)


def update_parameter(version_id, name, parameter):
    """Replace the parameter ``name`` of a version; whether there was
    one."""
    with db.transaction() as tx:
        return configuration_parameters.update(tx, version_id, name,
                                               parameter)


def delete_parameter(version_id, name):
    """Remove a parameter from a version; whether there was one."""
    with db.transaction() as tx:
        return configuration_parameters.delete(tx, version_id, name)


def load_parameters(version_id, loaded):
    """Create or update Parameters (``loaded``) of a version together;
    (created, updated) counts. Parameters not among them stay as they
    are."""
    with db.transaction() as tx:
        return configuration_parameters.load(tx, version_id, loaded)
