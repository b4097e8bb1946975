"""The configuration parameters of each datastore version (Trove's
``datastore_configuration_parameters``), as
datastore.parameters.Parameter objects."""

import sqlalchemy as sa

from trove_lite.common import exceptions
from trove_lite.datastore.parameters import Parameter
from trove_lite.db import models
from trove_lite.db import sql

_P = models.DatastoreConfigurationParameter.__table__


def _of_version(version_id):
    return _P.c.datastore_version_id == version_id


def _named(name):
    return sa.func.lower(_P.c.name) == name.lower()


def list_parameters(conn, version_id):
    """The parameters of a datastore version, by name."""
    return [Parameter.from_row(row) for row in conn.execute(
        sa.select(_P).where(_of_version(version_id)).order_by(_P.c.name))]


def get(conn, version_id, name):
    """One parameter by name (in any case), or None."""
    row = conn.execute(sa.select(_P).where(
        _of_version(version_id), _named(name))).first()
    return None if row is None else Parameter.from_row(row)


def create(tx, version_id, parameter):
    """Add ``parameter`` to a version's parameter rules;
    ConfigurationParameterAlreadyExists when it has one of that name."""
    try:
        tx.execute(_P.insert().values(
            id=sql.new_id(), datastore_version_id=version_id,
            created=models.utcnow(), **parameter.row_values()))
    except sa.exc.IntegrityError:
        raise exceptions.ConfigurationParameterAlreadyExists(
            parameter_name=parameter.name,
            datastore_version=version_id) from None


def update(tx, version_id, name, parameter):
    """Replace the parameter ``name`` (in any case) of a version's
    rules with ``parameter``; whether there was one."""
    return tx.execute(_P.update().where(
        _of_version(version_id), _named(name))
        .values(**parameter.row_values())).rowcount > 0


def delete(tx, version_id, name):
    """Remove a parameter from a version's parameter rules; whether there was
    one."""
    return tx.execute(_P.delete().where(
        _of_version(version_id), _named(name))).rowcount > 0


def load(tx, version_id, parameters):
    """Create or update many parameters of a version; returns (created,
    updated) counts. Parameters not among them stay as they are."""
    existing = set(tx.execute(sa.select(_P.c.name).where(
        _of_version(version_id))).scalars())
    created = updated = 0
    now = models.utcnow()
    for parameter in parameters:
        values = parameter.row_values()
        if parameter.name in existing:
            tx.execute(_P.update().where(
                _of_version(version_id), _P.c.name == parameter.name)
                .values(**values))
            updated += 1
        else:
            tx.execute(_P.insert().values(
                id=sql.new_id(), datastore_version_id=version_id,
                created=now, **values))
            existing.add(parameter.name)
            created += 1
    return created, updated
