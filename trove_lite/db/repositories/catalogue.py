"""Datastores, their versions, and flavors."""

import sqlalchemy as sa

from trove_lite.common import exceptions
from trove_lite.db import models
from trove_lite.db import sql
from trove_lite.records.catalogue import Datastore
from trove_lite.records.catalogue import DatastoreVersion
from trove_lite.records.catalogue import Flavor

_D = models.Datastore.__table__
_V = models.DatastoreVersion.__table__
_FL = models.Flavor.__table__


def _datastores(conn, *conditions):
    return [Datastore(**row._mapping) for row in conn.execute(
        sa.select(_D).where(*conditions).order_by(_D.c.name))]


def _versions(conn, *conditions):
    return [DatastoreVersion(**row._mapping) for row in conn.execute(
        sa.select(_V).where(*conditions).order_by(_V.c.name))]


def list_datastores_with_versions(conn, active_only=False):
    """``[(datastore, [its versions by name])]`` by datastore name, in
    two statements however many datastores there are."""
    versions = {}
    for version in list_versions(conn, active_only=active_only):
        versions.setdefault(version.datastore_id, []).append(version)
    return [(datastore, versions.get(datastore.id, []))
            for datastore in _datastores(conn)]


def find_datastore(conn, id_or_name):
    """A datastore by id or name, or DatastoreNotFound."""
    found = _datastores(conn, sa.or_(_D.c.id == id_or_name,
                                     _D.c.name == id_or_name))
    if not found:
        raise exceptions.DatastoreNotFound(datastore=id_or_name)
    return found[0]


def list_versions(conn, datastore_id=None, active_only=False):
    conditions = []
    if datastore_id:
        conditions.append(_V.c.datastore_id == datastore_id)
    if active_only:
        conditions.append(_V.c.active.is_(True))
    return _versions(conn, *conditions)


def get_version(conn, version_id):
    """A datastore version by id, or DatastoreVersionNotFound."""
    found = _versions(conn, _V.c.id == version_id)
    if not found:
        raise exceptions.DatastoreVersionNotFound(version=version_id)
    return found[0]


def find_version(conn, datastore, id_or_name, version_number=None):
    """A version of ``datastore`` by id or name (Trove's rules: an unknown
    UUID is 404, an unknown or ambiguous name is 400)."""
    mine = _V.c.datastore_id == datastore.id
    if sql.is_uuid(id_or_name):
        found = _versions(conn, mine, _V.c.id == id_or_name)
        if not found:
            raise exceptions.NotFound(uuid=id_or_name)
        return found[0]
    conditions = [mine, _V.c.name == id_or_name]
    if version_number:
        conditions.append(_V.c.version == version_number)
    matches = _versions(conn, *conditions)
    if len(matches) != 1:
        raise exceptions.DatastoreVersionNotFound(version=id_or_name)
    return matches[0]


def save_datastore(tx, name, default_version=None):
    """Create or update a datastore; ``default_version`` is a version's
    name."""
    found = _datastores(tx, _D.c.name == name)
    if found:
        datastore_id = found[0].id
    else:
        datastore_id = sql.new_id()
        tx.execute(_D.insert().values(id=datastore_id, name=name))
    if default_version:
        version = tx.execute(sa.select(_V.c.id).where(
            _V.c.datastore_id == datastore_id,
            _V.c.name == default_version)).first()
        if version is None:
            raise exceptions.DatastoreVersionNotFound(
                version=default_version)
        tx.execute(_D.update().where(_D.c.id == datastore_id)
                   .values(default_version_id=version.id))
    return _datastores(tx, _D.c.id == datastore_id)[0]


def save_version(tx, datastore_name, name, manager, image_id=None,
                 packages=None, active=True, version=None):
    """Create or update a version (matched by datastore, name, number)."""
    datastores = _datastores(tx, _D.c.name == datastore_name)
    if not datastores:
        raise exceptions.DatastoreNotFound(datastore=datastore_name)
    datastore = datastores[0]
    mine = (_V.c.datastore_id == datastore.id, _V.c.name == name,
            _V.c.version == version)
    found = _versions(tx, *mine)
    columns = dict(manager=manager, image_id=image_id, packages=packages,
                   active=active)
    if found:
        version_id = found[0].id
        tx.execute(_V.update().where(_V.c.id == version_id).values(
            **columns))
    else:
        version_id = sql.new_id()
        tx.execute(_V.insert().values(
            id=version_id, datastore_id=datastore.id, name=name,
            version=version, **columns))
    return _versions(tx, _V.c.id == version_id)[0]


def save_flavor(tx, flavor_id, name, ram, vcpus, disk=0, ephemeral=0):
    """Create or update a flavor."""
    columns = dict(name=name, ram=ram, vcpus=vcpus, disk=disk,
                   ephemeral=ephemeral)
    if not tx.execute(_FL.update().where(_FL.c.id == flavor_id)
                      .values(**columns)).rowcount:
        tx.execute(_FL.insert().values(id=flavor_id, **columns))
    return get_flavor(tx, flavor_id)


def list_flavors(conn):
    return [Flavor(**row._mapping) for row in conn.execute(
        sa.select(_FL).order_by(_FL.c.ram, _FL.c.id))]


def get_flavor(conn, flavor_id):
    """A flavor by id, or None."""
    row = conn.execute(sa.select(_FL).where(
        _FL.c.id == str(flavor_id))).first()
    return None if row is None else Flavor(**row._mapping)
