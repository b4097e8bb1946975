"""The nova compute driver against a real Keystone, Nova and Cinder.

Opt-in: it needs a cloud, such as shared/tools/mini-openstack (Nova with
the fake virt driver, Cinder with fake volumes, a Neutron stub). Run::

    MINI_OS_DIR=/some/state/dir shared/tools/mini-openstack/up.sh
    source /some/state/dir/openrc
    TROVE_LITE_TEST_NOVA=1 pytest tests/functional/test_nova_driver.py

The OS_* variables of openrc are the service credentials. The stub network
service cannot make security groups, so that step is off, and servers
boot without a NIC. Servers are fake, so no guest agent ever runs in one:
the create is followed up to the prepare cast (the message waits in the
guest's queue), then to the build timeout and its undo.
"""

import base64
import json
import os
import time

import pytest
from cinderclient import client as cinder_client
from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import generic
from novaclient import client as nova_client

from tests.functional import stack as stack_module

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(
        os.environ.get('TROVE_LITE_TEST_NOVA') != '1',
        reason='needs a real Nova: set TROVE_LITE_TEST_NOVA=1 and the OS_* '
               'variables of a cloud (shared/tools/mini-openstack/up.sh, '
               'then source its openrc)'),
]

IMAGE_NAME = os.environ.get('MINI_OS_IMAGE', 'mini-raw')
FLAVOR_NAME = os.environ.get('MINI_OS_FLAVOR', 'm1.tiny')
GUEST_TRANSPORT_URL = 'rabbit://tl-guest:guest-secret@192.0.2.1:5672/tl'
USAGE_TIMEOUT = 30


class Cloud:
    """The test's own view of the cloud, as the OS_* user."""

    def __init__(self):
        env = os.environ
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
                'server_boot_timeout': '120',
                'guest_transport_url': GUEST_TRANSPORT_URL,
            },
        })

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


@pytest.fixture(scope='module')
def nova_stack(tmp_path_factory, cloud):
    deployment = NovaStack(str(tmp_path_factory.mktemp('nova-stack')),
                           cloud)
    try:
        deployment.setup()
        yield deployment
    finally:
        deployment.teardown()


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
    wait_for(lambda: nova_stack.queues().get(guest_queue), 120,
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
    assert f'transport_url = {GUEST_TRANSPORT_URL}' in \
        files['/etc/trove/conf.d/trove-lite-guestagent.conf']

    volume = cloud.volume(volume_id)
    assert volume.name == f'trove-{instance_id}'
    assert volume.size == 1
    assert volume.status == 'in-use'
    assert [a['server_id'] for a in volume.attachments] == [server_id]

    shown = api.instance(instance_id)
    assert shown['status'] == 'BUILD'

    # No agent answers: the build times out and undoes itself in Nova.
    failed = api.wait_for(instance_id, lambda i: i['status'] == 'ERROR',
                          timeout=USAGE_TIMEOUT + 120)
    assert failed['status'] == 'ERROR'
    assert cloud.server(server_id) is None
    wait_for(lambda: cloud.volume(volume_id) is None, 60,
             'the volume to be deleted')
    assert guest_queue not in nova_stack.queues()

    assert api.delete(f'/instances/{instance_id}').status_code == 202
    api.wait_gone(instance_id)
