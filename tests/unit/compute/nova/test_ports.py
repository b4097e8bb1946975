"""The port of a create's ``nics`` against Neutron's recorded API: checked
for the API, made before the server boots with the instance's security
group, handed to Nova with the management networks, removed again when
the build fails or the instance goes."""

import pytest

from tests.unit.compute.nova import conftest
from tests.unit.compute.nova import test_servers
from tests.unit.compute.nova.test_delete import Row
from tests.unit.fakes import FakeGuest
from trove_lite.common import exceptions
from trove_lite.compute.nova import driver as nova_driver
from trove_lite.taskmanager import teardown

NETWORK_ID = 'd32019d3-bc6e-4319-9c1d-6722fc136a22'
SUBNET_ID = '08eae331-0402-425a-923c-34f7cfe39c1b'
OTHER_SUBNET_ID = '54d6f61d-db07-451c-9ab3-b9609b6b6f0b'
PORT_ID = 'ebe69f1e-bc26-4db5-bed0-c0afb4afe3db'
# The project that owns the recorded network.
PROJECT_ID = '4fd44f30292945e481c7b8a0c8908869'
PORT_NAME = f'trove-{test_servers.INSTANCE_ID}'
NIC = {'network_id': NETWORK_ID, 'subnet_id': SUBNET_ID,
       'ip_address': '10.0.0.9'}


@pytest.fixture
def driver(cloud):
    return nova_driver.NovaDriver()


def checked(nics, project_id=PROJECT_ID):
    return nova_driver.NovaDriver.checked_nics(project_id, nics)


def test_a_subnet_alone_is_checked_and_gives_its_network(cloud):
    cloud.answer('neutron_subnet_show')
    cloud.answer('neutron_network_show')

    assert checked([{'subnet_id': SUBNET_ID}]) == [
        {'subnet_id': SUBNET_ID, 'network_id': NETWORK_ID}]
    assert cloud.paths('network') == [
        ('GET', f'/v2.0/subnets/{SUBNET_ID}'),
        ('GET', f'/v2.0/networks/{NETWORK_ID}')]


def test_a_network_of_the_project_or_a_shared_one_is_accepted(cloud):
    cloud.answer('neutron_network_show', 'neutron_network_show_shared')

    assert checked([{'network_id': NETWORK_ID}]) == [
        {'network_id': NETWORK_ID}]
    assert checked([{'network_id': NETWORK_ID}], 'another-project') == [
        {'network_id': NETWORK_ID}]


@pytest.mark.parametrize('fixture', [
    'neutron_network_not_found', 'neutron_network_show_of_another_project'])
def test_a_network_the_project_cannot_use_is_not_found(cloud, fixture):
    # Another project's private network looks absent, as to that project.
    cloud.answer(fixture)

    with pytest.raises(exceptions.NetworkNotFound) as raised:
        checked([{'network_id': NETWORK_ID}])

    assert raised.value.code == 400
    assert str(raised.value) == \
        f'Network Resource {NETWORK_ID} cannot be found.'


def test_a_missing_subnet_is_named(cloud):
    cloud.answer('neutron_subnet_not_found')

    with pytest.raises(exceptions.BadRequest) as raised:
        checked([NIC])

    assert str(raised.value) == f'Subnet {SUBNET_ID} cannot be found.'
    assert cloud.paths('network') == [('GET', f'/v2.0/subnets/{SUBNET_ID}')]


def test_a_subnet_on_another_network_is_refused(cloud):
    cloud.answer('neutron_subnet_show_on_another_network')

    with pytest.raises(exceptions.SubnetNotFound) as raised:
        checked([dict(NIC, subnet_id=OTHER_SUBNET_ID)])

    assert str(raised.value) == (
        f'Subnet {OTHER_SUBNET_ID} not found in the network {NETWORK_ID}.')


def test_neutron_out_of_reach_is_a_compute_error_not_a_bad_request(
        cloud):
    cloud.mocker.register_uri(
        'GET', conftest.BASE_URLS['network'] + f'/v2.0/networks/{NETWORK_ID}',
        status_code=503, text='down for maintenance')

    with pytest.raises(exceptions.ComputeError) as raised:
        checked([{'network_id': NETWORK_ID}])

    assert raised.value.code == 500
    assert 'HTTP 503' in str(raised.value)


