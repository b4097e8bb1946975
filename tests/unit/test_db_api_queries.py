"""db.api queries: records of the instances a group is attached to, the
root history under racing enables, parameter lookups by name, and the
delete of a group still in use."""

import datetime

import pytest

from trove_lite.common import exceptions
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.instance.status import InstanceTasks as Tasks


def make_instance(catalogue, **values):
    values = {'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
              'datastore_version_id': catalogue.id, 'volume_size': 1,
              **values}
    return db_api.instance_create(values)


def attached_group(catalogue):
    group = db_api.configuration_create('p', 'g', None, catalogue.id, {})
    instance = make_instance(catalogue)
    db_api.instance_update(instance.id, task=Tasks.NONE)
    assert db_api.instance_attach_configuration(instance.id, group.id,
                                                [Tasks.NONE])
    return group, instance


def test_attached_records_are_whole_records(catalogue):
    group, instance = attached_group(catalogue)
    [record] = db_api.configuration_attached_records(group.id)
    assert record == db_api.instance_get(instance.id)
    assert (record.datastore_name, record.datastore_version_name,
            record.datastore_manager) == ('mariadb', '10.11', 'mariadb')


def test_a_group_in_use_is_not_deleted_until_its_instance_is(catalogue):
    group, instance = attached_group(catalogue)
    with pytest.raises(exceptions.InstanceAssignedToConfiguration):
        db_api.configuration_delete(group.id)
    db_api.instance_soft_delete(instance.id)
    db_api.configuration_delete(group.id)
    with pytest.raises(exceptions.ConfigurationNotFound):
        db_api.configuration_get(group.id)


def history(instance_id):
    with db_api.session() as s:
        row = s.get(models.RootEnabledHistory, instance_id)
        return row.user, row.created, row.deleted_at


def test_an_enable_while_enabled_keeps_the_first_record(database):
    db_api.root_history_record('i1', 'alice')
    first = history('i1')
    db_api.root_history_record('i1', 'bob')
    assert history('i1') == first and first[0] == 'alice'
    assert db_api.root_enabled('i1')


def test_an_enable_that_lost_the_race_to_insert_keeps_the_winner(database):
    # What a racing first enable finds: the row its rival inserted after
    # both saw none. It neither fails nor overwrites it.
    created = datetime.datetime(2026, 1, 1)
    with db_api.session() as s, s.begin():
        s.add(models.RootEnabledHistory(id='i1', user='alice',
                                        created=created))
    db_api.root_history_record('i1', 'bob')
    assert history('i1') == ('alice', created, None)


def test_an_enable_after_a_disable_records_anew(database):
    with db_api.session() as s, s.begin():
        s.add(models.RootEnabledHistory(
            id='i1', user='alice', created=datetime.datetime(2026, 1, 1),
            deleted_at=datetime.datetime(2026, 1, 2)))
    assert not db_api.root_enabled('i1')
    db_api.root_history_record('i1', 'bob')
    user, created, deleted_at = history('i1')
    assert (user, deleted_at) == ('bob', None)
    assert created > datetime.datetime(2026, 1, 2)
    assert db_api.root_enabled('i1')


def test_parameters_are_found_and_updated_by_name_in_any_case(catalogue):
    db_api.parameter_create(catalogue.id, {
        'name': 'max_connections', 'restart_required': False,
        'data_type': 'integer', 'min_size': '1', 'max_size': '100'})
    assert db_api.parameter_get(catalogue.id, 'MAX_Connections').name \
        == 'max_connections'
    row = db_api.parameter_update(catalogue.id, 'Max_Connections',
                                  {'max_size': '200'})
    assert row.max_size == '200'
    assert db_api.parameter_get(catalogue.id, 'max_connections') \
        .max_size == '200'
    assert db_api.parameter_update(catalogue.id, 'nope', {}) is None
    assert db_api.parameter_get(catalogue.id, 'nope') is None
