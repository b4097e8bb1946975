"""The local driver on a real temporary directory: round trips, modes,
atomic replacement, clean-up after failures, hostile names and links."""

import errno
import io
import os
import stat

import pytest

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.storage import local

KEY = 'k' * 40


@pytest.fixture
def root(conf, tmp_path):
    conf.config(storage_local_path=str(tmp_path / 'store'),
                backup_aes_cbc_key=KEY, backup_chunk_size=4096)
    return tmp_path / 'store'


@pytest.fixture
def store(root):
    return local.LocalStorage('project-a', CONF)


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob('*'))


def test_save_and_load_round_trip(store, root):
    data = os.urandom(50_000) + b'row' * 10_000
    saved = store.save('database_backups', 'b1/full.xbstream',
                       io.BytesIO(data), {'backup_type': 'full', 'lsn': 7})
    assert saved.location == \
        'local://database_backups/project-a/b1/full.xbstream'
    assert saved.source_size == len(data)
    path = root / 'project-a' / 'database_backups' / 'b1' / 'full.xbstream'
    assert saved.size < path.stat().st_size
    with store.load(saved.location, saved.checksum) as reader:
        assert reader.read() == data
    info = store.get_info(saved.location)
    assert info.metadata == {'backup_type': 'full', 'lsn': '7'}
    assert (info.size, info.checksum, info.encoded) == (
        saved.size, saved.checksum, True)


def test_encrypted_object_on_disk_holds_no_plaintext(store, root):
    store.save('c', 'o', [b'secret row ' * 1000])
    assert b'secret row' not in (root / 'project-a' / 'c' / 'o'
                                 ).read_bytes()


def test_raw_object_is_stored_as_given(store, root):
    saved = store.save('database_logs', 'general.log', [b'line\n'] * 3,
                       encode=False)
    data = (root / 'project-a' / 'database_logs' / 'general.log'
            ).read_bytes()
    assert data.startswith(b'line\nline\nline\n')
    assert b''.join(store.load(saved.location)) == b'line\n' * 3


def test_directories_and_files_are_private(store, root):
    store.save('c', 'a/b/o', [b'x'])
    for path in [root, root / 'project-a', root / 'project-a' / 'c',
                 root / 'project-a' / 'c' / 'a']:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / 'project-a' / 'c' / 'a' / 'b' / 'o'
                         ).stat().st_mode) == 0o600


def test_default_root_is_under_the_state_path(conf, tmp_path):
    conf.config(state_path=str(tmp_path), group='local_compute')
    store = local.LocalStorage('p', CONF)
    saved = store.save('c', 'o', [b'x'])
    assert (tmp_path / 'storage' / 'p' / 'c' / 'o').exists()
    assert store.exists(saved.location)


def test_save_replaces_an_object_atomically(store, root):
    store.save('c', 'o', [b'old'])
    saved = store.save('c', 'o', [b'new'])
    assert store.load(saved.location).read() == b'new'
    assert files_under(root / 'project-a' / 'c') == ['o']


def test_failing_source_keeps_the_old_object_and_raises_its_error(store,
                                                                   root):
    saved = store.save('c', 'o', [b'old'])

    def source():
        yield b'x' * 100_000
        raise BrokenPipeError('mariabackup died')
    with pytest.raises(BrokenPipeError, match='mariabackup died'):
        store.save('c', 'o', source())
    assert store.load(saved.location).read() == b'old'
    assert files_under(root / 'project-a' / 'c') == ['o']


class FillingFile(io.FileIO):
    """A file whose disk fills up after its first write."""

    def write(self, data):
        if self.tell():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def test_store_failing_mid_stream_leaves_nothing(store, root, monkeypatch):
    monkeypatch.setattr(local, 'open', lambda fd, mode: FillingFile(fd, 'w'),
                        raising=False)
    with pytest.raises(exceptions.StorageError,
                       match='No space left on device'):
        store.save('c', 'o', [os.urandom(10_000)] * 10)
    assert files_under(root / 'project-a' / 'c') == []


def test_changed_bytes_on_disk_are_detected(store, root):
    saved = store.save('c', 'o', [os.urandom(20_000)], encode=False)
    path = root / 'project-a' / 'c' / 'o'
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(exceptions.StorageIntegrityError, match='checksum'):
        b''.join(store.load(saved.location))


def test_damaged_footer_is_detected(store, root):
    saved = store.save('c', 'o', [b'data'])
    path = root / 'project-a' / 'c' / 'o'
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(exceptions.StorageIntegrityError, match='footer'):
        store.get_info(saved.location)


def test_expected_checksum_is_checked_before_reading(store):
    saved = store.save('c', 'o', [b'data'])
    with pytest.raises(exceptions.StorageIntegrityError, match='expected'):
        store.load(saved.location, 'f' * 64)


def test_missing_object(store):
    location = store.location('c', 'nothing')
    assert not store.exists(location)
    with pytest.raises(exceptions.StorageObjectNotFound):
        store.load(location)
    store.delete(location)


