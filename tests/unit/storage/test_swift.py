"""The swift driver against an in-memory stand-in of swiftclient's
Connection: what it stores (its own manifests, plain objects), and what it
does when Swift fails mid-stream, lies about checksums, or hands it a
manifest that points elsewhere. The real Swift is in the functional
tests."""

import hashlib
import json
import subprocess
import sys
from unittest import mock

import pytest
from swiftclient import exceptions as swift_exceptions

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.storage import swift

URL = 'http://swift.example/v1/AUTH_svc'
SEGMENT = 10
UPLOAD = 'a' * 32


def md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def not_found():
    return swift_exceptions.ClientException('not found', http_status=404)


class FakeSwift:
    """Objects in a dict: {(container, name): (content type, headers,
    bytes)}; ``fail`` maps a call name to an exception raised by it."""

    url = URL

    def __init__(self):
        self.objects = {}
        self.deleted = []
        self.fail = {}

    def _failing(self, call, name=''):
        error = self.fail.get(call)
        if callable(error) and not isinstance(error, Exception):
            error = error(name)
        if error is not None:
            raise error

    def put_container(self, container):
        pass

    def put_object(self, container, name, contents, headers=None,
                   content_type=None):
        data = contents if isinstance(contents, bytes) else \
            b''.join(contents)
        self._failing('put_object', name)
        self.objects[container, name] = (content_type, headers or {}, data)
        return md5(data)

    def head_object(self, container, name):
        self._failing('head_object', name)
        if (container, name) not in self.objects:
            raise not_found()
        content_type, headers, data = self.objects[container, name]
        return dict(headers, etag=md5(data), **{
            'content-type': content_type, 'content-length': str(len(data))})

    def get_object(self, container, name, resp_chunk_size=None):
        headers = self.head_object(container, name)
        data = self.objects[container, name][2]
        return headers, data if resp_chunk_size is None else iter([data])

    def delete_object(self, container, name):
        self._failing('delete_object', name)
        self.deleted.append(name)
        if self.objects.pop((container, name), None) is None:
            raise not_found()

    def get_container(self, container, prefix='', full_listing=False):
        return {}, [{'name': name, 'bytes': len(data)}
                    for (each, name), (_, _, data) in
                    sorted(self.objects.items())
                    if each == container and name.startswith(prefix)]

    def names(self, container):
        return sorted(name for each, name in self.objects
                      if each == container)


@pytest.fixture
def connection():
    return FakeSwift()


@pytest.fixture
def store(conf, connection):
    conf.config(storage_strategy='swift', backup_segment_max_size=2 ** 16)
    conf.config(auth_strategy='tempauth', auth_url='http://x/auth/v1.0',
                group='swift')
    driver = swift.SwiftStorage('project-a', CONF)
    driver._connection = connection
    driver.segment_size = SEGMENT
    return driver


def put_manifest(connection, segments, upload=UPLOAD, name='o'):
    """Store a manifest of ``segments`` (bytes each) and the segments."""
    for index, data in enumerate(segments):
        connection.objects['c_segments', f'project-a/{name}/.upload-'
                           f'{upload}/{index:08d}'] = (None, {}, data)
    body = json.dumps({'upload': upload, 'metadata': {}, 'encoded': False,
                       'segments': [[md5(d), len(d)] for d in segments]})
    connection.objects['c', f'project-a/{name}'] = (
        swift.MANIFEST_TYPE, {}, body.encode())


def test_location_is_trove_s_url_form(store):
    assert store.location('c', 'b/o') == f'{URL}/c/project-a/b/o'


def test_large_object_is_cut_into_segments_under_our_own_manifest(
        store, connection):
    saved = store.save('c', 'o', [b'01234567890123456789', b'01234'],
                       {'kind': 'full'})
    segments = connection.names('c_segments')
    assert len(segments) == -(-saved.size // SEGMENT) > 1 and all(
        name.startswith('project-a/o/.upload-') for name in segments)
    content_type, _, body = connection.objects['c', 'project-a/o']
    assert content_type == swift.MANIFEST_TYPE
    manifest = json.loads(body)
    assert manifest['metadata'] == {'kind': 'full',
                                    'storage_format': 'tlsf1'}
    assert sum(size for _, size in manifest['segments']) == saved.size
    assert saved.checksum == md5(''.join(
        etag for etag, _ in manifest['segments']).encode())
    with store.load(saved.location, saved.checksum) as reader:
        assert reader.read() == b'01234567890123456789' b'01234'
    info = store.get_info(saved.location)
    assert info.metadata == {'kind': 'full'} and info.encoded


