"""The nova compute driver against a real Keystone, Nova and Cinder.

Opt-in: it needs a cloud, such as shared/tools/mini-openstack (Nova with
the fake virt driver, Cinder with fake volumes, a Neutron stub). Run::

    MINI_OS_DIR=/some/state/dir shared/tools/mini-openstack/up.sh
    source /some/state/dir/openrc
    TROVE_LITE_TEST_NOVA=1 pytest tests/functional/test_nova_driver.py

or, through tox (which passes only TROVE_LITE_TEST_* variables on)::

    TROVE_LITE_TEST_NOVA=1 TROVE_LITE_TEST_NOVA_OPENRC=/some/state/dir/openrc \
        tox -e functional -- tests/functional/test_nova_driver.py

The OS_* variables of openrc are the service credentials. The stub network
service cannot make security groups, so that step is off, and servers
boot without a NIC. Servers are fake, so no guest agent ever runs in one:
the create is followed up to the prepare cast (the message waits in the
guest's queue), then to the build timeout and its undo. What needs a
guest (a "cinder" backup, a resize) is driven through the driver itself:
what Nova and Cinder do is real, the guest's part is not there.

The resize needs a cloud that may resize a server on its own host
(mini-openstack has one compute host): ``[DEFAULT]
allow_resize_to_same_host = true`` in nova-api's nova.conf. Cinder's fake
volume driver snapshots, extends and makes volumes from snapshots; the
cloud has no cinder-backup, so a "cinder" backup is the snapshot itself.
"""

import base64
import json
import os
import time
import uuid

import pytest
from cinderclient import client as cinder_client
from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import generic
from novaclient import client as nova_client

from tests.functional import stack as stack_module
from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.nova import driver as nova_driver
from trove_lite.conf import CONF

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(
        os.environ.get('TROVE_LITE_TEST_NOVA') != '1',
        reason='needs a real Nova: set TROVE_LITE_TEST_NOVA=1 and the OS_* '
               'variables of a cloud (shared/tools/mini-openstack/up.sh, '
               'then source its openrc)'),
]



def cloud_environment():
    """The OS_*/MINI_OS_* variables: this process's, or those the openrc
    named by TROVE_LITE_TEST_NOVA_OPENRC exports."""
    path = os.environ.get('TROVE_LITE_TEST_NOVA_OPENRC')
    if not path:
        return os.environ
    found = {}
    with open(path) as openrc:
        for line in openrc:
            name, _, value = line.strip().removeprefix('export ').partition(
                '=')
            if name.startswith(('OS_', 'MINI_OS_')):
                found[name] = value.strip('\'"')
    return found


ENV = cloud_environment()
IMAGE_NAME = ENV.get('MINI_OS_IMAGE', 'mini-raw')
FLAVOR_NAME = ENV.get('MINI_OS_FLAVOR', 'm1.tiny')
GUEST_BROKER = 'rabbit://tl-guest:guest-secret@192.0.2.1:5672'
GUEST_TRANSPORT_URL = f'{GUEST_BROKER}/tl'
USAGE_TIMEOUT = 30
# Bounds, not expectations: a loaded 2-core machine has taken 100 s to
# boot a fake server (48 s for Nova to accept the POST alone).
BOOT_TIMEOUT = 300


