"""Datastores, versions and flavors: created or updated in place, and
found by Trove's rules."""

import pytest

from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.db.repositories import catalogue as repo


def save(function, *args, **kwargs):
    with db.transaction() as tx:
        return function(tx, *args, **kwargs)


def test_a_datastore_is_created_once_then_gets_its_default(database):
    created = save(repo.save_datastore, 'mysql')
    assert created.default_version_id is None
    version = save(repo.save_version, 'mysql', '8.0', 'mysql')
    updated = save(repo.save_datastore, 'mysql', '8.0')
    assert (updated.id, updated.default_version_id) == (created.id,
                                                        version.id)
    assert db.read(repo.list_datastores_with_versions) == [
        (updated, [version])]


def test_an_unknown_default_version_creates_nothing(database):
    with pytest.raises(exceptions.DatastoreVersionNotFound):
        save(repo.save_datastore, 'mysql', '8.0')
    assert db.read(repo.list_datastores_with_versions) == []


def test_a_version_is_matched_by_name_and_number(database):
    save(repo.save_datastore, 'mysql')
    plain = save(repo.save_version, 'mysql', '8.0', 'mysql')
    numbered = save(repo.save_version, 'mysql', '8.0', 'mysql',
                    version='8.0.36')
    again = save(repo.save_version, 'mysql', '8.0', 'mysql',
                 image_id='image-2', active=False)
    assert again.id == plain.id != numbered.id
    assert (again.image_id, again.active) == ('image-2', False)
    datastore = db.read(repo.find_datastore, 'mysql')
    assert db.read(repo.list_versions, datastore.id,
                   active_only=True) == [numbered]
    with pytest.raises(exceptions.DatastoreNotFound):
        save(repo.save_version, 'postgresql', '16', 'postgresql')


def test_datastores_are_listed_each_with_its_own_versions(database):
    mysql = save(repo.save_datastore, 'mysql')
    postgres = save(repo.save_datastore, 'postgresql')
    empty = save(repo.save_datastore, 'redis')
    old = save(repo.save_version, 'mysql', '5.7', 'mysql', active=False)
    new = save(repo.save_version, 'mysql', '8.0', 'mysql')
    sixteen = save(repo.save_version, 'postgresql', '16', 'postgresql')
    assert db.read(repo.list_datastores_with_versions) == [
        (mysql, [old, new]), (postgres, [sixteen]), (empty, [])]
    assert db.read(repo.list_datastores_with_versions,
                   active_only=True) == [
        (mysql, [new]), (postgres, [sixteen]), (empty, [])]


def test_versions_are_found_by_trove_s_rules(catalogue):
    datastore = db.read(repo.find_datastore, catalogue.datastore_id)
    assert db.read(repo.find_version, datastore, catalogue.id) == \
        catalogue
    assert db.read(repo.find_version, datastore, '10.11') == catalogue
    with pytest.raises(exceptions.NotFound):
        db.read(repo.find_version, datastore,
                '00000000-0000-0000-0000-000000000000')
    with pytest.raises(exceptions.DatastoreVersionNotFound):
        db.read(repo.find_version, datastore, '10.11', '10.11.1')
    save(repo.save_version, 'mariadb', '10.11', 'mariadb',
         version='10.11.20')
    with pytest.raises(exceptions.DatastoreVersionNotFound):  # ambiguous
        db.read(repo.find_version, datastore, '10.11')
    with pytest.raises(exceptions.DatastoreVersionNotFound):
        db.read(repo.get_version, 'nope')


def test_a_flavor_is_created_or_updated(database):
    save(repo.save_flavor, '2', 'small', 512, 1, disk=2)
    save(repo.save_flavor, '1', 'tiny', 256, 1)
    bigger = save(repo.save_flavor, '2', 'small', 1024, 2, disk=5)
    assert (bigger.ram, bigger.vcpus, bigger.disk, bigger.ephemeral) == (
        1024, 2, 5, 0)
    assert [flavor.id for flavor in db.read(repo.list_flavors)] == \
        ['1', '2']
    assert db.read(repo.get_flavor, 2) == bigger
    assert db.read(repo.get_flavor, '3') is None
