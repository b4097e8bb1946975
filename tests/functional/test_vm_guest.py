"""The guest on a real virtual machine: the create flow with the qemu
compute driver, booting the guest image under qemu's software emulation.

The VM gets exactly the user data the nova driver renders, on a NoCloud
seed; cloud-init writes the agent's files and starts it, the agent gets
``prepare`` over the broker (forwarded into the VM), starts MariaDB and
heartbeats; tenants reach the database through the server's forwarded
address. Needs the guest image of this checkout
(``tools/build-guest-image.sh``; ``tools/run-tests.sh`` builds it).
"""

import configparser
import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.parse

import kombu
import pytest

from tests.functional import vm
from tests.functional.stack import connect
from tests.functional.stack import wait_until
from trove_lite.common import broker_users
from trove_lite.compute import base as compute_base
from trove_lite.compute.nova import cloudinit
from trove_lite.compute.qemu import machine

IMAGE = vm.guest_image()

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(IMAGE is None, reason=(
        f'the guest image of this checkout is not built: run '
        f'{vm.BUILD_COMMAND} as root (about 3 minutes the first time)')),
]

APP_PASSWORD = 'app-pass-1'


@pytest.fixture(scope='module')
def vm_stack(tmp_path_factory):
    deployment = vm.VMStack(str(tmp_path_factory.mktemp('vm-stack')), IMAGE)
    with deployment:
        yield deployment


@pytest.fixture(scope='module')
def booted(vm_stack):
    """An instance on a VM, ACTIVE: (instance, seconds from the create
    request to ACTIVE)."""
    api = vm_stack.api('demo')
    started = time.monotonic()
    created = api.create_instance(
        name='on-a-vm', flavor='3', databases=[{'name': 'appdb'}],
        users=[{'name': 'app', 'password': APP_PASSWORD,
                'databases': [{'name': 'appdb'}]}])
    try:
        instance = api.wait_active(created['id'], timeout=vm.BOOT_TIMEOUT)
        yield instance, time.monotonic() - started
    finally:
        if api.instance(created['id']) is not None:
            api.delete(f'/instances/{created["id"]}')


def server_record(vm_stack, instance_id):
    for directory in vm_stack.server_directories():
        with open(os.path.join(directory, 'server.json')) as record:
            server = json.load(record)
        if server['instance_id'] == instance_id:
            return server
    raise AssertionError(f'no server for {instance_id}')


def seed_file(seed, name):
    return subprocess.run(['isoinfo', '-i', seed, '-R', '-x', f'/{name}'],
                          capture_output=True, text=True, check=True).stdout


def agent_config(user_data):
    """The agent's own config file written by the ``user_data``."""
    document = json.loads(user_data.removeprefix('#cloud-config\n'))
    content, = [entry['content'] for entry in document['write_files']
                if entry['path'] == cloudinit.AGENT_CONF_FILE]
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(content)
    return parser


def guest_storage_sections(config_file):
    """The backup storage options the control plane of ``config_file``
    gives its guests."""
    code = textwrap.dedent(f'''
        import json
        import trove_lite.cmd
        from trove_lite.common import service
        from trove_lite.conf import CONF
        from trove_lite.conf import storage
        service.prepare_service(['x', '--config-file', {config_file!r}])
        print(json.dumps(storage.guest_sections(CONF)))
    ''')
    return json.loads(subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True,
        check=True, timeout=60).stdout)


def uptime(address):
    with connect(address, 'app', APP_PASSWORD, 'appdb') as db:
        cursor = db.cursor()
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
        return int(cursor.fetchone()[1])


def test_the_instance_goes_active_on_a_vm_set_up_by_its_user_data(
        vm_stack, booted, capsys):
    instance, seconds = booted
    with capsys.disabled():
        print(f'\nVM guest: create to ACTIVE in {seconds:.0f} s (qemu, '
              f'{vm.ACCELERATOR})')
    server = server_record(vm_stack, instance['id'])
    directory = vm_stack.server_directory(server['id'])
    pid = machine.pid(directory)
    # qemu runs the untrusted guest without root.
    assert pid is not None and os.stat(f'/proc/{pid}').st_uid != 0
    assert instance['addresses'] == [{'address': server['address'],
                                      'type': 'private', 'network': 'qemu'}]

    # The seed carries what the nova driver renders for this instance:
    # its identity, its key, the backup storage, the broker at its
    # forwarded address as the instance's own broker user.
    seed = os.path.join(directory, machine.SEED)
    user_data = seed_file(seed, 'user-data')
    transport_url = agent_config(user_data)['DEFAULT']['transport_url']
    broker = urllib.parse.urlsplit(transport_url)
    assert (broker.hostname, broker.port, broker.path) == (
        '10.0.2.100', 5672, f'/{vm_stack.vhost}')
    assert broker.username == broker_users.username(instance['id'])
    # Its password is its own (random), and the broker takes it.
    assert len(broker.password) >= 32
    with kombu.Connection(hostname='127.0.0.1', port=5672,
                          userid=broker.username, password=broker.password,
                          virtual_host=vm_stack.vhost) as connection:
        connection.connect()
    guest_config = compute_base.GuestConfig(
        instance_id=instance['id'], datastore_manager='mariadb',
        datastore_version=vm_stack.version_name,
        transport_url=transport_url,
        control_exchange=f'trove-guest-{instance["id"]}',
        conductor_queue='trove-conductor',
        report_interval=2.0, log_debug=True,
        rpc_key=vm_stack.instance_key(instance['id']),
        storage=guest_storage_sections(vm_stack.config_file))
    volume = {'device': '/dev/vdb', 'fstype': 'ext4',
              'mount_options': 'defaults,noatime'}
    assert user_data == cloudinit.user_data(guest_config, volume)
    assert json.loads(seed_file(seed, 'meta-data')) == {
        'instance-id': server['id'], 'local-hostname': 'on-a-vm'}
    assert os.stat(seed).st_mode & 0o077 == 0

    # Inside the VM (its console): cloud-init ran the user data, systemd
    # started the agent, the agent prepared the datastore.
    console = vm_stack.console(server['id'])
    assert 'Cloud-init v.' in console and 'finished at' in console
    assert 'Started trove-lite-guestagent.service' in console
    assert 'Prepare completed' in console
    assert 'Traceback' not in console


