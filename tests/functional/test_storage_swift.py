"""The swift storage driver against a real OpenStack Swift (tools/swift.sh):
large objects in segments, damage found on disk and in the account,
deletion, a store killed mid-stream, and what a guest's grant (temporary
URLs) lets it do -- and not do -- in the account."""

import hashlib
import io
import json
import os
import pathlib
import time
import uuid

import pytest
import requests
from swiftclient import exceptions as swift_exceptions

from trove_lite import storage
from trove_lite.common import exceptions
from trove_lite.storage import grants
from trove_lite.storage import swift

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
    try:
        _, listing = store.connection.get_container(
            container + '_segments', prefix=obj + '/', full_listing=True)
    except swift_exceptions.ClientException as e:
        if e.http_status == 404:
            return []
        raise
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


def test_unencoded_object_is_one_object_any_client_reads(store):
    data = os.urandom(MIB - 5)
    saved = store.save('c', 'raw', [data], {'lines': '0'}, encode=False)
    container, obj, _ = store._parse(saved.location)
    headers, body = store.connection.get_object(container, obj)
    assert headers['etag'].strip('"') == saved.checksum
    assert headers['x-object-meta-lines'] == '0'
    assert body == data
    assert segments_of(store, saved.location) == []


def test_encrypted_segments_hold_no_plaintext(store):
    saved = store.save('c', 'o', [b'secret row, ' * 200_000])
    container, obj, _ = store._parse(saved.location)
    for segment in segments_of(store, saved.location):
        _, body = store.connection.get_object(container + '_segments',
                                              segment)
        assert b'secret row' not in body


def test_bit_rot_in_a_segment_on_disk_is_detected(store, swift_server):
    saved = store.save('c', 'o', [os.urandom(3 * MIB)])
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
    # The frame's authentication or the segment's MD5, whichever the
    # read meets first.
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='frame 16 fails its check|segment 1 does not '
                             'match its checksum'):
        b''.join(store.load(saved.location))


def test_segment_replaced_in_the_account_is_detected(store):
    saved = store.save('c', 'o', [os.urandom(2 * MIB + 1)])
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
    # every MD5; the authentication of the frames still fails.
    saved = store.save('c', 'o', [data_of(3 * MIB)])
    container, obj, _ = store._parse(saved.location)
    segments = segments_of(store, saved.location)
    _, body = store.connection.get_object(container + '_segments',
                                          segments[1])
    changed = bytearray(body)
    changed[500] ^= 1
    etag = store.connection.put_object(container + '_segments', segments[1],
                                       bytes(changed))
    _, manifest = store.connection.get_object(container, obj)
    manifest = json.loads(manifest)
    manifest['segments'][1][0] = etag
    store.connection.put_object(container, obj, json.dumps(manifest),
                                content_type=swift.MANIFEST_TYPE)
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
    store.save('c', 'o', [os.urandom(3 * MIB)])
    saved = store.save('c', 'o', [b'small'])
    assert len(segments_of(store, saved.location)) == 1
    assert store.load(saved.location).read() == b'small'


def test_failing_source_leaves_nothing(store):
    location = store.location('c', 'o')

    def source():
        yield os.urandom(2 * MIB + 1000)
        raise BrokenPipeError('mariabackup died')
    with pytest.raises(BrokenPipeError, match='mariabackup died'):
        store.save('c', 'o', source())
    assert not store.exists(location)
    assert segments_of(store, location) == []


