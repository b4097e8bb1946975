"""What a local guest's mount namespace covers and binds back. The real
namespace is checked in tests/functional/test_containment_local.py."""

import os
import pathlib
import shutil
import tempfile

import pytest

from trove_lite.compute.local import mounts


@pytest.fixture
def base():
    """A directory every user may pass (pytest's own is root's only)."""
    path = tempfile.mkdtemp()
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path)


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


def test_a_closed_directory_inside_a_bound_back_one_is_covered_too(base):
    # A checkout in a private directory, bound back whole (Python's path
    # holds it), whose .tox (closed, as tox makes it) holds the
    # virtualenv the guest runs.
    private = base / 'private'
    checkout = private / 'checkout'
    tox = checkout / '.tox'
    venv = tox / 'functional'
    (venv / 'lib').mkdir(parents=True)
    (tox / 'other').mkdir()
    private.chmod(0o700)
    tox.chmod(0o700)
    layout = mounts.plan(hidden=[], needed=[str(checkout), str(venv),
                                            str(venv / 'lib')])
    assert list(layout.items()) == [(str(private), [str(checkout)]),
                                    (str(tox), [str(venv)])]


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