def test_unencoded_object_is_stored_as_it_is(store, connection):
    saved = store.save('c', 'log-1', [b'line\n'], {'lines': '1'},
                       encode=False)
    content_type, headers, data = connection.objects['c', 'project-a/log-1']
    assert data == b'line\n' and content_type == 'application/octet-stream'
    assert headers == {'x-object-meta-lines': '1'}
    assert connection.names('c_segments') == []
    assert store.load(saved.location, saved.checksum).read() == b'line\n'


def test_unencoded_object_bigger_than_a_segment_is_refused(store,
                                                           connection):
    with pytest.raises(exceptions.StorageError, match='more than a segment'):
        store.save('c', 'log-1', [b'x' * (SEGMENT + 1)], encode=False)
    assert connection.objects == {}


def test_replacing_an_object_removes_the_old_segments(store, connection):
    store.save('c', 'o', [b'x' * 25])
    old = connection.names('c_segments')
    saved = store.save('c', 'o', [b'y' * 5])
    assert len(connection.names('c_segments')) == -(-saved.size // SEGMENT)
    assert not set(old) & set(connection.names('c_segments'))


def test_swift_failing_mid_stream_removes_the_segments(store, connection):
    connection.fail['put_object'] = lambda name: (
        swift_exceptions.ClientException('Object PUT failed',
                                         http_status=503)
        if name.endswith('00000002') else None)
    with pytest.raises(exceptions.StorageUnavailable,
                       match='saving .*c/project-a/o.*503') as raised:
        store.save('c', 'o', [b'x' * 200])
    assert raised.value.code == 503
    assert connection.objects == {}


def test_segments_left_behind_are_named_in_the_error(store, connection):
    connection.fail['put_object'] = lambda name: (
        ConnectionRefusedError('refused') if name.endswith('00000001')
        else None)
    connection.fail['delete_object'] = ConnectionRefusedError('down')
    with pytest.raises(exceptions.StorageUnavailable,
                       match=r'refused; \d objects could not be removed '
                             r'\(delete .*/c/project-a/o when Swift'):
        store.save('c', 'o', [b'x' * 200])


def test_wrong_segment_etag_fails_the_save(store, connection):
    with mock.patch.object(connection, 'put_object',
                           side_effect=lambda *a, **k: 'f' * 32):
        with pytest.raises(exceptions.StorageIntegrityError,
                           match='segment 0 with MD5 f+'):
            store.save('c', 'o', [b'x' * 5])


def test_failing_source_raises_its_own_error_after_clean_up(store,
                                                            connection):
    def source():
        yield b'x' * 2500
        raise RuntimeError('mariabackup exited with 1')
    with pytest.raises(RuntimeError, match='mariabackup exited'):
        store.save('c', 'o', source())
    assert connection.objects == {}


@pytest.mark.parametrize('manifest', [
    {'not': 'a manifest'}, [1, 2],
    {'upload': '../../project-b/o/.upload-1', 'segments': [],
     'metadata': {}, 'encoded': False},
    {'upload': UPLOAD, 'segments': [['x', '1']], 'metadata': {},
     'encoded': False},
])
def test_malformed_manifest_is_refused(store, connection, manifest):
    connection.objects['c', 'project-a/o'] = (
        swift.MANIFEST_TYPE, {}, json.dumps(manifest).encode())
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='not one'):
        store.load(store.location('c', 'o'))


def test_manifest_reads_only_its_own_upload_s_segments(store, connection):
    put_manifest(connection, [b'x'])
    with mock.patch.object(connection, 'get_object',
                           wraps=connection.get_object) as get:
        assert store.load(store.location('c', 'o')).read() == b'x'
    assert get.call_args_list[-1].args == (
        'c_segments', f'project-a/o/.upload-{UPLOAD}/00000000')