def test_store_killed_mid_stream_fails_clearly_and_delete_cleans_up(
        store, swift_server):
    location = store.location('c', 'o')

    def source():
        for _ in range(3):
            yield os.urandom(MIB)
        # Killed once a segment is stored (the encoder runs ahead in its
        # own thread).
        deadline = time.monotonic() + 30
        while not segments_of(store, location) and \
                time.monotonic() < deadline:
            yield os.urandom(MIB // 4)
        swift_server.kill('object')
        for _ in range(8):
            yield os.urandom(MIB)
    began = time.monotonic()
    try:
        with pytest.raises(exceptions.StorageUnavailable,
                           match=f'saving {location}.*delete {location} '
                                 'when Swift is back') as raised:
            store.save('c', 'o', source())
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


# --- a guest's grant: temporary URLs in the shared account ------------------

@pytest.fixture
def guest_conf(swift_server):
    """What a guest's configuration holds: no [swift] credentials, no
    backup key (conf.storage.guest_sections)."""
    conf = swift_server.conf(backup_segment_max_size=MIB)
    for option in ('auth_url', 'username', 'password'):
        conf.set_override(option, None if option == 'auth_url' else '',
                          group='swift')
    return conf


def granted(swift_server, project, scopes):
    conf = swift_server.conf(backup_segment_max_size=MIB,
                             backup_aes_cbc_key=KEY)
    return grants.make(project, scopes, conf), conf


def test_a_guest_writes_and_reads_its_object_with_its_grant(
        swift_server, guest_conf):
    project = f'p{uuid.uuid4().hex[:8]}'
    grant, conf = granted(swift_server, project,
                          [('database_backups', 'b1.xbstream',
                            grants.WRITE)])
    guest = storage.get_storage(project, guest_conf, grant=grant)
    data = data_of(3 * MIB)
    saved = guest.save('database_backups', 'b1.xbstream', [data],
                       {'backup_type': 'full'})
    assert guest.load(saved.location, saved.checksum).read() == data
    # The control plane reads it (the same project key) and deletes it.
    control = storage.get_storage(project, conf)
    assert control.get_info(saved.location).metadata == {
        'backup_type': 'full'}
    assert control.load(saved.location, saved.checksum).read() == data
    # The guest replaces and deletes within its grant, without listing.
    saved = guest.save('database_backups', 'b1.xbstream', [b'again'])
    assert len(segments_of(control, saved.location)) == 1
    guest.delete(saved.location)
    assert not control.exists(saved.location)
    assert segments_of(control, saved.location) == []
    with pytest.raises(exceptions.StorageAccessDenied):
        guest.list('database_backups')


def test_a_guest_reaches_nothing_beyond_its_grant(swift_server, guest_conf):
    """The attacks of a hostile guest holding a grant for its own backup:
    Swift itself refuses them (raw HTTP, not the driver's checks)."""
    victim, attacker = (f'p{uuid.uuid4().hex[:8]}' for _ in range(2))
    victim_store = storage.get_storage(victim, swift_server.conf(
        backup_segment_max_size=MIB, backup_aes_cbc_key=KEY))
    secret = b'the victim rows ' * 4096
    victim_saved = victim_store.save('database_backups', 'v1.xbstream',
                                     [secret])
    grant, _ = granted(swift_server, attacker,
                       [('database_backups', 'a1.xbstream', grants.WRITE)])
    [scope] = grant['scopes']
    signatures = scope['signatures']['database_backups']
    base_url = grant['url']

    def signed(method, path, sig_method='GET', **kwargs):
        return requests.request(method, f'{base_url}/{path}', params={
            'temp_url_sig': signatures[sig_method],
            'temp_url_expires': grant['expires'],
            'temp_url_prefix': f'{attacker}/a1.xbstream'}, timeout=10,
            **kwargs)

    victim_path = f'database_backups/{victim}/v1.xbstream'
    # Each project has its own account: the victim's backup is not in the
    # attacker's, and the attacker's signature opens nothing in the
    # victim's (another account, another key).
    assert victim_saved.location.startswith(
        grant['url'].rpartition('/')[0] + f'/AUTH_{victim}/')
    assert requests.get(victim_saved.location, params={
        'temp_url_sig': signatures['GET'],
        'temp_url_expires': grant['expires'],
        'temp_url_prefix': f'{attacker}/a1.xbstream'},
        timeout=10).status_code == 401
    # Its signature on another project's object, or on the listing.
    assert signed('GET', victim_path).status_code == 401
    assert signed('DELETE', victim_path, 'DELETE').status_code == 401
    assert signed('GET', 'database_backups').status_code == 401
    assert signed('GET', '').status_code in (401, 404)
    # A manifest of its own pointing at the victim's segments: Swift drops
    # the multipart-manifest query of a temporary URL (a plain object is
    # stored), and refuses a DLO pointer outright.
    victim_segment = segments_of(victim_store, victim_saved.location)[0]
    slo = json.dumps([{'path': f'/database_backups_segments/'
                               f'{victim_segment}'}])
    response = requests.put(
        f'{base_url}/database_backups/{attacker}/a1.xbstream',
        params={'temp_url_sig': signatures['PUT'],
                'temp_url_expires': grant['expires'],
                'temp_url_prefix': f'{attacker}/a1.xbstream',
                'multipart-manifest': 'put'}, data=slo, timeout=10)
    assert response.status_code == 201
    body = signed('GET', f'database_backups/{attacker}/a1.xbstream').content
    assert body == slo.encode()
    response = signed('PUT', f'database_backups/{attacker}/a1.xbstream-dlo',
                      'PUT', data=b'', headers={
                          'X-Object-Manifest':
                              f'database_backups_segments/{victim}/'})
    assert response.status_code == 400
    # The victim's bytes, had it got them, open with no key it holds.
    attacker_store = storage.get_storage(attacker, guest_conf, grant=grant)
    _, stolen = victim_store.connection.get_object(
        'database_backups_segments', victim_segment)
    with pytest.raises(exceptions.StorageKeyError, match='another key'):
        b''.join(attacker_store.codec.decode([stolen], 'stolen'))
    # An expired grant opens nothing.
    old, _ = granted(swift_server, attacker,
                     [('database_backups', 'a1.xbstream', grants.READ)])
    old['expires'] = int(time.time()) - 1
    for each in old['scopes']:
        each['signatures'] = grants._signer(swift_server.conf()).for_project(
            attacker).sign(each['container'], each['prefix'], grants.READ,
                           old['expires'])
    with pytest.raises(exceptions.StorageError, match='401'):
        storage.get_storage(attacker, guest_conf, grant=old).get_info(
            f'{base_url}/database_backups/{attacker}/a1.xbstream')
