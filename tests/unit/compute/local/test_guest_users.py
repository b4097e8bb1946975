"""Which uid a local guest gets, and which users the driver removes. The
real users are made and attacked in
tests/functional/test_containment_local.py."""

import grp
import pwd
import subprocess

import pytest

from trove_lite.common import exceptions
from trove_lite.compute.local import guest_users
from trove_lite.conf import CONF


@pytest.fixture
def uid_range(monkeypatch):
    CONF.set_override('guest_uid_range', '42000-42003', 'local_compute')
    # The host's own groups (other deployments' guests may hold these
    # gids or names) are not this test's: only the groups a test names
    # exist.
    for lookup in ('getgrgid', 'getgrnam'):
        monkeypatch.setattr(guest_users.grp, lookup,
                            lambda key: (_ for _ in ()).throw(KeyError(key)))
    yield
    CONF.clear_override('guest_uid_range', 'local_compute')


def test_a_uid_held_by_a_server_or_an_account_is_never_picked(
        uid_range, monkeypatch):
    accounts = {42000: 'someone', 42002: 'trove-guest-42002'}

    def getpwuid(uid):
        if uid not in accounts:
            raise KeyError(uid)
        return pwd.struct_passwd((accounts[uid], 'x', uid, uid, '', '/',
                                  '/bin/false'))

    monkeypatch.setattr(guest_users.pwd, 'getpwuid', getpwuid)
    # An account named like ours may be another deployment's guest.
    assert guest_users.pick_uid(taken={42001}) == 42003
    assert guest_users.pick_uid(taken={42001, 42003}) is None


def test_a_uid_whose_group_is_left_is_never_picked(uid_range, monkeypatch):
    # A userdel still removing its group (or one that failed half-way)
    # leaves the group: useradd --user-group would fail on it.
    groups = {'trove-guest-42000'}

    def getgrnam(name):
        if name not in groups:
            raise KeyError(name)
        return grp.struct_group((name, 'x', 42000, []))

    monkeypatch.setattr(guest_users.pwd, 'getpwuid',
                        lambda uid: (_ for _ in ()).throw(KeyError(uid)))
    monkeypatch.setattr(guest_users.grp, 'getgrnam', getgrnam)
    assert guest_users.pick_uid(taken=set()) == 42001


def test_removing_leaves_accounts_that_are_not_ours(monkeypatch):
    calls = []
    monkeypatch.setattr(guest_users, '_run', calls.append)
    monkeypatch.setattr(guest_users, '_owner_name', lambda uid: 'alice')
    guest_users.remove(1000)
    guest_users.remove(None)
    assert calls == []


def test_a_busy_account_lock_is_waited_for(monkeypatch):
    answers = [subprocess.CompletedProcess(
        [], 1, '', 'useradd: cannot lock /etc/passwd; try again later.'),
        subprocess.CompletedProcess([], 0, '', '')]
    monkeypatch.setattr(guest_users.subprocess, 'run',
                        lambda *args, **kwargs: answers.pop(0))
    monkeypatch.setattr(guest_users.time, 'sleep', lambda seconds: None)
    guest_users._run(['useradd', 'x'])
    assert answers == []


def test_other_account_errors_fail_at_once(monkeypatch):
    calls = []

    def run(*args, **kwargs):
        calls.append(args)
        return subprocess.CompletedProcess([], 9, '', 'useradd: user exists')
    monkeypatch.setattr(guest_users.subprocess, 'run', run)
    with pytest.raises(exceptions.ComputeError, match='user exists'):
        guest_users._run(['useradd', 'x'])
    assert len(calls) == 1


def test_a_user_removed_meanwhile_is_not_removed_again(monkeypatch):
    # A delete and the reaper remove one server's user: the second finds
    # it gone under the accounts lock instead of failing on userdel.
    owners = ['trove-guest-42000', None]
    calls = []
    monkeypatch.setattr(guest_users, '_owner_name',
                        lambda uid: owners.pop(0) if owners else None)
    monkeypatch.setattr(guest_users, 'kill_processes', lambda uid: None)
    monkeypatch.setattr(guest_users, 'ACCOUNTS_LOCK', '/dev/null')
    monkeypatch.setattr(guest_users, '_run', calls.append)
    monkeypatch.setattr(guest_users.grp, 'getgrnam',
                        lambda name: (_ for _ in ()).throw(KeyError(name)))
    guest_users.remove(42000)
    assert calls == []
