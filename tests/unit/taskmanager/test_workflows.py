"""The create workflow; a failed build leaves nothing it made."""

import dataclasses

import pytest

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from tests.unit.fakes import FakeWaiters
from trove_lite.common import objects
from trove_lite.compute.fake.driver import FakeDriver
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.records.status import ServiceStatuses as Services
from trove_lite.taskmanager import manager as tm_manager
from trove_lite.taskmanager import workflows


@pytest.fixture
def instance(catalogue, monkeypatch):
    FakeGuest.install(monkeypatch, workflows.guest_rpcapi)
    row = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})
    return row


def spec_for(instance):
    return objects.InstanceSpec(
        instance_id=instance.id, name='i', flavor={'id': '1', 'ram': 256},
        datastore_manager='mariadb', datastore_version='10.11',
        datastore_version_id=instance.datastore_version_id, volume_size=1)


def build(instance, driver, outcome=Services.HEALTHY):
    manager = tm_manager.Manager(driver=driver)
    manager.waiters = FakeWaiters(outcome)
    manager._build(None, spec_for(instance), timeout=1)
    return db_fixtures.get_instance(instance.id)


def test_successful_build_clears_the_task(instance):
    driver = FakeDriver()
    record = build(instance, driver)
    assert record.task == Tasks.NONE
    assert record.compute_instance_id in driver.servers
    assert record.volume_id in driver.volumes
    assert FakeGuest.methods() == ['declare_queue', 'prepare']


def test_volume_failure_leaves_nothing(instance):
    driver = FakeDriver(fail={'create_volume'})
    record = build(instance, driver)
    assert record.task == Tasks.BUILDING_ERROR_VOLUME
    assert 'create_volume broke' in record.fault_message
    assert driver.volumes == {} and driver.servers == {}


def test_server_failure_removes_the_volume(instance):
    driver = FakeDriver(fail={'create_server'})
    record = build(instance, driver)
    assert record.task == Tasks.BUILDING_ERROR_SERVER
    assert driver.volumes == {} and driver.servers == {}
    assert record.volume_id is None


def test_prepare_failure_removes_server_and_volume(instance):
    FakeGuest.fail = {'prepare': RuntimeError('broker gone')}
    driver = FakeDriver()
    record = build(instance, driver)
    assert record.task == Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert driver.volumes == {} and driver.servers == {}
    assert driver.called()[-3:] == ['delete_server', 'delete_volume',
                                    'delete_security_group']


def test_guest_timeout_undoes_everything_and_marks_the_guest(instance):
    driver = FakeDriver()
    record = build(instance, driver, outcome=None)
    assert record.task == Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert 'did not report healthy' in record.fault_message
    assert record.service_status == Services.FAILED_TIMEOUT_GUESTAGENT
    assert driver.volumes == {} and driver.servers == {}
    assert FakeGuest.methods()[-1] == 'delete_queue'
    assert record.compute_instance_id is None


def test_guest_reporting_failure_fails_the_build(instance):
    driver = FakeDriver()
    record = build(instance, driver, outcome=Services.FAILED)
    assert record.task == Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert 'failed to spawn' in record.fault_message
    assert driver.servers == {}


@pytest.mark.parametrize('backup_info', [None, {'id': 'b-1', 'chain': []}])
def test_the_guest_knows_at_boot_whether_prepare_restores(instance,
                                                          backup_info):
    driver = FakeDriver()
    configs = []
    create_server = driver.create_server
    driver.create_server = lambda *args, **kwargs: (
        configs.append(args[5]) or create_server(*args, **kwargs))
    manager = tm_manager.Manager(driver=driver)
    manager.waiters = FakeWaiters(Services.HEALTHY)
    spec = dataclasses.replace(spec_for(instance), backup_info=backup_info)

    manager._build(None, spec, timeout=1)

    assert [config.restore_pending for config in configs] == [
        backup_info is not None]
