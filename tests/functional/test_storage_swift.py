"""The swift storage driver against a real OpenStack Swift (tools/swift.sh):
large objects in segments, damage found on disk and in the account,
deletion, and a store killed mid-stream."""

import hashlib
import io
import json
import os
import pathlib
import time
import uuid

import pytest

from trove_lite import storage
from trove_lite.common import exceptions

KEY = 'functional-test-key-' + 'x' * 20
MIB = 2 ** 20


@pytest.fixture
def store(swift_server):
    conf = swift_server.conf(backup_segment_max_size=MIB,
                             backup_aes_cbc_key=KEY)
    return storage.get_storage(f'p{uuid.uuid4().hex[:8]}', conf)


def data_of(size):
    """Half random, half repetitive: what database files look like."""
    return (os.urandom(size // 2) + b'INSERT INTO t VALUES (1);' * size
            )[:size]


def segments_of(store, location):
    container, obj, _ = store._parse(location)
    _, listing = store.connection.get_container(
        container + '_segments', prefix=obj + '/', full_listing=True)
    return [item['name'] for item in listing]


def test_large_object_round_trips_in_segments(store):
    data = data_of(12 * MIB)
    saved = store.save('database_backups', 'b1/full.xbstream',
                       io.BytesIO(data), {'backup_type': 'full'})
    segments = segments_of(store, saved.location)
    assert len(segments) == -(-saved.size // MIB) > 3
    with store.load(saved.location, saved.checksum) as reader:
        assert hashlib.sha256(b''.join(reader)).digest() == \
            hashlib.sha256(data).digest()
    info = store.get_info(saved.location)
    assert (info.size, info.checksum, info.metadata, info.encoded) == (
        saved.size, saved.checksum, {'backup_type': 'full'}, True)
    assert [item.name for item in store.list('database_backups', 'b1/')] \
        == ['b1/full.xbstream']


def test_stored_object_is_a_static_large_object_any_client_reads(store):
    data = os.urandom(3 * MIB + 5)
    saved = store.save('c', 'raw', [data], encode=False)
    container, obj, _ = store._parse(saved.location)
    headers, body = store.connection.get_object(container, obj)
    assert headers['x-static-large-object'].lower() == 'true'
    assert headers['etag'].strip('"') == saved.checksum
    assert body == data


def test_encrypted_segments_hold_no_plaintext(store):
    saved = store.save('c', 'o', [b'secret row, ' * 200_000])
    container, obj, _ = store._parse(saved.location)
    for segment in segments_of(store, saved.location):
        _, body = store.connection.get_object(container + '_segments',
                                              segment)
        assert b'secret row' not in body


def test_bit_rot_in_a_segment_on_disk_is_detected(store, swift_server):
    saved = store.save('c', 'o', [os.urandom(3 * MIB)], encode=False)
    container, _, _ = store._parse(saved.location)
    segment = segments_of(store, saved.location)[1]
    _, body = store.connection.get_object(container + '_segments', segment)
    path = next(path for path in
                pathlib.Path(swift_server.data_dir).rglob('*.data')
                if path.stat().st_size == len(body)
                and path.read_bytes() == body)
    with open(path, 'r+b') as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='segment 1 does not match its checksum'):
        b''.join(store.load(saved.location))


def test_segment_replaced_in_the_account_is_detected(store):
    saved = store.save('c', 'o', [os.urandom(2 * MIB + 1)], encode=False)
    container, _, _ = store._parse(saved.location)
    segment = segments_of(store, saved.location)[0]
    store.connection.put_object(container + '_segments', segment,
                                os.urandom(MIB))
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='segment 0 was replaced'):
        store.load(saved.location).read()


def test_checksum_other_than_recorded_is_refused(store):
    saved = store.save('c', 'o', [b'data'])
    with pytest.raises(exceptions.StorageIntegrityError, match='expected'):
        store.load(saved.location, '0' * 32)


def test_tampered_encrypted_segment_is_detected(store):
    # A writer who rebuilds the manifest around a changed segment passes
    # every Swift checksum; the authentication of the frames still fails.
    saved = store.save('c', 'o', [data_of(3 * MIB)])
    container, obj, _ = store._parse(saved.location)
    segments = segments_of(store, saved.location)
    _, body = store.connection.get_object(container + '_segments',
                                          segments[1])
    changed = bytearray(body)
    changed[500] ^= 1
    etag = store.connection.put_object(container + '_segments', segments[1],
                                       bytes(changed))
    manifest = []
    for name in segments:
        headers = store.connection.head_object(container + '_segments', name)
        manifest.append({'path': f'/{container}_segments/{name}',
                         'etag': headers['etag'].strip('"'),
                         'size_bytes': int(headers['content-length'])})
    assert manifest[1]['etag'] == etag
    store.connection.put_object(
        container, obj, json.dumps(manifest),
        headers={'x-object-meta-storage-format': 'tlsf1'},
        query_string='multipart-manifest=put')
    with pytest.raises(exceptions.StorageIntegrityError, match='frame'):
        b''.join(store.load(saved.location))


def test_delete_removes_the_manifest_and_every_segment(store):
    saved = store.save('c', 'o', [os.urandom(3 * MIB)])
    assert len(segments_of(store, saved.location)) == 4
    store.delete(saved.location)
    assert not store.exists(saved.location)
    assert segments_of(store, saved.location) == []
    store.delete(saved.location)


def test_replacing_an_object_removes_its_old_segments(store):
    store.save('c', 'o', [os.urandom(3 * MIB)], encode=False)
    saved = store.save('c', 'o', [b'small'], encode=False)
    assert len(segments_of(store, saved.location)) == 1
    assert store.load(saved.location).read() == b'small'


def test_failing_source_leaves_nothing(store):
    location = store.location('c', 'o')

    def source():
        yield os.urandom(2 * MIB + 1000)
        raise BrokenPipeError('mariabackup died')
    with pytest.raises(BrokenPipeError, match='mariabackup died'):
        store.save('c', 'o', source(), encode=False)
    assert not store.exists(location)
    assert segments_of(store, location) == []


def test_store_killed_mid_stream_fails_clearly_and_delete_cleans_up(
        store, swift_server):
    location = store.location('c', 'o')

    def source():
        yield os.urandom(2 * MIB + 1000)
        swift_server.kill('object')
        for _ in range(8):
            yield os.urandom(MIB)
    began = time.monotonic()
    try:
        with pytest.raises(exceptions.StorageUnavailable,
                           match=f'saving {location}.*delete {location} '
                                 'when Swift is back') as raised:
            store.save('c', 'o', source(), encode=False)
    finally:
        swift_server.restart_missing()
    assert time.monotonic() - began < 60
    assert raised.value.code == 503
    assert not store.exists(location)
    assert segments_of(store, location)
    store.delete(location)
    assert segments_of(store, location) == []


def test_other_projects_cannot_reach_an_object(store, swift_server):
    saved = store.save('c', 'o', [b'data'])
    other = storage.get_storage('other-project', swift_server.conf(
        backup_aes_cbc_key=KEY))
    for operation in (other.load, other.get_info, other.delete):
        with pytest.raises(exceptions.StorageAccessDenied):
            operation(saved.location)
    assert other.list('c') == []
    assert store.load(saved.location).read() == b'data'


def test_empty_object(store):
    saved = store.save('c', 'empty', [], encode=False)
    assert (saved.size, store.load(saved.location).read()) == (0, b'')
    saved = store.save('c', 'empty-encoded', [])
    assert store.load(saved.location).read() == b''