class Cloud:
    """The test's own view of the cloud, as the OS_* user."""

    def __init__(self):
        env = ENV
        self.credentials = {
            'auth_url': env['OS_AUTH_URL'],
            'username': env['OS_USERNAME'],
            'password': env['OS_PASSWORD'],
            'project_name': env['OS_PROJECT_NAME'],
            'user_domain_name': env.get('OS_USER_DOMAIN_NAME', 'Default'),
            'project_domain_name': env.get('OS_PROJECT_DOMAIN_NAME',
                                           'Default'),
            'region_name': env.get('OS_REGION_NAME', 'RegionOne'),
        }
        auth_options = dict(self.credentials)
        region = auth_options.pop('region_name')
        session = ks_session.Session(auth=generic.Password(**auth_options))
        # 2.37 shows admins the user data (OS-EXT-SRV-ATTR:user_data).
        self.nova = nova_client.Client('2.37', session=session,
                                       region_name=region)
        self.cinder = cinder_client.Client('3.0', session=session,
                                           region_name=region)
        self.glance = adapter.Adapter(session, service_type='image',
                                      region_name=region)

    def image_id(self, name):
        images = self.glance.get(f'/v2/images?name={name}').json()['images']
        assert images, f'no image {name} in Glance'
        return images[0]['id']

    def server(self, server_id):
        try:
            return self.nova.servers.get(server_id)
        except Exception as error:
            if getattr(error, 'code', None) == 404:
                return None
            raise

    def volume(self, volume_id):
        try:
            return self.cinder.volumes.get(volume_id)
        except Exception as error:
            if getattr(error, 'code', None) == 404:
                return None
            raise


class NovaStack(stack_module.Stack):
    """A trove-lite deployment whose compute driver is the cloud's Nova."""

    def __init__(self, base_dir, cloud):
        self.cloud = cloud
        self.image_id = cloud.image_id(IMAGE_NAME)
        self.flavor = cloud.nova.flavors.find(name=FLAVOR_NAME)
        credentials = {key: str(value)
                       for key, value in cloud.credentials.items()}
        super().__init__(base_dir, overrides={
            'DEFAULT': {
                'compute_driver': 'nova',
                'trove_security_groups_support': 'false',
                'volume_time_out': '60',
                'server_delete_time_out': '60',
            },
            'mariadb': {'usage_timeout': str(USAGE_TIMEOUT)},
            'service_credentials': credentials,
            'nova_compute': {
                'network_allocation': 'none',
                'status_poll_interval': '0.5',
                'server_boot_timeout': str(BOOT_TIMEOUT),
            },
        })
        # The broker as guests reach it (not from here): on this stack's
        # vhost, where each instance's guest gets a broker user of its own.
        self.guest_transport_url = f'{GUEST_BROKER}/{self.vhost}'
        self.overrides['nova_compute']['guest_transport_url'] = \
            self.guest_transport_url

    def catalogue(self):
        return {
            'datastores': [{
                'name': 'mariadb', 'default_version': '10.11',
                'versions': [{'name': '10.11', 'manager': 'mariadb',
                              'version_number': '10.11.6',
                              'image': self.image_id}]}],
            'flavors': [{'id': self.flavor.id, 'name': self.flavor.name,
                         'ram': self.flavor.ram, 'vcpus': self.flavor.vcpus,
                         'disk': self.flavor.disk}],
        }


@pytest.fixture(scope='module')
def cloud():
    return Cloud()


@pytest.fixture
def nova_stack(tmp_path_factory, cloud):
    # Not kept for the driver's tests: its taskmanager would reap their
    # servers and volumes as orphans (no instance of its own made them).
    deployment = NovaStack(str(tmp_path_factory.mktemp('nova-stack')),
                           cloud)
    with deployment:
        yield deployment


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.5)


