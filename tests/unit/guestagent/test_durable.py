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


def test_a_copied_tree_is_flushed_file_by_file(tmp_path, synced):
    (tmp_path / 'mysql').mkdir()
    (tmp_path / 'mysql' / 'db.frm').write_bytes(b'\xfe\x01')
    (tmp_path / 'ibdata1').write_bytes(b'\0' * 16)

    durable.sync_tree(str(tmp_path))

    assert sorted(synced) == sorted([
        str(tmp_path), str(tmp_path / 'ibdata1'), str(tmp_path / 'mysql'),
        str(tmp_path / 'mysql' / 'db.frm')])
