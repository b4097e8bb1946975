"""The taskmanager's side of an access change: applied by the driver,
then stored with the task cleared; a failure is a fault, never a silent
old rule set; an interrupted change applies the stored access again."""

import pytest

from tests.unit import db_fixtures
from trove_lite.compute.fake.driver import FakeDriver
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.taskmanager import access
from trove_lite.taskmanager import manager as tm_manager

OLD = {'is_public': False, 'allowed_cidrs': ['10.0.0.0/8']}
NEW = {'allowed_cidrs': ['192.0.2.0/24', '2001:db8::/32']}


@pytest.fixture
def manager(catalogue):
    return tm_manager.Manager(driver=FakeDriver())


def instance_in(task, catalogue):
    row = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1,
        'access': OLD})
    db_fixtures.update_instance(row.id, task=task, compute_instance_id='srv',
                                server_status='ACTIVE')
    return row.id


def test_new_access_is_applied_then_stored_and_the_task_cleared(
        manager, catalogue):
    instance_id = instance_in(Tasks.UPDATING, catalogue)

    manager.update_access(None, instance_id, NEW)

    assert manager.driver.calls == [
        ('update_access', instance_id, 'srv', 3306, NEW['allowed_cidrs'])]
    instance = db_fixtures.get_instance(instance_id)
    assert (instance.task, instance.access) == (Tasks.NONE, NEW)


def test_an_open_access_asks_the_driver_for_no_limit(manager, catalogue):
    instance_id = instance_in(Tasks.UPDATING, catalogue)

    manager.update_access(None, instance_id, {'is_public': True})

    assert manager.driver.calls[-1][-1] == []


def test_a_refused_change_is_a_fault_and_keeps_the_old_access(
        manager, catalogue):
    manager.driver.fail.add('update_access')
    instance_id = instance_in(Tasks.UPDATING, catalogue)

    manager.update_access(None, instance_id, NEW)

    instance = db_fixtures.get_instance(instance_id)
    assert instance.task == Tasks.UPDATING_ERROR_ACCESS
    assert instance.access == OLD
    assert instance.fault_message == 'The new access could not be applied.'
    assert 'update_access broke' in instance.fault_details


def test_a_change_for_an_instance_no_longer_updating_is_dropped(
        manager, catalogue):
    instance_id = instance_in(Tasks.DELETING, catalogue)

    manager.update_access(None, instance_id, NEW)

    assert manager.driver.calls == []
    assert db_fixtures.get_instance(instance_id).access == OLD


def test_a_change_that_cannot_claim_the_instance_is_a_fault(
        manager, catalogue, monkeypatch):
    instance_id = instance_in(Tasks.UPDATING, catalogue)
    monkeypatch.setattr(access, 'CLAIM_WAIT', 0)
    with manager.claims.acquire(instance_id, 'resize'):
        manager.update_access(None, instance_id, NEW)

    instance = db_fixtures.get_instance(instance_id)
    assert instance.task == Tasks.UPDATING_ERROR_ACCESS
    assert manager.driver.calls == []


def test_an_interrupted_change_applies_the_stored_access_again(
        manager, catalogue):
    instance_id = instance_in(Tasks.UPDATING, catalogue)

    access.finish_interrupted(manager.driver,
                              db_fixtures.get_instance(instance_id))

    assert manager.driver.calls == [
        ('update_access', instance_id, 'srv', 3306, OLD['allowed_cidrs'])]
    instance = db_fixtures.get_instance(instance_id)
    assert (instance.task, instance.access) == (Tasks.NONE, OLD)


def test_a_public_access_gives_the_server_a_public_address_shown(
        catalogue):
    manager = tm_manager.Manager(driver=FakeDriver(public=True))
    instance_id = instance_in(Tasks.UPDATING, catalogue)
    db_fixtures.update_instance(instance_id, addresses=[
        {'address': '10.0.0.3', 'type': 'private', 'network': 'private'}])

    manager.update_access(None, instance_id, {'is_public': True})

    assert manager.driver.calls[-1] == ('set_public', instance_id, 'srv',
                                        True)
    instance = db_fixtures.get_instance(instance_id)
    assert instance.addresses == [
        {'address': '10.0.0.3', 'type': 'private', 'network': 'private'},
        {'address': '203.0.113.9', 'type': 'public', 'network': 'private'}]

    db_fixtures.update_instance(instance_id, task=Tasks.UPDATING)
    manager.update_access(None, instance_id, NEW)

    # No is_public: private again (Trove's default), the address gone.
    assert manager.driver.calls[-1] == ('set_public', instance_id, 'srv',
                                        False)
    instance = db_fixtures.get_instance(instance_id)
    assert [a['type'] for a in instance.addresses] == ['private']
    assert (instance.task, instance.access) == (Tasks.NONE, NEW)


def test_a_refused_public_address_is_a_fault_and_keeps_the_old_access(
        catalogue):
    manager = tm_manager.Manager(driver=FakeDriver(public=True,
                                                   fail={'set_public'}))
    instance_id = instance_in(Tasks.UPDATING, catalogue)

    manager.update_access(None, instance_id, {'is_public': True})

    instance = db_fixtures.get_instance(instance_id)
    assert instance.task == Tasks.UPDATING_ERROR_ACCESS
    assert instance.access == OLD
    assert 'set_public broke' in instance.fault_details


def test_addresses_stay_as_they_are_with_a_driver_giving_none(
        manager, catalogue):
    instance_id = instance_in(Tasks.UPDATING, catalogue)
    floating = [{'address': '10.0.0.3', 'type': 'private', 'network': 'n'},
                {'address': '198.51.100.7', 'type': 'public', 'network': 'n'}]
    db_fixtures.update_instance(instance_id, addresses=floating)

    manager.update_access(None, instance_id, NEW)

    assert db_fixtures.get_instance(instance_id).addresses == floating
