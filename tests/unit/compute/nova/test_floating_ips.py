"""The nova driver's public addresses (access ``is_public``) against
Neutron's recorded API: a floating IP from ``[nova_compute]
public_network`` on the server's user port, released when the access
turns private and with the instance."""

import pytest

from tests.unit.compute.nova import conftest
from trove_lite.common import exceptions
from trove_lite.compute.nova import driver as nova_driver

INSTANCE_ID = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'
PUBLIC_NETWORK = '376da547-b977-4cfe-9cba-275c80debf57'
MANAGEMENT_NETWORK = 'c9a8f1d0-5e4b-4c6a-9d2e-7f3b1a0e8c55'
USER_PORT = 'ce705c24-c1ef-408a-bda3-7bbd946164ab'
FLOATING_IP = '2f245a7b-796b-4f26-9cf9-9e82d248fda7'
DESCRIPTION = f'trove-lite instance {INSTANCE_ID}'
LISTED = ('GET', f'/v2.0/floatingips?description={DESCRIPTION}')
PORTS = ('GET', f'/v2.0/ports?device_id={conftest.SERVER_ID}')


@pytest.fixture
def driver(cloud, config):
    config('public_network', PUBLIC_NETWORK, 'nova_compute')
    config('management_networks', [MANAGEMENT_NETWORK])
    return nova_driver.NovaDriver()


def test_a_public_instance_gets_a_floating_ip_on_its_user_port(cloud,
                                                               driver):
    cloud.answer('neutron_port_list')
    cloud.answer('neutron_floatingip_list_empty')
    cloud.answer('neutron_floatingip_create')

    address = driver.set_public(INSTANCE_ID, conftest.SERVER_ID, True)

    assert driver.gives_public_addresses()
    assert address == '172.24.4.228'
    assert cloud.paths('network') == [PORTS, LISTED,
                                      ('POST', '/v2.0/floatingips')]
    (_, _, body, _) = cloud.sent('network', 'POST')[0]
    # Not the management network's port: the one clients reach.
    assert body == {'floatingip': {'floating_network_id': PUBLIC_NETWORK,
                                   'port_id': USER_PORT,
                                   'description': DESCRIPTION}}
    assert conftest.same_shape(body, conftest.recorded(
        'neutron_floatingip_create')['request']['json'])


def test_an_instance_public_already_keeps_its_address(cloud, driver):
    cloud.answer('neutron_port_list')
    cloud.answer('neutron_floatingip_list')

    assert driver.set_public(INSTANCE_ID, conftest.SERVER_ID,
                             True) == '172.24.4.228'
    assert cloud.paths('network') == [PORTS, LISTED]


def test_a_floating_ip_left_unattached_is_attached_not_allocated_again(
        cloud, driver):
    cloud.answer('neutron_port_list')
    cloud.answer('neutron_floatingip_list_unattached')
    cloud.answer('neutron_floatingip_update')

    driver.set_public(INSTANCE_ID, conftest.SERVER_ID, True)

    assert cloud.paths('network')[-1] == (
        'PUT', f'/v2.0/floatingips/{FLOATING_IP}')
    (_, _, body, _) = cloud.sent('network', 'PUT')[0]
    assert body == {'floatingip': {'port_id': USER_PORT}}
    assert conftest.same_shape(body, conftest.recorded(
        'neutron_floatingip_update')['request']['json'])


def test_turning_private_detaches_and_releases_the_floating_ip(cloud,
                                                              driver):
    cloud.answer('neutron_floatingip_list')
    cloud.answer('neutron_floatingip_delete')

    assert driver.set_public(INSTANCE_ID, conftest.SERVER_ID, False) is None
    assert cloud.paths('network') == [
        LISTED, ('DELETE', f'/v2.0/floatingips/{FLOATING_IP}')]


def test_release_with_no_floating_ip_only_looks(cloud, driver):
    cloud.answer('neutron_floatingip_list_empty')

    driver.release_public_addresses(INSTANCE_ID)

    assert cloud.paths('network') == [LISTED]


def test_an_exhausted_public_network_is_reported_in_neutrons_words(
        cloud, driver):
    cloud.answer('neutron_port_list')
    cloud.answer('neutron_floatingip_list_empty')
    cloud.answer('neutron_floatingip_create_exhausted')

    with pytest.raises(exceptions.ComputeError) as raised:
        driver.set_public(INSTANCE_ID, conftest.SERVER_ID, True)

    assert str(raised.value) == (
        f'Compute error: Neutron refused a floating IP for {INSTANCE_ID} '
        f'(HTTP 409): No more IP addresses available on network '
        f'{PUBLIC_NETWORK}.')


def test_a_server_without_a_port_gets_no_floating_ip(cloud, driver):
    cloud.answer('neutron_port_list_empty')

    with pytest.raises(exceptions.ComputeError, match='has no port'):
        driver.set_public(INSTANCE_ID, conftest.SERVER_ID, True)
    assert cloud.paths('network') == [PORTS]


def test_without_a_public_network_nothing_is_asked_of_neutron(cloud,
                                                              config):
    driver = nova_driver.NovaDriver()

    assert not driver.gives_public_addresses()
    assert driver.set_public(INSTANCE_ID, conftest.SERVER_ID, True) is None
    driver.set_public(INSTANCE_ID, conftest.SERVER_ID, False)
    driver.release_public_addresses(INSTANCE_ID)

    assert cloud.paths('network') == []
