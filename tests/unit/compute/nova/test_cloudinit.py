"""The user data that makes a booted image a trove-lite guest."""

import configparser
import json

import yaml

from trove_lite.compute import base
from trove_lite.compute.nova import cloudinit

VOLUME = {'device': '/dev/vdb', 'fstype': 'ext4',
          'mount_options': 'defaults,noatime'}


RPC_KEY = 'kZ2oX0a7Yb3xQ1mN5pR8sT4uV6wY9zA2bC5dE7fG9hI='


def guest_config():
    return base.GuestConfig(
        instance_id='0d3f6c1e-2b4a-4c5d-8e9f-a0b1c2d3e4f5',
        datastore_manager='mysql', datastore_version='8.0',
        transport_url='rabbit://guest:p%40ss:w#rd@10.0.0.1:5672/tl',
        control_exchange='trove', conductor_queue='trove-conductor',
        report_interval=15.0, log_debug=True, rpc_key=RPC_KEY)


def document(volume=VOLUME):
    text = cloudinit.user_data(guest_config(), volume)
    assert text.startswith('#cloud-config\n')
    # cloud-init reads YAML; the JSON body must read the same way.
    parsed = yaml.safe_load(text)
    assert parsed == json.loads(text.split('\n', 1)[1])
    return parsed


def files(parsed):
    return {entry['path']: entry for entry in parsed['write_files']}


def ini(content):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(content)
    return parser


def test_guest_info_names_the_instance_and_its_datastore_like_trove():
    guest_info = files(document())['/etc/trove/conf.d/guest_info.conf']

    assert dict(ini(guest_info['content'])['DEFAULT']) == {
        'guest_id': '0d3f6c1e-2b4a-4c5d-8e9f-a0b1c2d3e4f5',
        'datastore_manager': 'mysql', 'datastore_version': '8.0'}


def test_agent_config_carries_the_broker_and_queues_readable_by_agent_only():
    agent = files(document())[cloudinit.AGENT_CONF_FILE]

    assert agent['permissions'] == '0600'
    assert agent['owner'] == 'trove-lite:trove-lite'
    config = ini(agent['content'])
    assert config['DEFAULT']['transport_url'] == \
        'rabbit://guest:p%40ss:w#rd@10.0.0.1:5672/tl'
    assert config['DEFAULT']['control_exchange'] == 'trove'
    assert config['DEFAULT']['conductor_queue'] == 'trove-conductor'
    # The instance's key: in the agent's own file, not in guest_info.
    assert config['DEFAULT']['instance_rpc_encr_key'] == RPC_KEY
    assert config['DEFAULT']['report_interval'] == '15.0'
    assert config['guest_agent']['mount_point'] == cloudinit.MOUNT_POINT
    assert config['guest_agent']['bind_address'] == '0.0.0.0'
    assert 'guest_id' not in config['DEFAULT']


def test_every_setting_of_the_guest_config_reaches_the_guest():
    written = document()
    delivered = {}
    for path in (cloudinit.GUEST_INFO_FILE, cloudinit.AGENT_CONF_FILE):
        delivered.update(ini(files(written)[path]['content'])['DEFAULT'])

    assert delivered == guest_config().sections()['DEFAULT']


def test_agent_starts_from_its_unit_with_the_injected_config_dir():
    written = document()
    unit = files(written)[cloudinit.UNIT_FILE]['content']

    assert (f'ExecStart={cloudinit.AGENT_BINARY} --config-dir '
            f'/etc/trove/conf.d') in unit
    assert 'User=trove-lite' in unit
    assert written['runcmd'][-1] == [
        'systemctl', 'enable', '--now', 'trove-lite-guestagent.service']


def test_data_volume_is_formatted_once_and_mounted_where_the_agent_looks():
    written = document()

    assert written['fs_setup'] == [{
        'label': 'trove-data', 'filesystem': 'ext4', 'device': '/dev/vdb',
        'partition': 'none', 'overwrite': False}]
    assert written['mounts'] == [['/dev/vdb', cloudinit.MOUNT_POINT, 'ext4',
                                  'defaults,noatime', '0', '2']]


def test_server_without_a_volume_keeps_its_data_on_the_root_disk():
    written = document(volume=None)

    assert 'fs_setup' not in written and 'mounts' not in written
    assert ['mkdir', '-p', cloudinit.SANDBOX_PATH,
            cloudinit.MOUNT_POINT] in written['runcmd']