def test_create_boots_a_nova_server_with_volume_and_user_data_then_prepares(
        nova_stack, cloud):
    api = nova_stack.api('demo')
    created = api.create_instance(name='on-nova', flavor=nova_stack.flavor.id,
                                  size=1)
    instance_id = created['id']
    guest_queue = f'guestagent.{instance_id}.{instance_id}'

    # The prepare cast waits in the guest's queue for an agent to come.
    wait_for(lambda: nova_stack.queues().get(guest_queue), BOOT_TIMEOUT + 60,
             'the prepare message in the guest queue')

    (server_id, volume_id), = nova_stack.query(
        'SELECT compute_instance_id, volume_id FROM instances '
        'WHERE id = %s', instance_id)
    server = cloud.server(server_id)
    assert server.status == 'ACTIVE'
    assert server.name == 'on-nova'
    assert server.metadata == {'trove_instance_id': instance_id}
    assert server.flavor['id'] == nova_stack.flavor.id
    assert server.image['id'] == nova_stack.image_id
    user_data = base64.b64decode(
        getattr(server, 'OS-EXT-SRV-ATTR:user_data')).decode()
    files = {f['path']: f['content'] for f in
             json.loads(user_data.split('\n', 1)[1])['write_files']}
    assert f'guest_id = {instance_id}' in \
        files['/etc/trove/conf.d/guest_info.conf']
    guest_conf = files['/etc/trove/conf.d/trove-lite-guestagent.conf']
    # The guest's own broker user, at the address guests reach.
    assert f'transport_url = rabbit://trove-guest-{instance_id}:' in \
        guest_conf
    assert f'@192.0.2.1:5672/{nova_stack.vhost}' in guest_conf
    assert 'guest-secret' not in guest_conf

    volume = cloud.volume(volume_id)
    assert volume.name == f'trove-{instance_id}'
    assert volume.size == 1
    assert volume.status == 'in-use'
    assert [a['server_id'] for a in volume.attachments] == [server_id]

    shown = api.instance(instance_id)
    assert shown['status'] == 'BUILD'

    # No agent answers: the build times out and undoes itself in Nova.
    failed = api.wait_for(instance_id, lambda i: i['status'] == 'ERROR',
                          timeout=USAGE_TIMEOUT + BOOT_TIMEOUT)
    assert failed['status'] == 'ERROR'
    assert cloud.server(server_id) is None
    wait_for(lambda: cloud.volume(volume_id) is None, 60,
             'the volume to be deleted')
    assert guest_queue not in nova_stack.queues()

    assert api.delete(f'/instances/{instance_id}').status_code == 202
    api.wait_gone(instance_id)


@pytest.fixture(scope='module')
def driver(cloud):
    """The nova driver in this process, as the taskmanager's."""
    overrides = [(name, value, 'service_credentials')
                 for name, value in cloud.credentials.items()]
    overrides += [('network_allocation', 'none', 'nova_compute'),
                  ('status_poll_interval', 0.5, 'nova_compute'),
                  ('trove_security_groups_support', False, None),
                  ('volume_time_out', 60, None),
                  ('resize_time_out', BOOT_TIMEOUT, None),
                  ('server_boot_timeout', BOOT_TIMEOUT, 'nova_compute')]
    for name, value, group in overrides:
        CONF.set_override(name, value, group)
    try:
        yield nova_driver.NovaDriver()
    finally:
        for name, _, group in overrides:
            CONF.clear_override(name, group)


def flavor_of(cloud, name):
    flavor = cloud.nova.flavors.find(name=name)
    return {'id': flavor.id, 'ram': flavor.ram}


@pytest.fixture
def server(cloud, driver):
    """A server of FLAVOR_NAME with a 1 GB volume attached (in-use)."""
    instance_id = f'tl-{uuid.uuid4()}'
    volume_id = driver.create_volume(instance_id, 1)
    guest = base.GuestConfig(instance_id, 'mariadb', '10.11',
                             GUEST_TRANSPORT_URL, 'trove', 'trove-conductor',
                             10)
    made = driver.create_server(instance_id, 'tl-driver-test',
                                flavor_of(cloud, FLAVOR_NAME),
                                cloud.image_id(IMAGE_NAME), volume_id, guest)
    wait_for(lambda: cloud.volume(volume_id).status == 'in-use', 60,
             'the volume to be attached')
    try:
        yield made.id, volume_id
    finally:
        driver.delete_server(made.id)
        driver.delete_volume(volume_id)


def timed(what, call, *args):
    started = time.monotonic()
    result = call(*args)
    print(f'{what}: {time.monotonic() - started:.1f} s')
    return result


