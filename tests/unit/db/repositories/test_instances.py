"""The instances repository: one Instance record from the list query (one
JSON array per row) and from the single lookup, the guarded task change,
faults, and the configuration group of instances."""

import datetime
import json

import pytest

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.db.repositories import backup_policies
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import replicas as replicas_repository
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.records.status import ServiceStatuses as Services


def make_instance(catalogue, **values):
    values = {'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
              'datastore_version_id': catalogue.id, 'volume_size': 1,
              **values}
    return db_fixtures.create_instance(values)


def test_a_new_instance_builds_and_its_guest_is_new(catalogue):
    instance = make_instance(catalogue)
    assert instance.task == Tasks.BUILDING
    assert instance.service_status == Services.NEW
    assert instance.server_status == 'BUILD'
    assert instance.task_start_time == instance.created
    assert (instance.datastore_name, instance.datastore_version_name,
            instance.datastore_manager) == ('mariadb', '10.11', 'mariadb')


def test_list_and_get_give_the_same_record(catalogue):
    instance = make_instance(catalogue, name='ünïcode "quoted", name',
                             encrypted_key='a-key')
    keyless = make_instance(catalogue, tenant_id='other')
    db_fixtures.update_instance(instance.id, addresses=[
        {'address': '127.0.2.7', 'type': 'private', 'network': 'local'}])

    [listed], more = db.read(instances.list_page, 'p', 10)

    assert not more
    assert listed == db_fixtures.get_instance(instance.id)
    assert listed.name == 'ünïcode "quoted", name'
    assert listed.addresses[0]['address'] == '127.0.2.7'
    assert isinstance(listed.created, datetime.datetime)
    assert isinstance(listed.task_start_time, datetime.datetime)
    assert listed.datastore_name == 'mariadb'
    assert listed.encrypted_rpc_messaging
    [other], _ = db.read(instances.list_page, 'other', 10)
    assert other == db_fixtures.get_instance(keyless.id)
    assert not other.encrypted_rpc_messaging


def test_pages_follow_the_marker(catalogue):
    ids = sorted(make_instance(catalogue).id for _ in range(3))
    first, more = db.read(instances.list_page, 'p', 2)
    assert [record.id for record in first] == ids[:2] and more
    rest, more = db.read(instances.list_page, 'p', 2, ids[1])
    assert [record.id for record in rest] == ids[2:] and not more


def test_row_as_mariadb_packs_it_is_read_back(database):
    # MariaDB embeds a JSON column as JSON and writes DATETIME as text
    # (MySQL adds microseconds); SQLite, used above, embeds it as a string.
    row = ['id-1', 'n', 'p', '2026-11-26 23:07:03',
           '2026-11-26 23:07:04.250000', '1', 2, 'LOCAL', 1,
           '2026-11-26 23:07:03', 'ACTIVE',
           [{'address': '127.0.2.9', 'type': 'private'}], None, None, 'v-1',
           33, None, None, None, 1, None, None, None, 'src-1',
           {'is_public': False, 'allowed_cidrs': ['10.0.0.0/8']}, 4]

    with db.transaction() as tx:
        record = instances._record_from_json(tx, json.dumps(row))

    assert record.created == datetime.datetime(2026, 11, 26, 23, 7, 3)
    assert record.updated == datetime.datetime(2026, 11, 26, 23, 7, 4,
                                               250000)
    assert record.task_start_time == record.created
    assert record.service_status_updated is None
    assert record.addresses == [{'address': '127.0.2.9',
                                 'type': 'private'}]
    assert record.volume_size == 2 and record.service_status_id == 33
    assert record.encrypted_rpc_messaging
    assert record.access == {'is_public': False,
                             'allowed_cidrs': ['10.0.0.0/8']}
    assert (record.slave_of_id, record.replication_lag) == ('src-1', 4)


def test_a_row_only_the_json_module_reads_is_read_as_before(database):
    # orjson refuses an escaped lone surrogate (here in a JSON column's
    # network name, as a database could hold it).
    row = ['id-1', 'n', 'p', '2026-11-26 23:07:03', None, '1', 2, 'LOCAL',
           1, None, 'ACTIVE',
           [{'address': '127.0.2.9', 'network': 'odd \ud800 name'}], None,
           None, 'v-1', 33, None, None, None, 0, None, None, None, None,
           None, None]

    with db.transaction() as tx:
        record = instances._record_from_json(tx, json.dumps(row))

    assert record.addresses == [{'address': '127.0.2.9',
                                 'network': 'odd \ud800 name'}]


def test_lookups_outside_the_project_or_not_by_uuid_find_nothing(
        catalogue):
    instance = make_instance(catalogue)
    assert db.read(instances.find, instance.id, 'p') == instance
    assert db.read(instances.find, instance.id, 'other') is None
    assert db.read(instances.find, 'not-a-uuid') is None
    with pytest.raises(exceptions.InstanceNotFound):
        db.read(instances.get, instance.id, 'other')


def test_the_show_reads_the_instance_with_its_current_backup_policy(
        catalogue):
    instance = make_instance(catalogue)
    other = make_instance(catalogue, tenant_id='other')
    assert db.read(instances.get_for_show, instance.id, 'p') == (
        instance, None, [], False)
    with db.transaction() as tx:
        backup_policies.put(tx, instance.id, 'p', 7, 60, 120)
        backup_policies.put(tx, other.id, 'other', 3, 0, 60)
    shown = db.read(instances.get_for_show, instance.id, 'p')
    assert shown.instance == instance
    assert shown.backup_policy == db.read(backup_policies.find, instance.id)
    assert (shown.backup_policy.retention_days,
            shown.backup_policy.window) == (7, '01:00-02:00')
    # An ended policy is not the current one; other projects' instances
    # are not found, nor their policies.
    with db.transaction() as tx:
        backup_policies.end(tx, instance.id)
    assert db.read(instances.get_for_show, instance.id, 'p').backup_policy \
        is None
    with pytest.raises(exceptions.InstanceNotFound):
        db.read(instances.get_for_show, other.id, 'p')
    with pytest.raises(exceptions.InstanceNotFound):
        db.read(instances.get_for_show, 'not-a-uuid')
    # An admin's lookup (every project) finds it.
    assert db.read(instances.get_for_show, other.id).instance == other


