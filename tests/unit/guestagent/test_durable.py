"""Guest files that must survive a power loss are flushed before they
count as written."""

import os
import stat

import pytest

from trove_lite.guestagent import durable


@pytest.fixture
def synced(monkeypatch):
    """Paths os.fsync was called on, in order."""
    paths = []
    real_fsync = os.fsync

    def fsync(fd):
        paths.append(os.readlink(f'/proc/self/fd/{fd}'))
        real_fsync(fd)
    monkeypatch.setattr(os, 'fsync', fsync)
    return paths


def test_a_private_file_is_replaced_whole_and_flushed(tmp_path, synced):
    path = tmp_path / 'my.cnf'
    path.write_text('old')

    durable.write_private(str(path), '[mysqld]\n')

    assert path.read_text() == '[mysqld]\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ['my.cnf']
    # The new content is on disk before it replaces the old, and the
    # rename is on disk after.
    assert synced == [f'{path}.tmp', str(tmp_path)]


def test_a_copied_tree_is_flushed_with_its_filesystem(tmp_path,
                                                      monkeypatch):
    """One syncfs of the tree's filesystem, not an fsync per file."""
    (tmp_path / 'ibdata1').write_bytes(b'\0' * 16)
    commands = []
    real_run = durable.subprocess.run

    def run(command, **kwargs):
        commands.append(command)
        return real_run(command, **kwargs)
    monkeypatch.setattr(durable.subprocess, 'run', run)

    durable.sync_tree(str(tmp_path))

    assert commands == [['sync', '--file-system', str(tmp_path)]]


def test_a_tree_that_cannot_be_flushed_fails_the_step(tmp_path):
    with pytest.raises(durable.subprocess.CalledProcessError):
        durable.sync_tree(str(tmp_path / 'gone'))