def test_cinder_backup_is_a_snapshot_restored_into_a_new_volume(
        cloud, driver, server):
    server_id, volume_id = server
    backup_id, project_id = str(uuid.uuid4()), 'tl-project'
    thawed = []

    def thaw():
        # The point-in-time copy exists before the guest is thawed.
        snapshot, = cloud.cinder.volume_snapshots.list(
            search_opts={'volume_id': volume_id})
        thawed.append(snapshot.status)

    size = timed('snapshot', driver.snapshot_volume, volume_id, backup_id,
                 project_id, thaw)

    assert thawed == ['available']
    snapshot, = cloud.cinder.volume_snapshots.list(
        search_opts={'volume_id': volume_id})
    assert snapshot.name == f'trove-backup-{backup_id}'
    assert snapshot.metadata == {'trove_backup_id': backup_id,
                                 'trove_project_id': project_id}
    assert size == 1024 ** 3

    # The restore: a new (larger) volume made from the snapshot.
    restored_id = timed('restore', driver.create_volume, 'tl-restored', 2,
                        None, (project_id, backup_id))
    try:
        restored = cloud.volume(restored_id)
        assert (restored.status, restored.size) == ('available', 2)
        assert restored.snapshot_id == snapshot.id
        assert restored.metadata['trove_instance_id'] == 'tl-restored'
    finally:
        driver.delete_volume(restored_id)

    # The instance goes; its volume stays for the backup, out of sight
    # of the orphan reaper, until the backup is deleted.
    driver.delete_server(server_id)
    driver.delete_volume(volume_id)
    kept = cloud.volume(volume_id)
    assert kept.status == 'available'
    assert kept.metadata.get('trove_retired') == 'true'
    assert volume_id not in [v.id for v in driver.list_volumes()]

    driver.delete_volume_snapshot(backup_id, project_id)
    assert cloud.cinder.volume_snapshots.list(
        search_opts={'name': snapshot.name}) == []
    wait_for(lambda: cloud.volume(volume_id) is None, 60,
             'the retired volume to be deleted')
    driver.delete_volume_snapshot(backup_id, project_id)  # again: quiet


@pytest.fixture
def huge_flavor(cloud):
    """A flavor no host has room for: a disk larger than the fake virt
    driver's host (600000 GB), which no quota counts (too much RAM or too
    many cores and Nova would refuse the resize at once, over quota)."""
    flavor = cloud.nova.flavors.create(f'tl-huge-{uuid.uuid4().hex[:8]}',
                                       ram=512, vcpus=1, disk=10 ** 7)
    try:
        yield {'id': flavor.id, 'ram': flavor.ram}
    finally:
        flavor.delete()


def test_resize_confirms_on_nova_and_a_refused_one_leaves_the_flavor(
        cloud, driver, server, huge_flavor):
    server_id, _ = server
    small = flavor_of(cloud, 'm1.small')

    resized = timed('resize', driver.resize_server, server_id, small)

    assert resized.status == 'ACTIVE'
    found = cloud.server(server_id)
    assert (found.status, found.flavor['id']) == ('ACTIVE', small['id']), \
        'is allow_resize_to_same_host set in nova-api\'s nova.conf?'

    with pytest.raises(exceptions.ComputeError,
                       match='Nova did not resize'):
        timed('refused resize', driver.resize_server, server_id,
              huge_flavor)
    found = cloud.server(server_id)
    assert (found.status, found.flavor['id']) == ('ACTIVE', small['id'])

    # Back, as a resize the guest could not follow is undone.
    driver.resize_server(server_id, flavor_of(cloud, FLAVOR_NAME))
    assert cloud.server(server_id).flavor['id'] == \
        flavor_of(cloud, FLAVOR_NAME)['id']


def test_extend_grows_the_attached_volume(cloud, driver, server):
    server_id, volume_id = server

    timed('extend', driver.extend_volume, volume_id, 2)

    volume = cloud.volume(volume_id)
    assert (volume.status, volume.size) == ('in-use', 2)
    assert [a['server_id'] for a in volume.attachments] == [server_id]
    driver.extend_volume(volume_id, 2)  # again: nothing to do
    assert cloud.volume(volume_id).size == 2
