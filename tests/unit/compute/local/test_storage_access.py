"""The ACLs that open a project's local backups to its guests: what
open_to and close_to write, and what they leave alone. That guests then
reach their own project's backups only is tried for real in
tests/functional/test_backups_local.py."""

import errno
import os
import pathlib
import shutil
import tempfile

import pytest

from trove_lite.common import exceptions
from trove_lite.compute.local import storage_access as access
from trove_lite.storage import local

UID_A, UID_B = 64901, 64902

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason='setting file owners needs root')


@pytest.fixture
def root():
    base = pathlib.Path(tempfile.mkdtemp())
    yield base / 'storage'
    shutil.rmtree(base)


@pytest.fixture
def storage(root):
    return access.StorageAccess(str(root), str(root.parent / 'lock'))


def users(path):
    try:
        raw = os.getxattr(path, 'system.posix_acl_access',
                          follow_symlinks=False)
    except OSError as error:
        assert error.errno == errno.ENODATA
        return {}
    return {uid: perm for (tag, uid), perm in access._decode(raw).items()
            if tag == access._USER}


def test_encoding_round_trips_and_sets_the_mask():
    entries = {(access._USER_OBJ, access._NO_ID): 7,
               (access._GROUP_OBJ, access._NO_ID): 0,
               (access._OTHER, access._NO_ID): 0,
               (access._USER, UID_A): 6}
    decoded = access._decode(access._encode(entries))
    assert decoded == {**entries, (access._MASK, access._NO_ID): 6}
    # Without named entries, no mask: the minimal ACL of a mode.
    assert (access._MASK, access._NO_ID) not in access._decode(
        access._encode(access._from_mode(0o640)))


def test_open_to_makes_the_project_directory_its_guests_only(root,
                                                            storage):
    path = storage.open_to(UID_A, 'demo')
    assert path == str(root / 'demo')
    assert oct(root.stat().st_mode & 0o7777) == oct(0o711)
    info = (root / 'demo').stat()
    assert (info.st_uid, oct(info.st_mode & 0o7777)) == (0, oct(0o770))
    assert users(root / 'demo') == {UID_A: 7}
    # What is stored there later is open to the project's guests too.
    conf = type('Conf', (), {})()
    conf.storage_local_path = str(root)
    conf.backup_chunk_size = 4096
    conf.backup_compression = 'none'
    conf.backup_compression_level = None
    conf.backup_aes_cbc_key = ''
    store = local.LocalStorage('demo', conf)
    store.save('database_backups', 'b1', [b'data'])
    stored = root / 'demo' / 'database_backups' / 'b1'
    assert users(stored) == {UID_A: 7}
    assert oct(stored.stat().st_mode & 0o777) == oct(0o660)
    storage.open_to(UID_B, 'demo')
    assert users(stored) == {UID_A: 7, UID_B: 6}
    assert users(stored.parent) == {UID_A: 7, UID_B: 7}


def test_a_uid_is_in_one_project_only(root, storage):
    storage.open_to(UID_A, 'first')
    (root / 'first' / 'kept').write_bytes(b'x')
    os.chown(root / 'first' / 'kept', UID_A, UID_A)
    # The uid is reused by a guest of another project.
    storage.open_to(UID_A, 'second')
    assert users(root / 'first') == {}
    assert (root / 'first' / 'kept').stat().st_uid == 0
    assert users(root / 'second') == {UID_A: 7}


def test_close_to_takes_everything_back(root, storage):
    storage.open_to(UID_A, 'demo')
    storage.open_to(UID_B, 'demo')
    made = root / 'demo' / 'made'
    made.write_bytes(b'x')
    os.chown(made, UID_A, UID_A)
    os.chmod(made, 0o4770)
    storage.close_to(UID_A)
    assert users(root / 'demo') == {UID_B: 7}
    info = made.stat()
    assert info.st_uid == 0
    # Nothing it made stays executable or set-uid.
    assert info.st_mode & 0o7111 == 0


def test_links_are_never_changed(root, storage):
    storage.open_to(UID_A, 'demo')
    outside = root.parent / 'host-file'
    outside.write_bytes(b'secret')
    os.chown(outside, UID_A, UID_A)
    os.chmod(outside, 0o600)
    (root / 'demo' / 'symlink').symlink_to(outside)
    os.link(outside, root / 'demo' / 'hardlink')
    storage.open_to(UID_B, 'demo')
    storage.close_to(UID_A)
    assert users(outside) == {}
    assert outside.stat().st_uid == UID_A
    assert oct(outside.stat().st_mode & 0o777) == oct(0o600)


def test_project_names_cannot_leave_the_root(storage):
    with pytest.raises(Exception, match='project'):
        storage.open_to(UID_A, '../etc')


def test_a_filesystem_without_acls_fails_the_build_clearly(storage,
                                                           monkeypatch):
    def unsupported(*_args, **_kwargs):
        raise OSError(errno.EOPNOTSUPP, 'Operation not supported')
    monkeypatch.setattr(access.os, 'setxattr', unsupported)
    with pytest.raises(exceptions.ComputeError, match='POSIX ACLs'):
        storage.open_to(UID_A, 'demo')
