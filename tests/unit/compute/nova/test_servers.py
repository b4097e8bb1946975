"""The nova driver's servers against Nova's recorded API."""

import base64
import json
import logging

import pytest

from tests.unit.compute.nova import conftest
from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.nova import cloudinit
from trove_lite.compute.nova import driver as nova_driver

INSTANCE_ID = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'
SERVER_PATH = f'/servers/{conftest.SERVER_ID}'
FLAVOR = {'id': '1', 'name': 'tiny', 'ram': 512, 'vcpus': 1, 'disk': 1}
GUEST_PASSWORD = 'guest-pass-9c1d'


@pytest.fixture
def driver(cloud):
    return nova_driver.NovaDriver()


def guest_config():
    return base.GuestConfig(
        instance_id=INSTANCE_ID, datastore_manager='mariadb',
        datastore_version='10.11',
        transport_url=f'rabbit://guest:{GUEST_PASSWORD}@10.0.0.1:5672/tl',
        control_exchange='trove', conductor_queue='trove-conductor',
        report_interval=30.0)


def create(driver, **kwargs):
    arguments = dict(instance_id=INSTANCE_ID, name='orders', flavor=FLAVOR,
                     image_id=conftest.IMAGE_ID,
                     volume_id=conftest.VOLUME_ID,
                     guest_config=guest_config())
    arguments.update(kwargs)
    return driver.create_server(**arguments)


def test_server_boots_the_image_with_flavor_volume_network_and_user_data(
        cloud, driver, config):
    config('management_networks', ['mgmt-net-id'])
    config('nova_keypair', 'trove-mgmt')
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_build', 'nova_server_build',
                 'nova_server_active')

    server = create(
        driver, security_group_id=conftest.SECURITY_GROUP_ID,
        availability_zone='nova')

    (method, path, body, headers), *polls = cloud.sent('compute')
    assert (method, path) == ('POST', '/servers')
    assert headers['X-OpenStack-Nova-API-Version'] == '2.37'
    assert headers['OpenStack-API-Version'] == 'compute 2.37'
    assert conftest.same_shape(
        body, conftest.recorded('nova_server_create')['request']['json'])
    sent = body['server']
    assert sent['name'] == 'orders'
    assert sent['imageRef'] == conftest.IMAGE_ID
    assert sent['flavorRef'] == '1'
    assert sent['metadata'] == {'trove_instance_id': INSTANCE_ID}
    assert sent['key_name'] == 'trove-mgmt'
    assert sent['config_drive'] is True
    assert sent['availability_zone'] == 'nova'
    assert sent['security_groups'] == [
        {'name': conftest.SECURITY_GROUP_ID}]
    assert sent['networks'] == [{'uuid': 'mgmt-net-id'}]
    # The image boots; the volume is attached at boot and stays ours.
    assert sent['block_device_mapping_v2'][1] == {
        'uuid': conftest.VOLUME_ID, 'source_type': 'volume',
        'destination_type': 'volume', 'boot_index': -1,
        'delete_on_termination': False}
    user_data = base64.b64decode(sent['user_data']).decode()
    assert user_data.startswith('#cloud-config\n')
    files = {f['path']: f['content']
             for f in json.loads(user_data.split('\n', 1)[1])['write_files']}
    assert f'guest_id = {INSTANCE_ID}' in files[cloudinit.GUEST_INFO_FILE]
    assert GUEST_PASSWORD in files[cloudinit.AGENT_CONF_FILE]

    assert [(m, p) for m, p, _, _ in polls] == [('GET', SERVER_PATH)] * 3
    assert server == base.Server(
        id=conftest.SERVER_ID, status='ACTIVE', addresses=[
            {'address': '192.168.0.3', 'type': 'private',
             'network': 'private'},
            {'address': '172.24.4.15', 'type': 'public',
             'network': 'private'}])


def test_server_without_any_network_gets_the_configured_allocation(
        cloud, driver, config):
    config('network_allocation', 'none', 'nova_compute')
    config('use_nova_server_config_drive', False)
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_active')

    create(driver, volume_id=None)

    _, _, body, _ = cloud.sent('compute', 'POST')[0]
    assert body['server']['networks'] == 'none'
    assert 'config_drive' not in body['server']
    assert 'security_groups' not in body['server']
    assert 'block_device_mapping_v2' not in body['server']


def test_server_going_to_error_is_deleted_and_reported_with_novas_fault(
        cloud, driver):
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_build', 'nova_server_error',
                 'nova_server_not_found')
    cloud.answer('nova_server_delete')

    with pytest.raises(exceptions.ServerBuildError) as raised:
        create(driver)

    assert str(raised.value) == (
        f'Server could not be created: server {conftest.SERVER_ID} went '
        f'to ERROR: No valid host was found. There are not enough hosts '
        f'available.')
    assert cloud.paths('compute') == [
        ('POST', '/servers'), ('GET', SERVER_PATH), ('GET', SERVER_PATH),
        ('DELETE', SERVER_PATH), ('GET', SERVER_PATH)]