def test_the_show_reads_the_replicas_and_their_failover(catalogue):
    source = make_instance(catalogue)
    replicas = sorted(make_instance(catalogue, slave_of_id=source.id).id
                      for _ in range(2))
    gone = make_instance(catalogue, slave_of_id=source.id)
    with db.transaction() as tx:
        instances.soft_delete(tx, gone.id)
        replicas_repository.set_automatic_failover(tx, source.id, True)

    shown = db.read(instances.get_for_show, source.id, 'p')

    assert shown.replica_ids == replicas
    assert shown.automatic_failover is True
    assert db.read(instances.get_for_show, replicas[0], 'p')[2:] == (
        [], False)


def test_a_deleted_instance_is_found_only_when_asked_for(catalogue):
    instance = make_instance(catalogue)
    db_fixtures.soft_delete_instance(instance.id)
    assert db.read(instances.find, instance.id) is None
    deleted = db.read(instances.find, instance.id, include_deleted=True)
    assert deleted.task == Tasks.NONE
    assert deleted.server_status == 'DELETED'
    assert deleted.service_status == Services.DELETED
    assert db.read(instances.list_page, 'p', 10) == ([], False)


def test_a_task_changes_only_from_an_expected_one(catalogue):
    instance = make_instance(catalogue)
    with db.transaction() as tx:
        assert not instances.set_task_if(tx, instance.id, [Tasks.NONE],
                                         Tasks.RESIZING)
        assert instances.set_task_if(tx, instance.id, [Tasks.BUILDING],
                                     Tasks.NONE, server_status='ACTIVE')
    record = db_fixtures.get_instance(instance.id)
    assert (record.task, record.server_status) == (Tasks.NONE, 'ACTIVE')


def test_a_fault_shows_with_its_error_task_only(catalogue):
    instance = make_instance(catalogue)
    with db.transaction() as tx:
        instances.add_fault(tx, instance.id, 'x' * 300, details='why')
    assert db_fixtures.get_instance(instance.id).fault_message is None
    with db.transaction() as tx:
        instances.add_fault(tx, instance.id, 'boom', details='trace',
                            task=Tasks.BUILDING_ERROR_VOLUME,
                            server_status='ERROR')
    record = db_fixtures.get_instance(instance.id)
    assert record.task == Tasks.BUILDING_ERROR_VOLUME
    assert record.server_status == 'ERROR'
    assert (record.fault_message, record.fault_details) == ('boom', 'trace')


def test_reset_status_clears_the_task_and_forgets_the_guest_status(
        catalogue):
    instance = make_instance(catalogue)
    with db.transaction() as tx:
        instances.reset_status(tx, instance.id)
    record = db_fixtures.get_instance(instance.id)
    assert (record.task, record.service_status) == (Tasks.NONE,
                                                    Services.UNKNOWN)


def test_instances_by_task_leave_out_deleted_ones(catalogue):
    building = make_instance(catalogue)
    idle = make_instance(catalogue)
    gone = make_instance(catalogue)
    db_fixtures.update_instance(idle.id, task=Tasks.NONE)
    db_fixtures.soft_delete_instance(gone.id)
    assert [record.id for record in db.read(
        instances.with_tasks, [Tasks.BUILDING])] == [building.id]
    assert {record.id for record in db.read(
        instances.with_tasks, [Tasks.BUILDING, Tasks.NONE])} == \
        {building.id, idle.id}


def test_the_key_of_a_deleted_instance_is_still_found(catalogue):
    instance = make_instance(catalogue, encrypted_key='k')
    db_fixtures.soft_delete_instance(instance.id)
    assert db.read(instances.encrypted_key, instance.id) == (True, 'k')
    assert db.read(instances.encrypted_key, 'ghost') == (False, None)


def attached_group(catalogue):
    group = db_fixtures.create_group('p', 'g', catalogue.id, {})
    instance = make_instance(catalogue)
    db_fixtures.update_instance(instance.id, task=Tasks.NONE)
    with db.transaction() as tx:
        assert instances.attach_configuration(tx, instance.id, group.id,
                                              [Tasks.NONE])
    return group, instance


def test_attached_records_are_whole_records(catalogue):
    group, instance = attached_group(catalogue)
    [record] = db.read(instances.list_with_configuration, group.id)
    assert record == db_fixtures.get_instance(instance.id)
    assert record.configuration_name == 'g'
    assert db.read(instances.count_with_configuration, group.id) == 1
    assert db.read(instances.count_with_configuration, group.id,
                   'other') == 0
    assert db.read(instances.page_with_configuration, group.id, 'p',
                   10) == ([(instance.id, 'i')], False)


def test_a_group_attaches_only_to_an_instance_without_one(catalogue):
    group, instance = attached_group(catalogue)
    other = db_fixtures.create_group('p', 'other', catalogue.id, {})
    with db.transaction() as tx:
        assert not instances.attach_configuration(
            tx, instance.id, other.id, [Tasks.NONE])
        assert not instances.detach_configuration(tx, instance.id,
                                                  other.id)
        assert instances.detach_configuration(tx, instance.id, group.id)
    assert db_fixtures.get_instance(instance.id).configuration_id is None