def test_users_log_in_through_the_forwarded_port(vm_stack, booted):
    instance, _ = booted
    api = vm_stack.api('demo')
    address = instance['ip'][0]
    with connect(address, 'app', APP_PASSWORD, 'appdb') as db:
        cursor = db.cursor()
        cursor.execute('CREATE TABLE kept (id INT PRIMARY KEY)')
        cursor.execute('INSERT INTO kept VALUES (1), (2)')
        # The data lives on the volume cloud-init formatted and mounted.
        cursor.execute('SELECT @@datadir, @@port')
        assert cursor.fetchone() == ('/var/lib/trove-lite/data/', 3306)

    response = api.post(f'/instances/{instance["id"]}/users', {'users': [
        {'name': 'later', 'password': 'later-pass-1',
         'databases': [{'name': 'appdb'}]}]})
    assert response.status_code == 202, response.text

    def logs_in():
        try:
            with connect(address, 'later', 'later-pass-1', 'appdb') as db:
                cursor = db.cursor()
                cursor.execute('SELECT COUNT(*) FROM kept')
                return cursor.fetchone()
        except Exception:
            return None
    assert wait_until(logs_in, timeout=120) == (2,)


def test_restart_restarts_the_database_in_the_vm(vm_stack, booted):
    instance, _ = booted
    api = vm_stack.api('demo')
    address = instance['ip'][0]
    response = api.post(f'/instances/{instance["id"]}/action',
                        {'restart': {}})
    assert response.status_code == 202, response.text
    requested = time.monotonic()
    api.wait_for(instance['id'], lambda i: i['status'] != 'REBOOT',
                 timeout=vm.BOOT_TIMEOUT, interval=1)
    api.wait_active(instance['id'])
    assert uptime(address) <= time.monotonic() - requested + 1


def test_restart_boots_a_powered_off_vm_again_with_its_data(vm_stack,
                                                            booted):
    instance, _ = booted
    api = vm_stack.api('demo')
    address = instance['ip'][0]
    server = server_record(vm_stack, instance['id'])
    directory = vm_stack.server_directory(server['id'])
    os.kill(machine.pid(directory), 9)
    wait_until(lambda: machine.pid(directory) is None, timeout=10)

    # The agent cannot answer: the taskmanager boots the server again, and
    # its guest resumes the datastore it was prepared for.
    response = api.post(f'/instances/{instance["id"]}/action',
                        {'restart': {}})
    assert response.status_code == 202, response.text
    api.wait_for(instance['id'], lambda i: i['status'] != 'REBOOT',
                 timeout=vm.BOOT_TIMEOUT, interval=1)
    # The VM boots again under emulation before its agent reports.
    api.wait_active(instance['id'], timeout=vm.BOOT_TIMEOUT)
    assert machine.pid(directory) is not None
    with connect(address, 'app', APP_PASSWORD, 'appdb') as db:
        cursor = db.cursor()
        cursor.execute('SELECT id FROM kept ORDER BY id')
        assert cursor.fetchall() == ((1,), (2,))


def test_delete_powers_the_vm_off_and_removes_its_disks(vm_stack, booted):
    instance, _ = booted
    api = vm_stack.api('demo')
    server = server_record(vm_stack, instance['id'])
    directory = vm_stack.server_directory(server['id'])
    pid = machine.pid(directory)
    assert pid is not None and server['volume_id']

    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    api.wait_gone(instance['id'], timeout=120)

    assert machine.pid(directory) is None
    assert not os.path.exists(f'/proc/{pid}/cmdline') or \
        directory.encode() not in open(f'/proc/{pid}/cmdline', 'rb').read()
    assert not os.path.exists(directory)
    assert vm_stack.volume_files() == []
    # The server's copy of the image goes with its last server.
    assert os.listdir(os.path.join(vm_stack.qemu_state_path, 'images')) == []
    # The image itself stays for the next server.
    assert os.path.exists(IMAGE)
