"""The local driver's access rules as iptables-restore scripts (a
recording runner and a listing of the host's rules;
tests/functional/test_access.py runs them in the kernel), and how the
driver chooses between nftables and iptables."""

import pytest

from trove_lite.common import exceptions
from trove_lite.compute.local import firewall
from trove_lite.compute.local import iptables

SERVER = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'
PREFIX = iptables.chain_prefix('tl_test')
CHAIN = PREFIX + '5b1e6f0a7c9d4e3f'
JUMP = f'-A INPUT -d 127.0.2.7/32 -p tcp -m tcp --dport 3306 -j {CHAIN}'
# Rules of the host and of another deployment, which are never touched.
OTHERS = ('-P INPUT ACCEPT\n-N TLffffff_0000000000000000\n'
          '-A INPUT -i lo -j ACCEPT\n'
          '-A INPUT -d 127.0.3.1/32 -p tcp -m tcp --dport 3306 '
          '-j TLffffff_0000000000000000\n')


@pytest.fixture
def host(monkeypatch):
    """The host's rules (``host.rules``) and the scripts run."""
    monkeypatch.setattr(iptables.shutil, 'which', lambda name: '/usr/sbin/x')
    monkeypatch.setattr(iptables.os, 'geteuid', lambda: 0)

    class Host:
        rules = OTHERS
        scripts = []
    return Host


@pytest.fixture
def rules(tmp_path, host):
    return iptables.IptablesFirewall('tl_test', str(tmp_path / 'lock'),
                                     run=host.scripts.append,
                                     listing=lambda: host.rules)


def test_chain_names_fit_iptables_and_differ_per_deployment():
    assert len(CHAIN) <= 28
    assert CHAIN.startswith('TL')
    assert iptables.chain_prefix('other') != PREFIX


def test_a_limit_is_one_transaction_jumped_to_only_for_its_address(
        rules, host):
    rules.apply(SERVER, '127.0.2.7', 3306, ['127.0.0.5/32', '::1/128'])

    (script,) = host.scripts
    assert script.splitlines() == [
        '*filter',
        f':{CHAIN} - [0:0]',
        f'-A {CHAIN} -s 127.0.0.5/32 -j ACCEPT',
        f'-A {CHAIN} -p tcp -j REJECT --reject-with tcp-reset',
        f'-I INPUT -d 127.0.2.7/32 -p tcp -m tcp --dport 3306 -j {CHAIN}',
        'COMMIT']


def test_a_change_replaces_the_chain_and_its_jump(rules, host):
    host.rules = OTHERS + f'-N {CHAIN}\n{JUMP}\n-A {CHAIN} -j ACCEPT\n'
    rules.apply(SERVER, '127.0.2.7', 3306, ['10.0.0.0/8'])

    lines = host.scripts[0].splitlines()
    # Declaring the chain again empties it; its old jump goes.
    assert lines[1:3] == [f':{CHAIN} - [0:0]', '-D' + JUMP[2:]]
    assert f'-A {CHAIN} -s 10.0.0.0/8 -j ACCEPT' in lines
    assert not any('TLffffff' in line for line in lines)


def test_removing_leaves_no_chain_or_jump(rules, host):
    host.rules = OTHERS + f'-N {CHAIN}\n{JUMP}\n'
    rules.remove(SERVER, '127.0.2.7', 3306)

    assert host.scripts[0].splitlines() == [
        '*filter', f':{CHAIN} - [0:0]', '-D' + JUMP[2:], f'-X {CHAIN}',
        'COMMIT']


def test_rebuild_keeps_exactly_the_recorded_limits(rules, host):
    stale = PREFIX + '0e0e0e0edead4bad'
    host.rules = (OTHERS + f'-N {CHAIN}\n-N {stale}\n{JUMP}\n'
                  f'-A INPUT -d 127.0.2.9/32 -p tcp -m tcp --dport 3306 '
                  f'-j {stale}\n')
    rules.rebuild(lambda: [(SERVER, '127.0.2.7', 3306, ['10.0.0.0/8']),
                           ('open', '127.0.2.8', 3306, [])])

    lines = host.scripts[0].splitlines()
    assert sorted(lines[1:3]) == [f':{stale} - [0:0]', f':{CHAIN} - [0:0]']
    assert f'-X {stale}' in lines
    assert f'-X {CHAIN}' not in lines
    assert lines[-2] == ('-I INPUT -d 127.0.2.7/32 -p tcp -m tcp --dport '
                         f'3306 -j {CHAIN}')
    assert not any('TLffffff' in line for line in lines)


def test_removing_all_with_nothing_of_ours_runs_nothing(rules, host):
    rules.remove_all()
    assert host.scripts == []


def test_without_iptables_removing_is_a_no_op_and_limiting_an_error(
        tmp_path, monkeypatch):
    monkeypatch.setattr(iptables.shutil, 'which', lambda name: None)
    rules = iptables.IptablesFirewall('tl_test', str(tmp_path / 'lock'))
    rules.remove(SERVER, '127.0.2.7', 3306)
    with pytest.raises(exceptions.ComputeError,
                       match='iptables is not installed'):
        rules.apply(SERVER, '127.0.2.7', 3306, ['10.0.0.0/8'])


@pytest.mark.parametrize('wanted, nft, ipt, chosen', [
    ('auto', True, True, 'nftables'),
    ('auto', False, True, 'iptables'),
    ('auto', False, False, 'nftables'),
    ('iptables', True, True, 'iptables'),
    ('nftables', False, True, 'nftables'),
])
def test_the_backend_is_nftables_where_usable(monkeypatch, wanted, nft, ipt,
                                              chosen):
    monkeypatch.setattr(firewall, 'nft_usable', lambda: nft)
    monkeypatch.setattr(iptables, 'usable', lambda: ipt)
    assert firewall.choose_backend(wanted) == chosen


def test_the_driver_gets_the_chosen_backend(tmp_path, monkeypatch):
    monkeypatch.setattr(firewall, 'nft_usable', lambda: False)
    monkeypatch.setattr(iptables, 'usable', lambda: True)
    assert isinstance(firewall.for_driver(str(tmp_path), 'tl_test'),
                      iptables.IptablesFirewall)
    assert isinstance(
        firewall.for_driver(str(tmp_path), 'tl_test', 'nftables'),
        firewall.Firewall)
