"""The swift driver against a mocked swiftclient Connection: what it does
when Swift fails mid-stream, lies about checksums, or hands it a manifest
that points elsewhere. The real Swift is in the functional tests."""

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


def md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.fixture
def connection():
    conn = mock.Mock(url=URL)
    stored = {}

    def put_object(container, name, contents, **kwargs):
        data = contents if isinstance(contents, (bytes, str)) else \
            b''.join(contents)
        stored[container, name] = data
        return md5(data.encode() if isinstance(data, str) else data)
    conn.put_object.side_effect = put_object
    conn.get_container.return_value = ({}, [])
    conn.stored = stored
    return conn


@pytest.fixture
def store(conf, connection):
    conf.config(storage_strategy='swift', backup_segment_max_size=2 ** 16)
    conf.config(auth_strategy='tempauth', auth_url='http://x/auth/v1.0',
                group='swift')
    with mock.patch('swiftclient.Connection', return_value=connection):
        driver = swift.SwiftStorage('project-a', CONF)
    driver.segment_size = SEGMENT
    return driver


def segment_puts(connection):
    return [c.args[1] for c in connection.put_object.call_args_list
            if c.args[0] == 'c_segments']


def deleted(connection):
    return [c.args[1] for c in connection.delete_object.call_args_list]


def test_location_is_trove_s_url_form(store):
    assert store.location('c', 'b/o') == f'{URL}/c/project-a/b/o'


def test_large_object_is_cut_into_segments_under_a_manifest(store,
                                                            connection):
    parts = [b'0123456789', b'0123456789', b'01234']
    slo_etag = md5(b''.join(md5(part).encode() for part in parts))
    connection.head_object.return_value = {'etag': f'"{slo_etag}"',
                                           'content-length': '25'}
    saved = store.save('c', 'o', [b'01234567890123456789', b'01234'],
                       {'kind': 'full'}, encode=False)
    puts = segment_puts(connection)
    assert len(puts) == 3 and all(
        name.startswith('project-a/o/.upload-') for name in puts)
    manifest_call = connection.put_object.call_args_list[-1]
    assert manifest_call.kwargs['query_string'] == 'multipart-manifest=put'
    assert manifest_call.kwargs['headers'] == {'x-object-meta-kind': 'full'}
    manifest = json.loads(manifest_call.args[2])
    assert [part['size_bytes'] for part in manifest] == [10, 10, 5]
    assert saved.size == 25 and saved.source_size == 25


def test_swift_failing_mid_stream_removes_the_segments(store, connection):
    put = connection.put_object.side_effect

    def failing(container, name, contents, **kwargs):
        if name.endswith('00000002'):
            raise swift_exceptions.ClientException(
                'Object PUT failed', http_status=503)
        return put(container, name, contents, **kwargs)
    connection.put_object.side_effect = failing
    with pytest.raises(exceptions.StorageUnavailable,
                       match='saving .*c/project-a/o.*503') as raised:
        store.save('c', 'o', [b'x' * 35], encode=False)
    assert raised.value.code == 503
    assert deleted(connection) == segment_puts(connection)
    assert len(deleted(connection)) == 3


def test_segments_left_behind_are_named_in_the_error(store, connection):
    put = connection.put_object.side_effect

    def failing(container, name, contents, **kwargs):
        if name.endswith('00000001'):
            raise ConnectionRefusedError('refused')
        return put(container, name, contents, **kwargs)
    connection.put_object.side_effect = failing
    connection.delete_object.side_effect = ConnectionRefusedError('down')
    with pytest.raises(exceptions.StorageUnavailable,
                       match='refused; 2 objects could not be removed '
                             r'\(delete .*/c/project-a/o when Swift'):
        store.save('c', 'o', [b'x' * 35], encode=False)


def test_wrong_segment_etag_fails_the_save(store, connection):
    connection.put_object.side_effect = lambda *a, **k: 'f' * 32
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='segment 0 with MD5 f+'):
        store.save('c', 'o', [b'x' * 5], encode=False)
    assert len(deleted(connection)) == 1


def test_failing_source_raises_its_own_error_after_clean_up(store,
                                                            connection):
    def source():
        yield b'x' * 25
        raise RuntimeError('mariabackup exited with 1')
    with pytest.raises(RuntimeError, match='mariabackup exited'):
        store.save('c', 'o', source(), encode=False)
    assert deleted(connection) == segment_puts(connection)


