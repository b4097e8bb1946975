"""The create flow's security group step, with a recording driver (an
empty database, no broker: the guest's calls are stubbed)."""

import pytest

from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.compute import base
from trove_lite.instance.status import InstanceTasks
from trove_lite.instance.status import ServiceStatuses
from trove_lite.taskmanager import workflows


class RecordingDriver(base.ComputeDriver):
    """Records calls; fails the method named in ``fail``."""

    def __init__(self, fail=None):
        self.calls = []
        self.fail = fail

    def _record(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        if name == self.fail:
            raise exceptions.ComputeError(reason=f'{name} failed')

    def create_volume(self, instance_id, size_gb, volume_type=None):
        self._record('create_volume', size_gb)
        return 'volume-1'

    def delete_volume(self, volume_id):
        self._record('delete_volume', volume_id)

    def create_server(self, instance_id, name, flavor, image_id, volume_id,
                      guest_config, security_group_id=None, nics=None,
                      availability_zone=None):
        self._record('create_server', volume_id,
                     security_group_id=security_group_id, nics=nics,
                     availability_zone=availability_zone)
        return base.Server(id='server-1', status='ACTIVE')

    def get_server(self, server_id):
        return None

    def list_servers(self):
        return []

    def list_volumes(self):
        return []

    def start_server(self, server_id):
        raise NotImplementedError

    def delete_server(self, server_id):
        self._record('delete_server', server_id)


class FirewalledDriver(RecordingDriver):
    def create_security_group(self, instance_id, port):
        self._record('create_security_group', port)
        return 'group-1'

    def delete_security_group(self, instance_id):
        self._record('delete_security_group', instance_id)


class Guest:
    def __init__(self, instance_id, key):
        pass

    def declare_queue(self):
        pass

    def delete_queue(self):
        pass

    def prepare(self, context, request):
        pass


class Waiters:
    def wait(self, instance_id, is_done, timeout, interval):
        is_done(ServiceStatuses.HEALTHY)
        return ServiceStatuses.HEALTHY


@pytest.fixture(autouse=True)
def no_broker(monkeypatch, database):
    monkeypatch.setattr(workflows.guest_rpcapi, 'API', Guest)


def run(driver):
    spec = objects.InstanceSpec(
        instance_id='instance-1', name='orders',
        flavor={'id': '1', 'ram': 512}, datastore_manager='mariadb',
        datastore_version='10.11', datastore_version_id='version-1',
        image_id='image-1', volume_size=2,
        nics=[{'net-id': 'net-1'}], availability_zone='az-1')
    workflows.CreateInstanceFlow(None, spec, driver, Waiters(), 5).run()


def test_group_is_made_first_and_handed_to_the_server():
    driver = FirewalledDriver()

    run(driver)

    assert [name for name, _, _ in driver.calls] == [
        'create_security_group', 'create_volume', 'create_server']
    assert driver.calls[0][1] == (3306,)
    assert driver.calls[2][2] == {'security_group_id': 'group-1',
                                  'nics': [{'net-id': 'net-1'}],
                                  'availability_zone': 'az-1'}


def test_failed_server_undoes_the_volume_then_the_group():
    driver = FirewalledDriver(fail='create_server')

    with pytest.raises(workflows.BuildFailed) as raised:
        run(driver)

    assert raised.value.task == InstanceTasks.BUILDING_ERROR_SERVER
    assert [name for name, _, _ in driver.calls][-2:] == [
        'delete_volume', 'delete_security_group']


def test_refused_group_ends_in_the_security_group_error_and_makes_nothing():
    driver = FirewalledDriver(fail='create_security_group')

    with pytest.raises(workflows.BuildFailed) as raised:
        run(driver)

    assert raised.value.task == InstanceTasks.BUILDING_ERROR_SEC_GROUP
    assert [name for name, _, _ in driver.calls] == ['create_security_group']


def test_driver_without_a_firewall_skips_the_group_step():
    driver = RecordingDriver(fail='create_server')

    with pytest.raises(workflows.BuildFailed):
        run(driver)

    assert [name for name, _, _ in driver.calls] == [
        'create_volume', 'create_server', 'delete_volume']
    assert driver.calls[1][2]['security_group_id'] is None