def test_delete_removes_the_object_leftovers_and_empty_directories(store,
                                                                   root):
    saved = store.save('c', 'a/b/o', [b'data'])
    leftover = root / 'project-a' / 'c' / 'a' / 'b' / '.tmp-o-dead'
    leftover.write_bytes(b'partial')
    store.save('c', 'a/keep', [b'data'])
    store.delete(saved.location)
    assert files_under(root / 'project-a' / 'c') == ['a', 'a/keep']
    store.delete(saved.location)


def test_list_by_prefix(store, root):
    for name in ['binlog/mysql-bin.000001', 'binlog/mysql-bin.000002',
                 'binlog/old/mysql-bin.000001', 'full', 'binlogs']:
        store.save('c', name, [name.encode()], encode=False)
    (root / 'project-a' / 'c' / 'binlog' / '.tmp-x-1').write_bytes(b'')
    listed = store.list('c', 'binlog/mysql')
    assert [info.name for info in listed] == ['binlog/mysql-bin.000001',
                                              'binlog/mysql-bin.000002']
    assert listed[0].size == len('binlog/mysql-bin.000001')
    assert listed[0].location == store.location('c',
                                                 'binlog/mysql-bin.000001')
    assert [info.name for info in store.list('c')] == [
        'binlog/mysql-bin.000001', 'binlog/mysql-bin.000002',
        'binlog/old/mysql-bin.000001', 'binlogs', 'full']
    assert store.list('unknown') == []


@pytest.mark.parametrize('container, name', [
    ('c', '../escape'), ('c', 'a/../../escape'), ('c', '.hidden'),
    ('c', 'a//b'), ('c', ''), ('c', '/etc/passwd'), ('c', 'a/'),
    ('c', 'x' * 201), ('..', 'o'), ('a/b', 'o'), ('', 'o'),
    ('c_segments', 'o'), ('c', 'name with space'), ('c', 'nul\x00'),
    ('c', 'ünïcode'),
])
def test_hostile_names_are_refused(store, root, container, name):
    with pytest.raises(exceptions.StorageInvalidName) as raised:
        store.save(container, name, [b'x'])
    assert raised.value.code == 400
    assert not root.exists() or files_under(root) == []


@pytest.mark.parametrize('location', [
    'local://c/project-b/o', 'local://c/project-a/../project-b/o',
    'file:///etc/passwd', 'local://c/project-a', '/etc/passwd', None,
])
def test_locations_of_others_are_refused(store, location):
    with pytest.raises((exceptions.StorageAccessDenied,
                        exceptions.StorageInvalidName)):
        store.load(location)
    with pytest.raises((exceptions.StorageAccessDenied,
                        exceptions.StorageInvalidName)):
        store.delete(location)


def test_another_projects_object_is_out_of_reach(root):
    saved = local.LocalStorage('project-b', CONF).save(
        'c', 'o', [b'b data'])
    with pytest.raises(exceptions.StorageAccessDenied):
        local.LocalStorage('project-a', CONF).load(saved.location)


def test_planted_symlinks_are_never_followed(store, root, tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'o').write_bytes(b'precious')
    store.save('c', 'x', [b'x'])
    os.symlink(outside, root / 'project-a' / 'c' / 'linked')
    os.symlink(outside / 'o', root / 'project-a' / 'c' / 'o')
    with pytest.raises(exceptions.StorageAccessDenied):
        store.load(store.location('c', 'o'))
    for name in ('linked/o', 'linked/new'):
        with pytest.raises(exceptions.StorageError):
            store.save('c', name, [b'overwrite'])
        with pytest.raises((exceptions.StorageObjectNotFound,
                            exceptions.StorageAccessDenied)):
            store.load(store.location('c', name))
        store.delete(store.location('c', name))
    assert [info.name for info in store.list('c')] == ['x']
    store.save('c', 'o', [b'replaces the link itself'])
    assert (outside / 'o').read_bytes() == b'precious'
    assert sorted(os.listdir(outside)) == ['o']


@pytest.mark.parametrize('metadata', [
    {'Upper': 'x'}, {'storage_format': 'raw'}, {'k': 'é'}, {'k': 'a\nb'},
    {'k': 'x' * 257}, {'with-dash': 'x'}, {'k': None},
    {f'k{i}': 'v' for i in range(65)},
])
def test_bad_metadata_is_refused(store, metadata):
    with pytest.raises(exceptions.StorageInvalidName):
        store.save('c', 'o', [b'x'], metadata)


@pytest.mark.parametrize('project', ['', '../x', 'a/b', 'x' * 65, None])
def test_bad_project_is_refused(conf, project):
    with pytest.raises(exceptions.StorageInvalidName):
        local.LocalStorage(project, CONF)


def test_reader_reads_in_pieces(store):
    data = os.urandom(30_000)
    saved = store.save('c', 'o', [data])
    reader = store.load(saved.location)
    pieces = [reader.read(1000) for _ in range(30)]
    assert b''.join(pieces) == data
    assert reader.read(10) == b''


def test_planted_fifo_is_refused_without_hanging(store, root):
    store.save('c', 'x', [b'x'])
    os.mkfifo(root / 'project-a' / 'c' / 'o')
    with pytest.raises(exceptions.StorageAccessDenied):
        store.load(store.location('c', 'o'))
    assert [info.name for info in store.list('c')] == ['x']
