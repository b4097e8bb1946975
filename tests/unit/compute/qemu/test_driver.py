"""The qemu driver's bookkeeping, with qemu itself replaced by a recorder
(the functional test test_vm_guest boots real VMs)."""

import json
import os

import pytest

from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.nova import cloudinit
from trove_lite.compute.qemu import driver as qemu_driver
from trove_lite.compute.qemu import machine

INSTANCE_ID = '0d3f6c1e-2b4a-4c5d-8e9f-a0b1c2d3e4f5'
IMAGE = 'trove-lite-guest-0123456789abcdef.qcow2'
FLAVOR = {'id': '3', 'name': 'medium', 'ram': 1024, 'vcpus': 2, 'disk': 4}


class FakeMachines:
    """machine.py's effects, recorded: which disks, seeds and qemu
    processes exist (by directory)."""

    def __init__(self, monkeypatch):
        self.overlays = {}
        self.seeds = {}
        self.running = set()
        self.volumes = {}
        self.fail_start = None
        monkeypatch.setattr(machine, 'create_overlay', self.create_overlay)
        monkeypatch.setattr(machine, 'create_volume', self.create_volume)
        monkeypatch.setattr(machine, 'write_seed', self.write_seed)
        monkeypatch.setattr(machine, 'start', self.start)
        monkeypatch.setattr(machine, 'stop', self.stop)
        monkeypatch.setattr(machine, 'pid', self.pid)

    def create_overlay(self, image, path, size_gb):
        self.overlays[os.path.dirname(path)] = (image, size_gb)

    def create_volume(self, path, size_gb):
        self.volumes[path] = size_gb
        open(path, 'w').close()

    def write_seed(self, directory, server_id, name, user_data):
        self.seeds[directory] = (server_id, name, user_data)

    def start(self, directory, args):
        if self.fail_start:
            raise exceptions.ComputeError(reason=self.fail_start)
        self.running.add(directory)

    def stop(self, directory, timeout):
        self.running.discard(directory)

    def pid(self, directory):
        return 4242 if directory in self.running else None


@pytest.fixture
def machines(monkeypatch):
    return FakeMachines(monkeypatch)


@pytest.fixture
def driver(conf, tmp_path, machines):
    images = tmp_path / 'images'
    images.mkdir()
    (images / IMAGE).write_text('qcow2')
    conf.config(group='qemu_compute', state_path=str(tmp_path / 'state'),
                images_path=str(images), address_pools=['127.0.9.0/29'])
    conf.config(transport_url='rabbit://u:p@127.0.0.1:5672/tl')
    return qemu_driver.QemuDriver()


def guest_config(driver):
    return base.GuestConfig(
        instance_id=INSTANCE_ID, datastore_manager='mariadb',
        datastore_version='10.11',
        transport_url=driver.guest_transport_url(), control_exchange='trove',
        conductor_queue='trove-conductor', report_interval=15.0,
        rpc_key='k' * 44)


def create(driver, volume_id=None, image=IMAGE, name='shop'):
    return driver.create_server(INSTANCE_ID, name, FLAVOR, image, volume_id,
                                guest_config(driver))


def server_dir(driver, server_id):
    return os.path.join(driver.state_path, 'servers', server_id)


def test_a_server_boots_the_image_with_the_nova_drivers_user_data(
        driver, machines):
    volume_id = driver.create_volume(INSTANCE_ID, 2)
    server = create(driver, volume_id)

    directory = server_dir(driver, server.id)
    assert server.status == 'ACTIVE'
    assert server.instance_id == INSTANCE_ID
    assert server.addresses == [{'address': '127.0.9.1', 'type': 'private',
                                 'network': 'qemu'}]
    image, size_gb = machines.overlays[directory]
    assert (os.path.basename(image), size_gb) == (IMAGE, 4)
    volume = {'device': '/dev/vdb', 'fstype': 'ext4',
              'mount_options': 'defaults,noatime'}
    assert machines.seeds[directory] == (
        server.id, 'shop', cloudinit.user_data(guest_config(driver), volume))
    with open(os.path.join(directory, 'server.json')) as record:
        command = json.load(record)['command']
    assert command[command.index('-m') + 1] == '1024'
    assert command[command.index('-smp') + 1] == '2'
    drives = [command[i + 1] for i, arg in enumerate(command)
              if arg == '-drive']
    assert drives[0].startswith(f'file={directory}/disk.qcow2,if=virtio')
    assert drives[1].startswith(
        f'file={driver.state_path}/volumes/{volume_id}.qcow2,if=virtio')
    assert 'media=cdrom' in drives[2]


def test_the_guest_reaches_the_broker_at_its_forwarded_address(driver):
    assert driver.guest_transport_url() == 'rabbit://u:p@10.0.2.100:5672/tl'


def test_servers_get_addresses_of_their_own(driver):
    first = create(driver)
    second = create(driver)

    assert first.addresses[0]['address'] != second.addresses[0]['address']


@pytest.mark.parametrize('image', ['', None, '../etc/passwd', '.hidden',
                                   'not-built.qcow2'])
def test_an_image_that_is_not_a_built_image_fails_with_nothing_left(
        driver, machines, image):
    with pytest.raises(exceptions.ServerBuildError):
        create(driver, image=image)

    assert driver.list_servers() == []
    assert machines.running == set()


def test_a_machine_that_does_not_start_is_removed_again(driver, machines):
    machines.fail_start = 'Could not set up host forwarding rule'

    with pytest.raises(exceptions.ComputeError, match='forwarding'):
        create(driver)

    assert driver.list_servers() == []
    assert os.listdir(os.path.join(driver.state_path, 'images')) == []


def test_a_powered_off_server_is_shutdown_until_started_again(driver,
                                                              machines):
    server = create(driver)
    machines.running.clear()

    assert driver.get_server(server.id).status == 'SHUTDOWN'
    assert driver.start_server(server.id).status == 'ACTIVE'
    assert driver.reboot_server(server.id).status == 'ACTIVE'


def test_starting_a_server_that_does_not_exist_fails(driver):
    with pytest.raises(exceptions.ComputeError, match='does not exist'):
        driver.start_server('nope')


def test_delete_powers_off_and_removes_the_server_and_unused_images(
        driver, machines):
    first = create(driver)
    second = create(driver)
    images = os.path.join(driver.state_path, 'images')

    driver.delete_server(first.id)
    assert machines.running == {server_dir(driver, second.id)}
    assert not os.path.exists(server_dir(driver, first.id))
    assert os.listdir(images) == [IMAGE]  # the second server's disk

    driver.delete_server(second.id)
    assert driver.list_servers() == []
    assert os.listdir(images) == []
    driver.delete_server(second.id)  # a missing server is no error


def test_volumes_are_files_listed_with_their_instance(driver, machines):
    volume_id = driver.create_volume(INSTANCE_ID, 3)

    path = os.path.join(driver.state_path, 'volumes', f'{volume_id}.qcow2')
    assert machines.volumes == {path: 3}
    assert [(v.id, v.instance_id, v.size)
            for v in driver.list_volumes()] == [(volume_id, INSTANCE_ID, 3)]
    driver.delete_volume(volume_id)
    assert driver.list_volumes() == [] and not os.path.exists(path)


def test_the_driver_is_chosen_by_config(driver):
    assert isinstance(base.load_driver('qemu'), qemu_driver.QemuDriver)
