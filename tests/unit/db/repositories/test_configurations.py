"""Configuration groups and their values."""

import pytest

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.common.context import ALL_PROJECTS
from trove_lite.db.repositories import configurations
from trove_lite.records.status import InstanceTasks as Tasks


def update(group_id, values, replace, **columns):
    with db.transaction() as tx:
        return configurations.update(tx, group_id, values, replace,
                                     **columns)


def test_a_group_keeps_its_values_with_their_types(catalogue):
    values = {'max_connections': 200, 'sql_mode': 'ANSI',
              'long_query_time': 2.5, 'slow_query_log': True}
    group = db_fixtures.create_group('p', 'tuned', catalogue.id, values)
    assert (group.name, group.tenant_id, group.datastore_name,
            group.datastore_version_name, group.datastore_version_number) \
        == ('tuned', 'p', 'mariadb', '10.11', '10.11.19')
    assert db.read(configurations.values, group.id) == values


def test_a_group_of_another_project_is_not_found(catalogue):
    group = db_fixtures.create_group('p', 'g', catalogue.id, {})
    assert db.read(configurations.get, group.id, 'p') == group
    with pytest.raises(exceptions.ConfigurationNotFound):
        db.read(configurations.get, group.id, 'other')


def test_an_update_merges_or_replaces_and_returns_both(catalogue):
    group = db_fixtures.create_group('p', 'g', catalogue.id,
                                     {'a': 1, 'b': 2})
    assert update(group.id, {'b': 3}, replace=False) == (
        {'a': 1, 'b': 2}, {'a': 1, 'b': 3})
    assert update(group.id, {'c': 4}, replace=True, name='renamed') == (
        {'a': 1, 'b': 3}, {'c': 4})
    assert db.read(configurations.values, group.id) == {'c': 4}
    assert db.read(configurations.get, group.id).name == 'renamed'


def test_a_deleted_group_can_be_neither_locked_nor_changed(catalogue):
    group = db_fixtures.create_group('p', 'g', catalogue.id, {'a': 1})
    with db.transaction() as tx:
        configurations.lock(tx, group.id)
        configurations.delete(tx, group.id)
    with pytest.raises(exceptions.ConfigurationNotFound):
        db.read(configurations.get, group.id)
    with pytest.raises(exceptions.ConfigurationNotFound), \
            db.transaction() as tx:
        configurations.lock(tx, group.id)
    with pytest.raises(exceptions.ConfigurationNotFound):
        update(group.id, {'a': 2}, replace=False)
    assert db.read(configurations.values, group.id) == {}


def test_groups_are_paged_by_id_per_project(catalogue):
    ids = sorted(db_fixtures.create_group('p', 'g', catalogue.id, {}).id
                 for _ in range(3))
    db_fixtures.create_group('other', 'g', catalogue.id, {})
    page, more = db.read(configurations.list_page, 'p', 2)
    assert [group.id for group in page] == ids[:2] and more
    page, more = db.read(configurations.list_page, 'p', 2, ids[1])
    assert [group.id for group in page] == ids[2:] and not more
    everyone, _ = db.read(configurations.list_page, ALL_PROJECTS, 10)
    assert len(everyone) == 4


@pytest.mark.parametrize('missing', [None, ''])
def test_a_missing_project_is_never_every_project(catalogue, missing):
    group = db_fixtures.create_group('p', 'g', catalogue.id, {})
    with pytest.raises(ValueError):
        db.read(configurations.list_page, missing, 10)
    with pytest.raises(ValueError):
        db.read(configurations.get, group.id, missing)


def test_an_instance_has_the_values_of_its_group(catalogue):
    group = db_fixtures.create_group('p', 'g', catalogue.id,
                                     {'max_connections': 50})
    instance = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id})
    assert db.read(configurations.values_of_instance, instance.id) == {}
    db_fixtures.update_instance(instance.id, configuration_id=group.id,
                                task=Tasks.NONE)
    assert db.read(configurations.values_of_instance, instance.id) == {
        'max_connections': 50}