def test_server_still_building_at_the_timeout_is_deleted(cloud, driver):
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_build')
    cloud.answer('nova_server_delete')

    with pytest.raises(exceptions.ServerBuildError) as raised:
        create(driver)

    assert 'was still BUILD after 1 s' in str(raised.value)
    assert ('DELETE', SERVER_PATH) in cloud.paths('compute')


def test_server_quota_error_is_reported_in_novas_words(cloud, driver):
    cloud.answer('nova_server_quota_exceeded')

    with pytest.raises(exceptions.ServerBuildError) as raised:
        create(driver)

    message = str(raised.value)
    assert 'Nova refused server for instance' in message
    assert 'Quota exceeded for instances: Requested 1, but already used ' \
           '10 of 10 instances (HTTP 403)' in message
    assert cloud.paths('compute') == [('POST', '/servers')]


def test_server_without_an_image_is_refused_before_nova_is_asked(
        cloud, driver):
    with pytest.raises(exceptions.ServerBuildError, match='no image'):
        create(driver, image_id=None)

    assert cloud.sent() == []


def test_get_server_reports_novas_status_and_ipv4_addresses(cloud, driver):
    cloud.answer('nova_server_shutoff')

    server = driver.get_server(conftest.SERVER_ID)

    assert server.status == 'SHUTDOWN'
    assert [a['address'] for a in server.addresses] == [
        '192.168.0.3', '172.24.4.15']


def test_get_server_of_a_server_nova_does_not_know_is_none(cloud, driver):
    cloud.answer('nova_server_not_found')

    assert driver.get_server(conftest.SERVER_ID) is None


def test_delete_server_waits_until_nova_no_longer_has_it(cloud, driver):
    cloud.answer('nova_server_delete')
    cloud.answer('nova_server_active', 'nova_server_not_found')

    driver.delete_server(conftest.SERVER_ID)

    assert cloud.paths('compute') == [
        ('DELETE', SERVER_PATH), ('GET', SERVER_PATH), ('GET', SERVER_PATH)]


def test_delete_of_a_server_already_gone_is_quiet(cloud, driver):
    cloud.answer('nova_server_delete_not_found')

    driver.delete_server(conftest.SERVER_ID)

    assert cloud.paths('compute') == [('DELETE', SERVER_PATH)]


def test_server_that_will_not_go_away_fails_the_delete(cloud, driver):
    cloud.answer('nova_server_delete')
    cloud.answer('nova_server_active')

    with pytest.raises(exceptions.ComputeError, match='not deleted within'):
        driver.delete_server(conftest.SERVER_ID)


def test_the_service_user_authenticates_with_its_configured_credentials(
        cloud, driver):
    cloud.answer('nova_server_not_found')

    driver.get_server(conftest.SERVER_ID)

    (_, _, body, _), = cloud.sent('identity', 'POST')
    assert body['auth']['identity']['password']['user'] == {
        'name': 'trove-lite', 'domain': {'name': 'Default'},
        'password': conftest.SERVICE_PASSWORD}
    assert body['auth']['scope'] == {'project': {
        'name': 'service', 'domain': {'name': 'Default'}}}
    _, _, _, headers = cloud.sent('compute')[0]
    assert headers['X-Auth-Token'] == 'gAAAAABservice-token'


def test_no_password_reaches_the_log(cloud, driver, caplog):
    caplog.set_level(logging.DEBUG, logger='trove_lite')
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_error', 'nova_server_not_found')
    cloud.answer('nova_server_delete')

    with pytest.raises(exceptions.ServerBuildError):
        create(driver)

    assert caplog.records
    assert GUEST_PASSWORD not in caplog.text
    assert conftest.SERVICE_PASSWORD not in caplog.text


def test_rejected_service_credentials_are_reported_as_such(cloud, driver):
    cloud.answer('keystone_token_unauthorized')

    with pytest.raises(exceptions.ComputeError) as raised:
        driver.get_server(conftest.SERVER_ID)

    assert 'Nova could not be used' in str(raised.value)
    assert 'requires authentication' in str(raised.value)
    assert cloud.sent('compute') == []


def test_driver_without_an_auth_url_says_what_is_missing(config):
    config('auth_url', None, 'service_credentials')

    with pytest.raises(ValueError, match=r'\[service_credentials\] '
                                         r'auth_url is not set'):
        nova_driver.NovaDriver()
