"""The create flow's security group step, with a recording driver (an
empty database, no broker: the guest's calls are stubbed)."""

import types

import pytest

from tests.unit.fakes import FakeGuest
from tests.unit.fakes import FakeWaiters
from trove_lite.common import objects
from trove_lite.compute.fake.driver import FakeDriver
from trove_lite.records.status import InstanceTasks
from trove_lite.records.status import ServiceStatuses
from trove_lite.taskmanager import teardown
from trove_lite.taskmanager import workflows


@pytest.fixture(autouse=True)
def no_broker(monkeypatch, database):
    FakeGuest.install(monkeypatch, workflows.guest_rpcapi)


def run(driver):
    spec = objects.InstanceSpec(
        instance_id='instance-1', name='orders',
        flavor={'id': '1', 'ram': 512}, datastore_manager='mariadb',
        datastore_version='10.11', datastore_version_id='version-1',
        image_id='image-1', volume_size=2,
        availability_zone='az-1')
    workflows.CreateInstanceFlow(
        None, spec, driver, FakeWaiters(ServiceStatuses.HEALTHY), 5).run()


def test_group_is_made_first_and_handed_to_the_server():
    driver = FakeDriver(firewall=True)

    run(driver)

    assert driver.called() == [
        'create_security_group', 'create_volume', 'create_server']
    assert driver.calls[0] == ('create_security_group', 'instance-1', 3306)
    group_id = driver.security_groups['instance-1']
    _create, _instance, _volume, *server_arguments = driver.calls[2]
    assert server_arguments == [group_id, 'az-1']


def test_failed_server_is_torn_down_volume_first_then_the_group():
    driver = FakeDriver(fail={'create_server'}, firewall=True)

    with pytest.raises(workflows.BuildFailed) as raised:
        run(driver)
    # The volume was made but (the database being empty) not recorded.
    teardown.remove_resources_of(driver, types.SimpleNamespace(
        id='instance-1', compute_instance_id=None, volume_id=None))

    assert raised.value.task == InstanceTasks.BUILDING_ERROR_SERVER
    assert driver.called()[-2:] == ['delete_volume', 'delete_security_group']
    assert driver.security_groups == {} and driver.volumes == {}


def test_refused_group_ends_in_the_security_group_error_and_makes_nothing():
    driver = FakeDriver(fail={'create_security_group'}, firewall=True)

    with pytest.raises(workflows.BuildFailed) as raised:
        run(driver)

    assert raised.value.task == InstanceTasks.BUILDING_ERROR_SEC_GROUP
    assert driver.called() == ['create_security_group']


def test_driver_without_a_firewall_skips_the_group_step():
    driver = FakeDriver(fail={'create_server'})

    with pytest.raises(workflows.BuildFailed):
        run(driver)

    assert driver.called() == [
        'create_security_group', 'create_volume', 'create_server']
    _create, _instance, _volume, group_id, *_rest = driver.calls[2]
    assert group_id is None and driver.security_groups == {}