def test_manifest_naming_segments_of_another_object_is_refused(
        store, connection):
    foreign = [{'name': '/c_segments/project-b/o/.upload-1/00000000',
                'hash': md5(b'x'), 'bytes': 1}]
    connection.head_object.return_value = {
        'etag': md5(md5(b'x').encode()), 'content-length': '1',
        'x-static-large-object': 'True'}
    connection.get_object.return_value = ({}, json.dumps(foreign))
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='segments of another object'):
        store.load(store.location('c', 'o'))


@pytest.mark.parametrize('manifest', [
    {'not': 'a list'}, [{'name': 1}],
    [{'name': '/c_segments/project-a/o/.upload-1/0', 'hash': 'x',
      'bytes': '1'}],
])
def test_malformed_manifest_is_refused(store, connection, manifest):
    connection.head_object.return_value = {
        'etag': 'x', 'content-length': '1', 'x-static-large-object': 'True'}
    connection.get_object.return_value = ({}, json.dumps(manifest))
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='not a list of segments'):
        store.load(store.location('c', 'o'))


def test_replaced_segment_is_refused(store, connection):
    part = {'name': '/c_segments/project-a/o/.upload-1/00000000',
            'hash': md5(b'x'), 'bytes': 1}
    connection.head_object.return_value = {
        'etag': md5(md5(b'x').encode()), 'content-length': '1',
        'x-static-large-object': 'True'}
    connection.get_object.side_effect = [
        ({}, json.dumps([part])), ({'etag': md5(b'y')}, iter([b'y']))]
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='segment 0 was replaced'):
        store.load(store.location('c', 'o')).read()


def test_segment_bytes_not_matching_its_md5_are_refused(store, connection):
    part = {'name': '/c_segments/project-a/o/.upload-1/00000000',
            'hash': md5(b'x'), 'bytes': 1}
    connection.head_object.return_value = {
        'etag': md5(md5(b'x').encode()), 'content-length': '1',
        'x-static-large-object': 'True'}
    connection.get_object.side_effect = [
        ({}, json.dumps([part])), ({'etag': md5(b'x')}, iter([b'y']))]
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='does not match its checksum'):
        store.load(store.location('c', 'o')).read()


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


def test_missing_object(store, connection):
    connection.head_object.side_effect = swift_exceptions.ClientException(
        'not found', http_status=404)
    with pytest.raises(exceptions.StorageObjectNotFound):
        store.get_info(store.location('c', 'o'))
    assert not store.exists(store.location('c', 'o'))


def test_unreachable_swift_is_unavailable(store, connection):
    connection.head_object.side_effect = ConnectionRefusedError('refused')
    with pytest.raises(exceptions.StorageUnavailable, match='refused'):
        store.get_info(store.location('c', 'o'))


def test_storage_package_imports_nothing_of_the_control_plane():
    code = ('import sys, trove_lite.storage.swift, trove_lite.storage.local;'
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


def test_object_failing_its_final_check_is_removed_whole(store, connection):
    connection.head_object.return_value = {'etag': '"0"',
                                           'content-length': '25'}
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='Swift reports ETag 0'):
        store.save('c', 'o', [b'x' * 25], encode=False)
    assert deleted(connection) == ['project-a/o', *segment_puts(connection)]


def test_object_replaced_between_head_and_manifest_is_read_again(
        store, connection):
    def slo(data):
        return {'etag': md5(md5(data).encode()), 'content-length': '1',
                'x-static-large-object': 'True'}
    new = {'name': '/c_segments/project-a/o/.upload-2/00000000',
           'hash': md5(b'y'), 'bytes': 1}
    # The HEAD sees the old object; its manifest GET already the new one.
    connection.head_object.side_effect = [slo(b'x'), slo(b'y'), slo(b'y')]
    connection.get_object.side_effect = [
        ({}, json.dumps([new])), ({}, json.dumps([new])),
        ({'etag': md5(b'y')}, iter([b'y']))]
    assert store.load(store.location('c', 'o')).read() == b'y'


def test_manifest_not_matching_an_unchanged_object_is_damaged(store,
                                                              connection):
    other = {'name': '/c_segments/project-a/o/.upload-1/00000000',
             'hash': md5(b'y'), 'bytes': 1}
    connection.head_object.return_value = {
        'etag': md5(md5(b'x').encode()), 'content-length': '1',
        'x-static-large-object': 'True'}
    connection.get_object.return_value = ({}, json.dumps([other]))
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='does not match its ETag'):
        store.load(store.location('c', 'o'))
    assert connection.get_object.call_count == 1
