"""MariaDB's rules for hosts and passwords, and the host spelling MariaDB
stores (it has no CIDR syntax)."""

import pytest

from trove_lite.datastore import mysql_rules


@pytest.mark.parametrize('host', [
    '%', '10.0.0.1', '192.168.%', '10.0.%.%', '%.%', '10.0.0.0/8',
    '10.1.0.0/255.255.0.0', '192.168.1.7/32', '::1', 'fe80::1'])
def test_hosts_mariadb_can_match_without_name_resolution(host):
    assert mysql_rules.check_host(host) is None


@pytest.mark.parametrize('host, reason', [
    ('db.example.com', 'guests resolve no host names'),
    ('localhost', 'guests resolve no host names'),
    ('10.0.0.1/8', 'network address'),
    ('10.0.0.0/33', 'not a valid IPv4 CIDR'),
    ('fe80::/64', 'only in IPv4'),
    ('300.%', 'must be "%"'),
    ('1.2.3.4.%', 'must be "%"'),
    ('10.%_', 'must be "%"'),
    ("10.0.0.1' OR '1", 'must be "%"'),
    ('10.0.%\n', 'control characters'),
    ('', 'non-empty'),
    (7, 'non-empty string'),
])
def test_other_hosts_are_refused_with_a_reason(host, reason):
    assert reason in mysql_rules.check_host(host)


def test_cidr_is_stored_as_address_and_netmask_and_shown_as_cidr():
    assert mysql_rules.to_server_host('10.0.0.0/8') == '10.0.0.0/255.0.0.0'
    assert mysql_rules.from_server_host('10.0.0.0/255.0.0.0') == \
        '10.0.0.0/8'
    assert mysql_rules.canonical_host('10.1.0.0/255.255.0.0') == \
        '10.1.0.0/16'
    for host in ('%', '10.0.%', '10.0.0.1'):
        assert mysql_rules.to_server_host(host) == host
        assert mysql_rules.from_server_host(host) == host


@pytest.mark.parametrize('password', [
    "it's1", 'say"1', 'a;b1', 'a`b1', 'a,b1', 'a/b1', 'a\\b1', ' lead1',
    'trail1 ', '!!!', 'x' * 256, 'tab\t1'])
def test_passwords_refused_as_trove_refuses_them(password):
    assert mysql_rules.check_password(password) is not None


@pytest.mark.parametrize('password', ['s3cret', 'pass word 1', 'Ünïcode1',
                                      'x' * 255, 'a-b_c.d!e@f#1'])
def test_passwords_accepted(password):
    assert mysql_rules.check_password(password) is None
