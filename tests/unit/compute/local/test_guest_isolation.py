"""The local driver's guest isolation, in parts: which uid a guest gets
and what its mount namespace covers. The real thing (users, namespaces,
attacks) is in tests/functional/test_containment_local.py."""

import os
import pathlib
import pwd
import shutil
import tempfile

import pytest

from trove_lite.compute.local import guest_users
from trove_lite.compute.local import mounts
from trove_lite.conf import CONF


@pytest.fixture
def uid_range():
    CONF.set_override('guest_uid_range', '42000-42003', 'local_compute')
    yield
    CONF.clear_override('guest_uid_range', 'local_compute')


@pytest.fixture
def base():
    """A directory every user may pass (pytest's own is root's only)."""
    path = tempfile.mkdtemp()
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path)


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


def test_removing_leaves_accounts_that_are_not_ours(monkeypatch):
    calls = []
    monkeypatch.setattr(guest_users, '_run', calls.append)
    monkeypatch.setattr(guest_users, '_owner_name', lambda uid: 'alice')
    guest_users.remove(1000)
    guest_users.remove(None)
    assert calls == []


def test_hidden_directories_keep_only_what_is_needed(base):
    servers = base / 'servers'
    own = servers / 'mine'
    (servers / 'other').mkdir(parents=True)
    own.mkdir()
    closed = base / 'closed'
    python = closed / 'python' / 'lib'
    python.mkdir(parents=True)
    closed.chmod(0o700)
    layout = mounts.plan(
        hidden=[str(servers), str(base / 'missing')],
        needed=[str(own), str(python), str(python / 'site'),
                str(base / 'absent')])
    # The closed directory on the way to the Python is covered too, and
    # only the outermost needed path under a cover is bound back.
    assert layout == {str(servers): [str(own)],
                      str(closed): [str(python)]}


def test_a_needed_directory_is_never_covered(base):
    (base / 'a' / 'b').mkdir(parents=True)
    assert mounts.plan(hidden=[str(base / 'a')],
                       needed=[str(base / 'a')]) == {}
    assert mounts.plan(hidden=[str(base / 'a'),
                               str(base / 'a' / 'b')],
                       needed=[]) == {str(base / 'a'): []}


def test_passable_parents_are_not_covered(base):
    open_dir = base / 'open' / 'lib'
    open_dir.mkdir(parents=True)
    os.chmod(base / 'open', 0o755)
    assert mounts.plan(hidden=[], needed=[str(open_dir)]) == {}
