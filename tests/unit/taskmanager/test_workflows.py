"""The create workflow undoes what it made when a step fails."""

import pytest

from tests.unit import db_fixtures
from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.compute import base
from trove_lite.instance.status import InstanceTasks as Tasks
from trove_lite.instance.status import ServiceStatuses as Services
from trove_lite.taskmanager import manager as tm_manager
from trove_lite.taskmanager import workflows


class FakeDriver(base.ComputeDriver):
    def __init__(self, fail_on=None):
        self.fail_on = fail_on
        self.volumes, self.servers, self.calls = set(), set(), []

    def _maybe_fail(self, name):
        self.calls.append(name)
        if self.fail_on == name:
            raise exceptions.ComputeError(reason=f'{name} broke')

    def create_volume(self, instance_id, size_gb, volume_type=None):
        self._maybe_fail('create_volume')
        self.volumes.add('vol-1')
        return 'vol-1'

    def delete_volume(self, volume_id):
        self.calls.append('delete_volume')
        self.volumes.discard(volume_id)

    def create_server(self, instance_id, name, flavor, image_id, volume_id,
                      guest_config, security_group_id=None, nics=None,
                      availability_zone=None):
        self._maybe_fail('create_server')
        self.servers.add('srv-1')
        return base.Server(id='srv-1', status='ACTIVE', addresses=[
            {'address': '127.0.2.9', 'type': 'private', 'network': 'x'}])

    def get_server(self, server_id):
        return None

    def list_servers(self):
        return []

    def list_volumes(self):
        return []

    def start_server(self, server_id):
        raise NotImplementedError

    def delete_server(self, server_id):
        self.calls.append('delete_server')
        self.servers.discard(server_id)


class FakeGuest:
    """Stands in for guestagent.rpcapi.API."""

    instances = []

    def __init__(self, instance_id, key, fail_prepare=False):
        self.instance_id = instance_id
        self.calls = []
        FakeGuest.instances.append(self)

    def declare_queue(self):
        self.calls.append('declare_queue')

    def delete_queue(self):
        self.calls.append('delete_queue')

    def prepare(self, context, request):
        self.calls.append('prepare')
        if FakeGuest.fail_prepare:
            raise RuntimeError('broker gone')


class FakeWaiters:
    def __init__(self, outcome):
        self.outcome = outcome

    def wait(self, instance_id, is_done, timeout, check_interval):
        if self.outcome is None:
            return None
        is_done(self.outcome)  # may raise, as with a failed guest
        return self.outcome


@pytest.fixture
def instance(catalogue, monkeypatch):
    FakeGuest.instances = []
    FakeGuest.fail_prepare = False
    monkeypatch.setattr(workflows.guest_rpcapi, 'API', FakeGuest)
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
    assert record.compute_instance_id == 'srv-1'
    assert record.volume_id == 'vol-1'
    assert FakeGuest.instances[-1].calls == ['declare_queue', 'prepare']


def test_volume_failure_leaves_nothing(instance):
    driver = FakeDriver(fail_on='create_volume')
    record = build(instance, driver)
    assert record.task == Tasks.BUILDING_ERROR_VOLUME
    assert 'create_volume broke' in record.fault_message
    assert driver.volumes == set() and driver.servers == set()


def test_server_failure_removes_the_volume(instance):
    driver = FakeDriver(fail_on='create_server')
    record = build(instance, driver)
    assert record.task == Tasks.BUILDING_ERROR_SERVER
    assert driver.volumes == set() and driver.servers == set()
    assert record.volume_id is None


def test_prepare_failure_removes_server_and_volume(instance):
    FakeGuest.fail_prepare = True
    driver = FakeDriver()
    record = build(instance, driver)
    assert record.task == Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert driver.volumes == set() and driver.servers == set()
    assert driver.calls[-2:] == ['delete_server', 'delete_volume']


def test_guest_timeout_undoes_everything_and_marks_the_guest(instance):
    driver = FakeDriver()
    record = build(instance, driver, outcome=None)
    assert record.task == Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert 'did not report healthy' in record.fault_message
    assert record.service_status == Services.FAILED_TIMEOUT_GUESTAGENT
    assert driver.volumes == set() and driver.servers == set()
    assert FakeGuest.instances[-1].calls[-1] == 'delete_queue'
    assert record.compute_instance_id is None


def test_guest_reporting_failure_fails_the_build(instance):
    driver = FakeDriver()
    record = build(instance, driver, outcome=Services.FAILED)
    assert record.task == Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert 'failed to spawn' in record.fault_message
    assert driver.servers == set()
