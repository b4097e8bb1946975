"""Configuration groups and their values (Trove's ``configurations`` and
``configuration_parameters``); values are JSON-encoded so they keep their
type."""

import json

import sqlalchemy as sa

from trove_lite.common import exceptions
from trove_lite.common.context import ALL_PROJECTS
from trove_lite.db import models
from trove_lite.db import sql
from trove_lite.records.configuration import ConfigurationGroup

_C = models.Configuration.__table__
_CV = models.ConfigurationValue.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_I = models.Instance.__table__

_COLUMNS = (
    _C.c.id, _C.c.name, _C.c.description, _C.c.tenant_id,
    _C.c.datastore_version_id, _C.c.created, _C.c.updated,
    _D.c.name.label('datastore_name'),
    _V.c.name.label('datastore_version_name'),
    _V.c.version.label('datastore_version_number'),
)
_FROM = (_C.join(_V, _V.c.id == _C.c.datastore_version_id)
         .join(_D, _D.c.id == _V.c.datastore_id))


def _groups(conn, *conditions, limit=None):
    query = (sa.select(*_COLUMNS).select_from(_FROM)
             .where(_C.c.deleted.is_(False), *conditions)
             .order_by(_C.c.id))
    if limit is not None:
        query = query.limit(limit)
    return [ConfigurationGroup(*row) for row in conn.execute(query)]


def _value_rows(configuration_id, values):
    return [{'configuration_id': configuration_id, 'configuration_key': key,
             'configuration_value': json.dumps(value)}
            for key, value in values.items()]


def create(tx, tenant_id, name, description, version_id, values):
    """A new group with its values; its id."""
    now = models.utcnow()
    configuration_id = sql.new_id()
    tx.execute(_C.insert().values(
        id=configuration_id, name=name, description=description,
        tenant_id=tenant_id, datastore_version_id=version_id,
        deleted=False, created=now, updated=now))
    if values:
        tx.execute(_CV.insert(), _value_rows(configuration_id, values))
    return configuration_id


def get(conn, configuration_id, project=ALL_PROJECTS):
    """An undeleted group of ``project`` (see sql.project_condition), or
    ConfigurationNotFound."""
    found = _groups(conn, _C.c.id == configuration_id,
                    sql.project_condition(_C.c.tenant_id, project))
    if not found:
        raise exceptions.ConfigurationNotFound(uuid=configuration_id)
    return found[0]


def list_page(conn, project, limit, marker=None):
    """One page of the groups of ``project`` (see sql.project_condition)
    ordered by id, plus whether another page follows."""
    groups = _groups(conn, _C.c.id > (marker or ''),
                     sql.project_condition(_C.c.tenant_id, project),
                     limit=limit + 1)
    return groups[:limit], len(groups) > limit


def values(conn, configuration_id):
    """A group's values, {name: value}."""
    rows = conn.execute(sa.select(_CV.c.configuration_key,
                                  _CV.c.configuration_value)
                        .where(_CV.c.configuration_id == configuration_id)
                        .order_by(_CV.c.configuration_key)).all()
    return {key: json.loads(value) for key, value in rows}


def values_of_instance(conn, instance_id):
    """The values of the group attached to an instance ({} when none):
    what its guest's server settings must hold."""
    rows = conn.execute(
        sa.select(_CV.c.configuration_key, _CV.c.configuration_value)
        .select_from(_I.join(_CV, _CV.c.configuration_id ==
                             _I.c.configuration_id))
        .where(_I.c.id == instance_id)).all()
    return {key: json.loads(value) for key, value in rows}


def lock(tx, configuration_id):
    """Lock an undeleted group's row until ``tx`` ends (attaching and
    deleting take this lock, so neither misses the other), or raise
    ConfigurationNotFound."""
    found = tx.execute(sa.select(_C.c.id).where(
        _C.c.id == configuration_id, _C.c.deleted.is_(False))
        .with_for_update()).first()
    if found is None:
        raise exceptions.ConfigurationNotFound(uuid=configuration_id)


def update(tx, configuration_id, new_values, replace, **columns):
    """Change a group under its lock: its values (with ``replace`` they
    become ``new_values``, else those are merged into them) and any
    ``name``/``description``. Returns (old values, new values);
    ConfigurationNotFound once it is deleted."""
    lock(tx, configuration_id)
    old = values(tx, configuration_id)
    new = dict(new_values) if replace else {**old, **new_values}
    tx.execute(_C.update().where(_C.c.id == configuration_id)
               .values(updated=models.utcnow(), **columns))
    tx.execute(_CV.delete().where(_CV.c.configuration_id ==
                                  configuration_id))
    if new:
        tx.execute(_CV.insert(), _value_rows(configuration_id, new))
    return old, new


def delete(tx, configuration_id):
    """Delete a locked group (soft delete, as Trove) and its values."""
    now = models.utcnow()
    tx.execute(_CV.delete().where(_CV.c.configuration_id ==
                                  configuration_id))
    tx.execute(_C.update().where(_C.c.id == configuration_id)
               .values(deleted=True, deleted_at=now, updated=now))
