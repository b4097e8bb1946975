"""The nova driver's security groups against Neutron's recorded API."""

import pytest

from tests.unit.compute.nova import conftest
from trove_lite.common import exceptions
from trove_lite.compute.nova import driver as nova_driver

INSTANCE_ID = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'
GROUP_NAME = f'trove_sg-{INSTANCE_ID}'
GROUP_PATH = f'/v2.0/security-groups/{conftest.SECURITY_GROUP_ID}'


@pytest.fixture
def driver(cloud):
    return nova_driver.NovaDriver()


def test_security_group_opens_the_datastore_port_to_each_cidr(
        cloud, driver, config):
    config('trove_security_group_rule_cidr', ['10.0.0.0/8', 'fd00::/8'])
    cloud.answer('neutron_security_group_create')
    cloud.answer('neutron_security_group_rule_create')

    group_id = driver.create_security_group(INSTANCE_ID, 3306)

    assert group_id == conftest.SECURITY_GROUP_ID
    (_, path, group, _), *rules = cloud.sent('network')
    assert path == '/v2.0/security-groups'
    assert group['security_group']['name'] == GROUP_NAME
    assert conftest.same_shape(group, conftest.recorded(
        'neutron_security_group_create')['request']['json'])
    documented = conftest.recorded(
        'neutron_security_group_rule_create')['request']['json']
    assert all(conftest.same_shape(rule, documented)
               for _, _, rule, _ in rules)
    assert [rule['security_group_rule'] for _, _, rule, _ in rules] == [
        {'security_group_id': conftest.SECURITY_GROUP_ID,
         'direction': 'ingress', 'ethertype': ethertype, 'protocol': 'tcp',
         'port_range_min': 3306, 'port_range_max': 3306,
         'remote_ip_prefix': cidr}
        for ethertype, cidr in (('IPv4', '10.0.0.0/8'), ('IPv6', 'fd00::/8'))]


def test_group_whose_rule_is_refused_is_removed_and_the_quota_reported(
        cloud, driver):
    cloud.answer('neutron_security_group_create')
    cloud.answer('neutron_security_group_quota_exceeded')
    cloud.answer('neutron_security_group_delete')

    with pytest.raises(exceptions.ComputeError) as raised:
        driver.create_security_group(INSTANCE_ID, 3306)

    assert str(raised.value) == (
        f'Compute error: Neutron refused a rule of {GROUP_NAME} (HTTP 409): '
        f"Quota exceeded for resources: ['security_group_rule'].")
    assert cloud.paths('network')[-1] == ('DELETE', GROUP_PATH)


def test_delete_finds_the_group_by_name_and_waits_while_it_is_in_use(
        cloud, driver):
    cloud.answer('neutron_security_group_list')
    cloud.answer('neutron_security_group_in_use',
                 'neutron_security_group_delete')

    driver.delete_security_group(INSTANCE_ID)

    assert cloud.paths('network') == [
        ('GET', f'/v2.0/security-groups?name={GROUP_NAME}&fields=id'),
        ('DELETE', GROUP_PATH), ('DELETE', GROUP_PATH)]


def test_delete_of_a_group_already_gone_is_quiet(cloud, driver):
    cloud.answer('neutron_security_group_list_empty')

    driver.delete_security_group(INSTANCE_ID)

    assert [m for m, _ in cloud.paths('network')] == ['GET']


def test_group_in_use_past_the_timeout_fails_the_delete(cloud, driver):
    cloud.answer('neutron_security_group_list')
    cloud.answer('neutron_security_group_in_use')

    with pytest.raises(exceptions.ComputeError, match='SecurityGroupInUse|'
                                                      'in use'):
        driver.delete_security_group(INSTANCE_ID)


def test_without_security_group_support_neutron_is_never_asked(
        cloud, driver, config):
    config('trove_security_groups_support', False)

    assert driver.create_security_group(INSTANCE_ID, 3306) is None
    driver.delete_security_group(INSTANCE_ID)

    assert cloud.sent() == []


def test_a_limited_access_makes_one_rule_per_allowed_cidr(cloud, driver):
    cloud.answer('neutron_security_group_create')
    cloud.answer('neutron_security_group_rule_create')

    driver.create_security_group(INSTANCE_ID, 3306,
                                 ['192.0.2.0/24', '2001:db8::/32'])

    rules = [body['security_group_rule'] for _, path, body, _
             in cloud.sent('network', 'POST')
             if path == '/v2.0/security-group-rules']
    assert [(r['ethertype'], r['remote_ip_prefix']) for r in rules] == [
        ('IPv4', '192.0.2.0/24'), ('IPv6', '2001:db8::/32')]


RULES_OF_GROUP = (f'/v2.0/security-group-rules?security_group_id='
                  f'{conftest.SECURITY_GROUP_ID}&direction=ingress')
OPEN_RULE = '2bc0accf-312e-429a-956e-e4407625eb62'


def test_an_access_change_adds_the_missing_rules_before_dropping_others(
        cloud, driver):
    # The group has 0.0.0.0/0 and 192.0.2.0/24; the new access keeps the
    # second and adds an IPv6 network.
    cloud.answer('neutron_security_group_list')
    cloud.answer('neutron_security_group_rule_list')
    cloud.answer('neutron_security_group_rule_create')
    cloud.answer('neutron_security_group_rule_delete')

    driver.update_access(INSTANCE_ID, 'server-1', 3306,
                         ['192.0.2.0/24', '2001:db8::/32'])

    assert cloud.paths('network') == [
        ('GET', f'/v2.0/security-groups?name={GROUP_NAME}&fields=id'),
        ('GET', RULES_OF_GROUP),
        ('POST', '/v2.0/security-group-rules'),
        ('DELETE', f'/v2.0/security-group-rules/{OPEN_RULE}')]
    (_, _, added, _), = cloud.sent('network', 'POST')
    assert added['security_group_rule']['remote_ip_prefix'] == \
        '2001:db8::/32'
    assert conftest.same_shape(added, conftest.recorded(
        'neutron_security_group_rule_create')['request']['json'])


def test_an_open_access_goes_back_to_the_default_cidrs(cloud, driver,
                                                       config):
    config('trove_security_group_rule_cidr', ['0.0.0.0/0'])
    cloud.answer('neutron_security_group_list')
    cloud.answer('neutron_security_group_rule_list')
    cloud.answer('neutron_security_group_rule_delete')
    cloud.mocker.register_uri(
        'DELETE', conftest.BASE_URLS['network'] +
        '/v2.0/security-group-rules/93aa42e5-80db-4581-9391-3a608bd0e448',
        status_code=204)

    driver.update_access(INSTANCE_ID, 'server-1', 3306, [])

    assert [m for m, _ in cloud.paths('network')] == ['GET', 'GET', 'DELETE']
    assert cloud.paths('network')[-1][1].endswith(
        '93aa42e5-80db-4581-9391-3a608bd0e448')


def test_an_access_change_for_a_missing_group_fails(cloud, driver):
    cloud.answer('neutron_security_group_list_empty')

    with pytest.raises(exceptions.ComputeError, match='does not exist'):
        driver.update_access(INSTANCE_ID, 'server-1', 3306, ['10.0.0.0/8'])
