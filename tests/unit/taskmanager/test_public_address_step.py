"""The create flow's public address step (access ``is_public``), with a
recording driver that gives public addresses (the guest's calls are
stubbed)."""

import pytest

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from tests.unit.fakes import FakeWaiters
from trove_lite.common import objects
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.records.status import InstanceTasks
from trove_lite.records.status import ServiceStatuses
from trove_lite.taskmanager import teardown
from trove_lite.taskmanager import workflows


@pytest.fixture(autouse=True)
def no_broker(monkeypatch, database):
    FakeGuest.install(monkeypatch, workflows.guest_rpcapi)


def instance_with(access, catalogue):
    return db_fixtures.create_instance({
        'name': 'orders', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1,
        'access': access}).id


def run(driver, instance_id):
    spec = objects.InstanceSpec(
        instance_id=instance_id, name='orders',
        flavor={'id': '1', 'ram': 512}, datastore_manager='mariadb',
        datastore_version='10.11', datastore_version_id='version-1',
        image_id='image-1', volume_size=1)
    workflows.CreateInstanceFlow(
        None, spec, driver, FakeWaiters(ServiceStatuses.HEALTHY), 5).run()


def test_a_public_instance_gets_its_address_once_its_server_is_up(
        catalogue):
    driver = fake_driver.FakeDriver(public=True)
    instance_id = instance_with({'is_public': True}, catalogue)

    run(driver, instance_id)

    assert driver.called() == ['create_security_group', 'create_volume',
                               'create_server', 'set_public']
    server_id = db_fixtures.get_instance(instance_id).compute_instance_id
    assert driver.calls[-1] == ('set_public', instance_id, server_id, True)
    addresses = db_fixtures.get_instance(instance_id).addresses
    assert [(a['address'], a['type']) for a in addresses] == [
        (fake_driver.ADDRESS, 'private'),
        (fake_driver.PUBLIC_ADDRESS, 'public')]


@pytest.mark.parametrize('access', [None, {'is_public': False},
                                    {'allowed_cidrs': ['10.0.0.0/8']}])
def test_a_private_instance_gets_none(catalogue, access):
    driver = fake_driver.FakeDriver(public=True)

    run(driver, instance_with(access, catalogue))

    assert 'set_public' not in driver.called()


def test_a_refused_address_is_a_port_error_and_teardown_releases_it(
        catalogue):
    driver = fake_driver.FakeDriver(public=True, fail={'set_public'})
    instance_id = instance_with({'is_public': True}, catalogue)

    with pytest.raises(workflows.BuildFailed) as raised:
        run(driver, instance_id)
    teardown.remove_resources_of(driver,
                                 db_fixtures.get_instance(instance_id))

    assert raised.value.task == InstanceTasks.BUILDING_ERROR_PORT
    called = driver.called()
    assert called[called.index('set_public'):] == [
        'set_public', 'delete_server', 'release_public_addresses',
        'delete_volume', 'delete_security_group']