def test_replaced_segment_is_refused(store, connection):
    put_manifest(connection, [b'x'])
    connection.objects['c_segments',
                       f'project-a/o/.upload-{UPLOAD}/00000000'] = (
        None, {}, b'y')
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='segment 0 was replaced'):
        store.load(store.location('c', 'o')).read()


def test_segment_bytes_not_matching_its_md5_are_refused(store, connection):
    put_manifest(connection, [b'x'])
    real = connection.get_object

    def lying(container, name, resp_chunk_size=None):
        headers, body = real(container, name, resp_chunk_size)
        return headers, iter([b'y']) if container == 'c_segments' else body
    with mock.patch.object(connection, 'get_object', side_effect=lying):
        with pytest.raises(exceptions.StorageIntegrityError,
                           match='does not match its checksum'):
            store.load(store.location('c', 'o')).read()


def test_checksum_other_than_recorded_is_refused(store, connection):
    put_manifest(connection, [b'x'])
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='not the expected 0'):
        store.load(store.location('c', 'o'), '0')


def test_object_replaced_while_read_is_read_again(store, connection):
    put_manifest(connection, [b'x'])
    old = store.get_info(store.location('c', 'o')).checksum
    real = connection.head_object
    calls = []

    def replacing(container, name):
        calls.append(name)
        if len(calls) == 1:
            # The first look sees the old object; then a writer replaces it.
            headers = real(container, name)
            put_manifest(connection, [b'y'], upload='b' * 32)
            return headers
        return real(container, name)
    with mock.patch.object(connection, 'head_object', side_effect=replacing):
        new = store.get_info(store.location('c', 'o')).checksum
        assert new != old
        assert store.load(store.location('c', 'o'), new).read() == b'y'


@pytest.mark.parametrize('location', [
    f'{URL}/c/project-b/o', 'http://elsewhere/v1/AUTH_svc/c/project-a/o',
    f'{URL}/c/project-a', f'{URL}/c_segments/project-a/o',
    f'{URL}/c/project-a/../project-b/o',
])
def test_locations_outside_the_project_are_refused(store, location):
    with pytest.raises((exceptions.StorageAccessDenied,
                        exceptions.StorageInvalidName)):
        store.load(location)
    with pytest.raises((exceptions.StorageAccessDenied,
                        exceptions.StorageInvalidName)):
        store.delete(location)


def test_delete_removes_the_manifest_and_every_upload_s_segments(
        store, connection):
    put_manifest(connection, [b'x', b'y'])
    # A failed save of the same name left a segment.
    connection.objects['c_segments', 'project-a/o/.upload-' + 'c' * 32 +
                       '/00000000'] = (None, {}, b'z')
    store.delete(store.location('c', 'o'))
    assert connection.objects == {}


def test_missing_object(store, connection):
    with pytest.raises(exceptions.StorageObjectNotFound):
        store.get_info(store.location('c', 'o'))
    assert not store.exists(store.location('c', 'o'))


def test_unreachable_swift_is_unavailable(store, connection):
    connection.fail['head_object'] = ConnectionRefusedError('refused')
    with pytest.raises(exceptions.StorageUnavailable, match='refused'):
        store.get_info(store.location('c', 'o'))


def test_storage_package_imports_nothing_of_the_control_plane():
    code = ('import sys, trove_lite.storage.swift, trove_lite.storage.local,'
            ' trove_lite.storage.grants;'
            'bad = [m for m in sys.modules if m.split(".")[0] == "sqlalchemy"'
            ' or m.startswith(("trove_lite.db", "trove_lite.instance",'
            ' "trove_lite.api", "trove_lite.taskmanager"))];'
            'assert not bad, bad')
    subprocess.run([sys.executable, '-c', code], check=True)


def test_keystone_unreachable_is_unavailable(conf):
    conf.config(storage_strategy='swift')
    conf.config(auth_strategy='keystone', auth_url='http://127.0.0.1:9/v3',
                username='u', password='p', project_name='p', timeout=2,
                group='swift')
    store = swift.SwiftStorage('project-a', CONF)
    with pytest.raises(exceptions.StorageUnavailable,
                       match='authenticating to Swift'):
        store.location('c', 'o')
