"""The local driver's access rules as nft scripts (a recording runner;
tests/functional/test_access.py runs them in the kernel), and the order
in which a server's record and its rules change."""

import pytest

from trove_lite.compute.local import addresses
from trove_lite.compute.local import firewall

SERVER = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'
CHAIN = 'server_5b1e6f0a_7c9d_4e3f_8a2b_1c0d9e8f7a6b'
ALLOW = 'allow_5b1e6f0a_7c9d_4e3f_8a2b_1c0d9e8f7a6b'


@pytest.fixture
def scripts(tmp_path, monkeypatch):
    monkeypatch.setattr(firewall.shutil, 'which', lambda name: '/usr/nft')
    return []


@pytest.fixture
def rules(tmp_path, scripts):
    return firewall.Firewall('tl_test', str(tmp_path / 'lock'),
                             run=scripts.append)


def test_ipv4_networks_are_merged_and_ipv6_left_out():
    assert addresses.ipv4_networks(
        ['10.0.0.0/8', '10.1.0.0/16', '2001:db8::/32', '127.0.0.5/32']) == [
        '10.0.0.0/8', '127.0.0.5/32']


def test_a_limit_is_one_transaction_that_first_clears_the_old_rules(
        rules, scripts):
    rules.apply(SERVER, '127.0.2.7', 3306, ['127.0.0.5/32', '::1/128'])

    (script,) = scripts
    lines = script.splitlines()
    assert lines[:2] == ['add table inet tl_test',
                         'add map inet tl_test servers { type ipv4_addr . '
                         'inet_service : verdict; }']
    assert 'add rule inet tl_test input ip daddr . tcp dport vmap @servers' \
        in lines
    cleared = lines.index(f'delete set inet tl_test {ALLOW}')
    assert lines[cleared + 1:] == [
        f'add set inet tl_test {ALLOW} {{ type ipv4_addr; flags interval; }}',
        f'add chain inet tl_test {CHAIN}',
        f'add element inet tl_test {ALLOW} {{ 127.0.0.5/32 }}',
        f'add rule inet tl_test {CHAIN} ip saddr @{ALLOW} accept',
        f'add rule inet tl_test {CHAIN} meta l4proto tcp reject with tcp '
        f'reset',
        f'add element inet tl_test servers {{ 127.0.2.7 . 3306 : jump '
        f'{CHAIN} }}']


def test_only_ipv6_cidrs_shut_out_every_ipv4_source(rules, scripts):
    rules.apply(SERVER, '127.0.2.7', 3306, ['2001:db8::/32'])

    assert f'add element inet tl_test {ALLOW}' not in scripts[0]
    assert f'jump {CHAIN}' in scripts[0].splitlines()[-1]


def test_removing_leaves_no_chain_set_or_map_entry(rules, scripts):
    rules.remove(SERVER, '127.0.2.7', 3306)

    lines = scripts[0].splitlines()
    assert lines[-4:] == [
        'delete element inet tl_test servers { 127.0.2.7 . 3306 }',
        f'flush chain inet tl_test {CHAIN}',
        f'delete chain inet tl_test {CHAIN}',
        f'delete set inet tl_test {ALLOW}']


def test_without_nft_removing_is_a_no_op_and_limiting_an_error(
        tmp_path, monkeypatch):
    monkeypatch.setattr(firewall.shutil, 'which', lambda name: None)
    rules = firewall.Firewall('tl_test', str(tmp_path / 'lock'))
    rules.remove(SERVER, '127.0.2.7', 3306)
    with pytest.raises(Exception, match='nft is not installed'):
        rules.apply(SERVER, '127.0.2.7', 3306, ['10.0.0.0/8'])


def test_rebuild_without_limits_leaves_no_table(rules, scripts,
                                                monkeypatch):
    monkeypatch.setattr(firewall.os, 'geteuid', lambda: 0)
    rules.rebuild(lambda: [('open', '127.0.2.8', 3306, [])])

    assert scripts == ['add table inet tl_test\ndelete table inet tl_test\n']


def test_rebuild_replaces_the_whole_table_with_the_recorded_limits(
        rules, scripts):
    rules.rebuild(lambda: [(SERVER, '127.0.2.7', 3306, ['10.0.0.0/8']),
                           ('open', '127.0.2.8', 3306, [])])

    lines = scripts[0].splitlines()
    assert lines[:2] == ['add table inet tl_test',
                         'delete table inet tl_test']
    assert f'add chain inet tl_test {CHAIN}' in lines
    assert not any('server_open' in line for line in lines)


class Driver(firewall.ServerAccess):
    """The records and firewall of a local driver."""

    def __init__(self, events):
        self.events = events
        self.record = {'id': SERVER, 'address': '127.0.2.7', 'port': 3306,
                       'allowed_cidrs': ['10.0.0.0/8']}
        self._firewall = self

    def _read_server(self, server_id):
        return dict(self.record)

    def _write_server(self, server_id, record):
        self.events.append(('record', record['allowed_cidrs']))
        self.record = record

    def apply(self, server_id, address, port, cidrs):
        self.events.append(('rules', cidrs))


def test_a_limit_is_recorded_before_it_is_applied():
    events = []
    Driver(events).update_access('i', SERVER, 3306, ['192.0.2.0/24'])
    assert events == [('record', ['192.0.2.0/24']),
                      ('rules', ['192.0.2.0/24'])]


def test_an_opening_is_recorded_after_the_rules_went():
    # A crash in between leaves a record claiming rules, so the delete or
    # the next start still removes them.
    events = []
    Driver(events).update_access('i', SERVER, 3306, [])
    assert events == [('rules', []), ('record', [])]