def test_the_port_is_made_then_booted_before_the_management_networks(
        cloud, driver, config):
    config('management_networks', ['mgmt-net-id'])
    cloud.answer('neutron_port_create')
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_active')

    test_servers.create(driver, security_group_id=conftest.SECURITY_GROUP_ID,
                        nics=[NIC])

    (method, path, body, _), = cloud.sent('network')
    assert (method, path) == ('POST', '/v2.0/ports')
    assert conftest.same_shape(
        body, conftest.recorded('neutron_port_create')['request']['json'])
    assert body['port'] == {
        'name': PORT_NAME, 'network_id': NETWORK_ID,
        'description': 'Network of a trove-lite instance',
        'fixed_ips': [{'subnet_id': SUBNET_ID, 'ip_address': '10.0.0.9'}],
        'security_groups': [conftest.SECURITY_GROUP_ID]}
    _, _, boot, _ = cloud.sent('compute', 'POST')[0]
    assert boot['server']['networks'] == [{'port': PORT_ID},
                                          {'uuid': 'mgmt-net-id'}]


def test_a_network_alone_makes_a_port_neutron_addresses(cloud, driver,
                                                        config):
    config('trove_security_groups_support', False)
    cloud.answer('neutron_port_create')
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_active')

    test_servers.create(driver, nics=[{'network_id': NETWORK_ID}])

    _, _, body, _ = cloud.sent('network')[0]
    # No group of ours: Neutron gives the project's default one.
    assert body['port'] == {'name': PORT_NAME, 'network_id': NETWORK_ID,
                            'description': 'Network of a trove-lite instance'}
    _, _, boot, _ = cloud.sent('compute', 'POST')[0]
    assert boot['server']['networks'] == [{'port': PORT_ID}]


def test_a_refused_port_fails_the_build_before_nova_is_asked(cloud, driver):
    cloud.answer('neutron_port_create_ip_in_use')

    with pytest.raises(exceptions.ComputeError) as raised:
        test_servers.create(driver, nics=[NIC])

    assert 'IP address 10.0.0.9 already allocated' in str(raised.value)
    assert 'HTTP 409' in str(raised.value)
    assert cloud.sent('compute') == []


def test_the_port_goes_when_nova_refuses_the_server(cloud, driver):
    cloud.answer('neutron_port_create')
    cloud.answer('nova_server_quota_exceeded')
    cloud.answer('neutron_port_delete')

    with pytest.raises(exceptions.ServerBuildError, match='Quota exceeded'):
        test_servers.create(driver, nics=[NIC])

    assert cloud.paths('network') == [('POST', '/v2.0/ports'),
                                      ('DELETE', f'/v2.0/ports/{PORT_ID}')]


def test_the_port_goes_after_a_server_that_went_to_error(cloud, driver):
    cloud.answer('neutron_port_create')
    cloud.answer('nova_server_create')
    cloud.answer('nova_server_error', 'nova_server_not_found')
    cloud.answer('nova_server_delete')
    cloud.answer('neutron_port_delete')

    with pytest.raises(exceptions.ServerBuildError, match='went to ERROR'):
        test_servers.create(driver, nics=[NIC])

    # The server first: the port is released by its deletion.
    assert [call for call in cloud.paths() if call[0] == 'DELETE'] == [
        ('DELETE', f'/servers/{conftest.SERVER_ID}'),
        ('DELETE', f'/v2.0/ports/{PORT_ID}')]


def test_delete_ports_finds_the_instances_port_by_name(cloud, driver):
    cloud.answer('neutron_port_list_by_name')
    cloud.answer('neutron_port_delete_not_found')

    driver.delete_ports(test_servers.INSTANCE_ID)

    (_, query, _, _), (method, path, _, _) = cloud.sent('network')
    assert query == f'/v2.0/ports?name={PORT_NAME}&fields=id'
    assert (method, path) == ('DELETE', f'/v2.0/ports/{PORT_ID}')


def test_teardown_removes_the_port_after_the_server_before_the_group(
        cloud, monkeypatch):
    FakeGuest.install(monkeypatch, teardown.guest_rpcapi)
    cloud.answer('nova_server_list_detail')
    cloud.answer('cinder_volume_list_detail')
    cloud.answer('nova_server_delete_not_found')
    cloud.answer('cinder_volume_not_found')
    cloud.answer('neutron_port_list_by_name')
    cloud.answer('neutron_port_delete')
    cloud.answer('neutron_security_group_list')
    cloud.answer('neutron_security_group_delete')

    teardown.remove_resources_of(nova_driver.NovaDriver(),
                                 Row(conftest.SERVER_ID, None))

    assert [call for call in cloud.paths() if call[0] == 'DELETE'] == [
        ('DELETE', f'/servers/{conftest.SERVER_ID}'),
        ('DELETE', f'/v2.0/ports/{PORT_ID}'),
        ('DELETE', f'/v2.0/security-groups/{conftest.SECURITY_GROUP_ID}')]
