"""The local driver's records, addresses, volumes and process handling,
with a launcher that starts a plain ``sleep`` in the sandbox instead of a
guest agent (the functional tests run real guests)."""

import json
import os
import subprocess

import pytest

from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.local import driver as local_driver
from trove_lite.compute.local import images
from trove_lite.compute.local import launcher

INSTANCE_ID = '6f1c3a52-0d4e-4b8e-9c1a-2f3e4d5c6b7a'


class SleepLauncher:
    """Starts ``sleep`` where the launcher would fork a guest agent: in
    the sandbox, in a session of its own."""

    started = []

    def start(self):
        pass

    def launch(self, argv, cwd, log_path):
        with open(log_path, 'ab') as log:
            process = subprocess.Popen(
                ['sleep', '60'], cwd=cwd, stdout=log, stderr=log,
                stdin=subprocess.DEVNULL, start_new_session=True)
        SleepLauncher.started.append(process)
        return process.pid


@pytest.fixture
def driver(conf, tmp_path, monkeypatch):
    conf.config(state_path=str(tmp_path / 'state'),
                address_pools=['127.0.2.0/30'], group='local_compute')
    conf.config(server_delete_time_out=5)
    monkeypatch.setattr(launcher, 'GuestLauncher', SleepLauncher)
    monkeypatch.setattr(images, 'template_datadir',
                        lambda version: str(tmp_path / 'template'))
    SleepLauncher.started = []
    yield local_driver.LocalDriver()
    for process in SleepLauncher.started:
        if process.poll() is None:
            process.kill()
        process.wait()


def guest_config():
    return base.GuestConfig(
        instance_id=INSTANCE_ID, datastore_manager='mariadb',
        datastore_version='10.11', transport_url='rabbit://guest@x//',
        control_exchange='trove', conductor_queue='trove-conductor',
        report_interval=10, rpc_key='k' * 44)


def create(driver, volume_size=2):
    volume_id = driver.create_volume(INSTANCE_ID, volume_size)
    return driver.create_server(INSTANCE_ID, 'orders', {'id': '1'}, None,
                                volume_id, guest_config()), volume_id


def test_volumes_are_recorded_with_their_instance_and_removed(driver):
    volume_id = driver.create_volume(INSTANCE_ID, 3)
    assert driver.list_volumes() == [
        base.Volume(id=volume_id, instance_id=INSTANCE_ID, size=3)]
    driver.delete_volume(volume_id)
    driver.delete_volume(volume_id)  # a missing one is no error
    assert driver.list_volumes() == []


def test_a_server_runs_in_its_sandbox_with_a_private_config(driver):
    server, volume_id = create(driver)
    assert server.status == 'ACTIVE'
    assert (server.instance_id, server.volume_id) == (INSTANCE_ID, volume_id)
    assert server.addresses[0]['address'].startswith('127.0.2.')
    sandbox = os.path.join(driver.state_path, 'servers', server.id)
    config = os.path.join(sandbox, 'guest.conf')
    assert os.stat(config).st_mode & 0o777 == 0o600  # broker credentials
    with open(config) as text:
        written = text.read()
    assert f'guest_id = {INSTANCE_ID}' in written
    assert 'disk_allowance_gb = 2' in written
    assert driver.list_servers() == [server]


def test_addresses_are_never_shared_and_run_out_cleanly(driver):
    first, _volume = create(driver)
    second, _volume = create(driver)
    assert first.addresses[0]['address'] != second.addresses[0]['address']
    # A /30 has two usable addresses.
    with pytest.raises(exceptions.ServerBuildError, match='no free address'):
        create(driver)


def test_a_deleted_server_stops_and_leaves_nothing(driver):
    server, _volume = create(driver)
    process, = SleepLauncher.started
    driver.delete_server(server.id)
    assert process.wait(timeout=5) is not None
    assert driver.get_server(server.id) is None
    assert not os.path.exists(os.path.join(driver.state_path, 'servers',
                                           server.id))
    driver.delete_server(server.id)  # a missing one is no error


def test_a_server_whose_process_died_is_shutdown_and_starts_again(driver):
    server, _volume = create(driver)
    first, = SleepLauncher.started
    first.kill()
    first.wait()
    assert driver.get_server(server.id).status == 'SHUTDOWN'
    assert driver.start_server(server.id).status == 'ACTIVE'
    assert len(SleepLauncher.started) == 2


def test_a_pid_that_is_not_the_sandbox_s_is_not_taken_for_the_server(
        driver):
    server, _volume = create(driver)
    record_path = os.path.join(driver.state_path, 'servers', server.id,
                               'server.json')
    with open(record_path) as record_file:
        record = json.load(record_file)
    record['pid'] = os.getpid()  # alive, but not in the sandbox
    with open(record_path, 'w') as record_file:
        json.dump(record, record_file)
    assert driver.get_server(server.id).status == 'SHUTDOWN'


def test_extending_a_volume_tells_the_guest_its_new_allowance(driver):
    server, volume_id = create(driver)
    driver.extend_volume(volume_id, 5)
    assert driver.list_volumes()[0].size == 5
    config = os.path.join(driver.state_path, 'servers', server.id,
                          'guest.conf')
    with open(config) as text:
        assert 'disk_allowance_gb = 5' in text.read()


def test_resize_and_start_of_a_missing_server_are_compute_errors(driver):
    for call in (lambda: driver.start_server('nope'),
                 lambda: driver.reboot_server('nope'),
                 lambda: driver.resize_server('nope', {'id': '2'})):
        with pytest.raises(exceptions.ComputeError):
            call()
