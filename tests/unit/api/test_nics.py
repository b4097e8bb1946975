"""``nics`` at the API: Trove's schema, refused on a driver with one
network, checked against Neutron on the nova driver, all before anything
is written or sent; the checked nics travel in the build's spec."""

import pytest

from tests.unit import db_fixtures
from tests.unit.api import test_access
from tests.unit.compute.nova import conftest as nova_conftest
from tests.unit.compute.nova import test_ports
from trove_lite.api import validation
from trove_lite.common import exceptions
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi

# The fixtures shared with those tests: the API app, the recorded cloud.
app = test_access.app
cloud = nova_conftest.cloud
config = nova_conftest.config
send = test_access.send
PROJECT_ID = test_ports.PROJECT_ID
NETWORK_ID = test_ports.NETWORK_ID
SUBNET_ID = test_ports.SUBNET_ID


@pytest.fixture
def specs(monkeypatch):
    sent = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, context, spec: sent.append(spec))
    return sent


@pytest.fixture
def nova(config):
    config('compute_driver', 'nova')


def create(app, nics, project_id=PROJECT_ID, **extra):
    return send(app, 'POST', '/instances', {'instance': dict({
        'name': 'db', 'flavorRef': 1, 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}, 'nics': nics}, **extra)},
        project_id=project_id)


def nothing_left(specs, project_id=PROJECT_ID):
    return specs == [] and db_fixtures.list_instances(project_id, 10) == []


@pytest.mark.parametrize('nics, checked', [
    ([], []),
    ([{'net-id': NETWORK_ID}], [{'network_id': NETWORK_ID}]),
    ([{'network_id': NETWORK_ID, 'net-id': NETWORK_ID}],
     [{'network_id': NETWORK_ID}]),
    ([{'subnet_id': SUBNET_ID, 'ip_address': '10.0.0.9'}],
     [{'subnet_id': SUBNET_ID, 'ip_address': '10.0.0.9'}]),
])
def test_nics_follow_troves_schema(nics, checked):
    assert validation.nics(nics, 'nics') == checked


@pytest.mark.parametrize('nics, problem', [
    ({'net-id': NETWORK_ID}, "is not of type 'array'"),
    ([{'net-id': NETWORK_ID}] * 2, 'is too long'),
    (['net'], "is not of type 'object'"),
    ([{'net-id': NETWORK_ID, 'port-id': NETWORK_ID}],
     "'port-id' was unexpected"),
    ([{'net-id': 'private'}], 'is not a UUID'),
    ([{'subnet_id': 7}], 'is not a UUID'),
    ([{'subnet_id': SUBNET_ID, 'ip_address': '10.0.0.256'}],
     'is not an IPv4 address'),
    ([{'subnet_id': SUBNET_ID, 'ip_address': 'fd00::9'}],
     'is not an IPv4 address'),
    ([{'subnet_id': SUBNET_ID, 'ip_address': 167772169}],
     'is not an IPv4 address'),
    ([{'net-id': NETWORK_ID, 'network_id': SUBNET_ID}], 'two networks'),
])
def test_a_malformed_nic_is_a_validation_error(nics, problem):
    with pytest.raises(exceptions.ValidationError, match=problem):
        validation.nics(nics, 'nics')


@pytest.mark.parametrize('nic, missing', [
    ({}, 'network or subnet'),
    ({'net-id': NETWORK_ID, 'ip_address': '10.0.0.9'}, 'subnet'),
])
def test_a_nic_without_what_it_needs_is_refused_in_troves_words(
        app, specs, nic, missing):
    response = create(app, [nic])

    assert response.status_int == 400
    assert response.json == {'badRequest': {'code': 400, 'message': (
        f'Unable to create instance because {missing} was not '
        f'provided.')}}
    assert nothing_left(specs)


def test_a_malformed_nic_is_refused_with_troves_fault(app,
                                                       specs):
    response = create(app, [{'net-id': NETWORK_ID, 'fixed_ip': '10.0.0.9'}])

    assert response.status_int == 400
    message = response.json['badRequest']['message']
    assert message.startswith('Validation error: ')
    assert "'fixed_ip' was unexpected" in message
    assert nothing_left(specs)


def test_nics_are_refused_on_a_driver_with_one_network(app, specs,
                                                       config):
    config('compute_driver', 'local')

    response = create(app, [{'net-id': NETWORK_ID}])

    assert response.status_int == 400
    assert "'nics' cannot be chosen" in \
        response.json['badRequest']['message']
    assert nothing_left(specs)


def test_on_nova_the_checked_nic_reaches_the_build(app, specs, nova,
                                                   cloud):
    cloud.answer('neutron_subnet_show')
    cloud.answer('neutron_network_show')

    response = create(app, [{'subnet_id': SUBNET_ID,
                             'ip_address': '10.0.0.9'}])

    assert response.status_int == 200, response.text
    spec, = specs
    assert spec.nics == [{'network_id': NETWORK_ID, 'subnet_id': SUBNET_ID,
                          'ip_address': '10.0.0.9'}]


@pytest.mark.parametrize('fixtures, message', [
    (['neutron_network_not_found'],
     f'Network Resource {NETWORK_ID} cannot be found.'),
    (['neutron_network_show_of_another_project'],
     f'Network Resource {NETWORK_ID} cannot be found.'),
    (['neutron_subnet_not_found'], f'Subnet {SUBNET_ID} cannot be found.'),
])
def test_on_nova_a_network_or_subnet_neutron_lacks_is_named(
        app, specs, nova, cloud, fixtures, message):
    for fixture in fixtures:
        cloud.answer(fixture)
    nic = ({'net-id': NETWORK_ID} if 'network' in fixtures[0]
           else {'net-id': NETWORK_ID, 'subnet_id': SUBNET_ID})

    response = create(app, [nic])

    assert response.status_int == 400, response.text
    assert response.json == {'badRequest': {'code': 400,
                                            'message': message}}
    assert nothing_left(specs)


def test_an_address_for_a_replica_is_refused_before_neutron_is_asked(
        app, specs, nova, cloud):
    response = create(app, [{'subnet_id': SUBNET_ID,
                             'ip_address': '10.0.0.9'}],
                      replica_of=test_ports.PORT_ID)

    assert response.status_int == 400
    assert 'replica' in response.json['badRequest']['message']
    assert cloud.sent('network') == []
    assert nothing_left(specs)
