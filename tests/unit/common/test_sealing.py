"""Messages to and from a guest are one sealed envelope each (method,
arguments, context, instance, time, id) under its instance's key
(encrypted_rpc_messaging): the guest obeys only its key, nothing can be
re-targeted or replayed, and the conductor accepts a report only from the
guest of the instance it names."""

import json

import oslo_messaging as messaging
import pytest
import sqlalchemy as sa

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.common import lru
from trove_lite.common import objects
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import seen_ids
from trove_lite.common.context import RequestContext
from trove_lite.common.objects import InstanceSpec
from trove_lite.common.objects import UserSpec
from trove_lite.conductor import manager
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import sealed_message_ids
from trove_lite.guestagent import seen_ids as guest_seen_ids
from trove_lite.instance import keys
from trove_lite.records.status import ServiceStatuses as Services


class FakeTaskmanager:
    def guest_status_changed(self, context, instance_id, status):
        pass


class Guest:
    """A guest endpoint that records what it was asked."""

    def __init__(self):
        self.calls = []

    def list_databases(self, context, limit=None):
        self.calls.append(('list_databases', limit))
        return [{'name': 'shop'}]

    def delete_database(self, context, database):
        self.calls.append(('delete_database', database))

    def get_filesystem_stats(self, context, fs_path=None):
        self.calls.append(('get_filesystem_stats', fs_path))
        return {'used': 1}

    def create_user(self, context, users):
        self.calls.append(('create_user', users))

    def restart(self, context):
        raise RuntimeError('the datastore did not start')


def conductor_parts():
    """The conductor's RPC server parts around the real conductor."""
    return sealing.conductor_server_parts(
        manager.Manager(taskmanager=FakeTaskmanager()), keys.find_key,
        sealed_message_ids.DatabaseSeenIds())


def seal(key, sender, method, call=False, context=None, **args):
    """What a client puts on the wire: (wire context, method, message id)."""
    wire, message_id = sealing.Envelopes(key, sender).seal(
        context or RequestContext(), method, args, call)
    return wire, method, message_id


def deliver(parts, message, **wire_args):
    """What oslo.messaging's dispatcher does with a message: the wire
    answer of a call, or the exception the receiver raised."""
    (endpoint,), serializer = parts
    wire, method, _ = message
    context = serializer.deserialize_context(wire)
    try:
        result = getattr(endpoint, method)(context, **wire_args)
    except sealing.BrokenSeal as error:
        return error
    return serializer.serialize_entity(context, result)


@pytest.fixture
def guest():
    key = keys.new_key()
    endpoint = Guest()
    parts = sealing.guest_server_parts(endpoint, key, 'i-1',
                                       seen_ids.MemorySeenIds(),
                                       ageless_methods=('create_user',))
    return key, endpoint, parts


def test_new_instances_get_a_key_of_their_own_stored_encrypted():
    (first, stored), (second, _) = (keys.new_instance_key(),
                                    keys.new_instance_key())
    assert first != second and len(first) == 44  # 32 bytes, base64
    assert first not in stored and keys.decrypt(stored) == first


def test_no_key_when_encrypted_messaging_is_off(conf):
    conf.config(encrypted_rpc_messaging=False)
    assert keys.new_instance_key() == (None, None)


def test_create_request_carries_user_passwords_sealed(catalogue):
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    users = [UserSpec(name='bob', password='secret-pw'), UserSpec('eve')]

    sealed = keys.seal_passwords(key, users)

    assert 'secret-pw' not in json.dumps(
        objects.to_primitive(InstanceSpec(
            instance_id=instance.id, name='i', flavor={},
            datastore_manager='mysql', datastore_version='1',
            datastore_version_id='v', users=sealed)))
    assert keys.open_passwords(instance.id, sealed) == users


def test_guest_obeys_an_envelope_sealed_with_its_key(guest):
    key, endpoint, parts = guest
    message = seal(key, 'i-1', 'create_user',
                   context=RequestContext(project_id='p1'),
                   users=[{'name': 'bob', 'password': 'secret-pw'}])

    assert 'secret-pw' not in repr(message) and 'bob' not in repr(message)
    assert deliver(parts, message) is None
    assert endpoint.calls == [
        ('create_user', [{'name': 'bob', 'password': 'secret-pw'}])]


@pytest.mark.parametrize('sender_key', [None, 'other'])
def test_guest_refuses_an_envelope_in_the_clear_or_under_another_key(
        guest, sender_key):
    _key, endpoint, parts = guest
    sender_key = keys.new_key() if sender_key else None
    message = seal(sender_key, 'i-1', 'delete_database', database='shop')

    assert isinstance(deliver(parts, message), sealing.BrokenSeal)
    assert endpoint.calls == []


def test_guest_refuses_an_envelope_for_another_instance(guest):
    key, endpoint, parts = guest
    message = seal(key, 'i-2', 'delete_database', database='shop')

    assert isinstance(deliver(parts, message), sealing.BrokenSeal)
    assert endpoint.calls == []


def test_envelope_retargeted_to_another_method_is_refused(guest):
    key, endpoint, parts = guest
    wire, _, message_id = seal(key, 'i-1', 'get_filesystem_stats',
                               call=True)

    refused = deliver(parts, (wire, 'delete_database', message_id))

    assert isinstance(refused, sealing.BrokenSeal)
    assert endpoint.calls == []


def test_arguments_outside_the_envelope_are_refused(guest):
    key, endpoint, parts = guest
    message = seal(key, 'i-1', 'delete_database', database='shop')

    refused = deliver(parts, message, database='mysql')

    assert isinstance(refused, sealing.BrokenSeal)
    assert endpoint.calls == []


def test_replayed_envelope_is_refused(guest):
    key, endpoint, parts = guest
    message = seal(key, 'i-1', 'delete_database', database='shop')

    assert deliver(parts, message) is None
    assert isinstance(deliver(parts, message), sealing.BrokenSeal)
    assert endpoint.calls == [('delete_database', 'shop')]


def test_stale_envelope_is_refused_but_a_queued_prepare_is_not(
        guest, conf, monkeypatch):
    key, endpoint, parts = guest
    conf.config(sealed_message_skew=60)
    now = sealing.time.time()
    monkeypatch.setattr(sealing.time, 'time', lambda: now - 61)
    stale = seal(key, 'i-1', 'delete_database', database='shop')
    queued = seal(key, 'i-1', 'create_user', users=[])
    future = now + 122
    monkeypatch.setattr(sealing.time, 'time', lambda: future)
    from_the_future = seal(key, 'i-1', 'delete_database', database='x')
    monkeypatch.setattr(sealing.time, 'time', lambda: now)

    assert isinstance(deliver(parts, stale), sealing.BrokenSeal)
    assert isinstance(deliver(parts, from_the_future), sealing.BrokenSeal)
    assert deliver(parts, queued) is None
    assert endpoint.calls == [('create_user', [])]


def test_tampered_envelope_is_refused(guest):
    key, endpoint, parts = guest
    wire, method, message_id = seal(key, 'i-1', 'delete_database',
                                    database='shop')
    token = wire['envelope']
    flipped = token[:20] + ('A' if token[20] != 'A' else 'B') + token[21:]

    refused = deliver(parts, (dict(wire, envelope=flipped), method,
                              message_id))

    assert isinstance(refused, sealing.BrokenSeal)
    assert endpoint.calls == []


def test_ids_per_instance_are_bounded(guest, conf):
    key, endpoint, parts = guest
    conf.config(sealed_message_ids_per_instance=10)
    for number in range(10):
        deliver(parts, seal(key, 'i-1', 'delete_database',
                            database=str(number)))

    refused = deliver(parts, seal(key, 'i-1', 'delete_database',
                                  database='one-too-many'))

    assert isinstance(refused, sealing.BrokenSeal)
    assert len(endpoint.calls) == 10


def test_answer_is_sealed_and_bound_to_its_call(guest):
    key, _endpoint, parts = guest
    message = seal(key, 'i-1', 'list_databases', call=True, limit=5)
    answer = deliver(parts, message)
    envelopes = sealing.Envelopes(key, 'i-1')

    assert 'shop' not in repr(answer)
    assert envelopes.open_answer(answer, message[2]) == [{'name': 'shop'}]
    with pytest.raises(sealing.BrokenSeal):
        envelopes.open_answer(answer, 'another-call')


def test_a_failure_travels_sealed_with_its_text(guest):
    key, _endpoint, parts = guest
    message = seal(key, 'i-1', 'restart', call=True)
    answer = deliver(parts, message)

    assert 'did not start' not in repr(answer)
    with pytest.raises(sealing.SealedFailure) as failure:
        sealing.Envelopes(key, 'i-1').open_answer(answer, message[2])
    assert failure.value.message == 'the datastore did not start'


class _Answering:
    """A prepared oslo.messaging client whose call answers ``answer``."""

    def __init__(self, answer):
        self.answer = answer

    def call(self, wire, method):
        return self.answer(wire)


def test_a_caller_sees_a_sealed_failure_as_remote_error_with_its_text(guest):
    key, _endpoint, parts = guest
    envelopes = sealing.Envelopes(key, 'i-1')

    def answer(wire):
        return deliver(parts, (wire, 'restart', None))
    call = rpc._SealedCallContext(_Answering(answer), envelopes)

    with pytest.raises(messaging.RemoteError) as failure:
        call.call(RequestContext(), 'restart')
    assert failure.value.exc_type == 'RuntimeError'
    assert failure.value.value == 'the datastore did not start'


def test_a_caller_refuses_an_answer_sealed_for_another_call(guest):
    key, _endpoint, parts = guest
    other = seal(key, 'i-1', 'list_databases', call=True)
    stolen = deliver(parts, other)
    call = rpc._SealedCallContext(_Answering(lambda wire: stolen),
                                  sealing.Envelopes(key, 'i-1'))

    with pytest.raises(messaging.RemoteError) as refused:
        call.call(RequestContext(), 'list_databases')
    assert refused.value.exc_type == 'BrokenSeal'


def test_a_failure_in_the_clear_loses_its_text():
    class ForgedFailure:
        """A broker peer answers the call with its own failure."""

        def call(self, wire, method):
            raise messaging.RemoteError('DatastoreOperationError',
                                        'Visit evil.example to fix this')

    call = rpc._SealedCallContext(
        ForgedFailure(), sealing.Envelopes(keys.new_key(), 'i-1'))

    with pytest.raises(messaging.RemoteError) as failure:
        call.call(RequestContext(), 'enable_root')
    assert failure.value.value == rpc.UNSEALED_FAILURE
    assert 'evil' not in str(failure.value)


def test_conductor_opens_a_report_with_the_key_of_its_instance(catalogue):
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    conductor = RecordingConductor()
    parts = sealing.conductor_server_parts(
        conductor, keys.find_key,
        sealed_message_ids.DatabaseSeenIds())

    deliver(parts, seal(key, instance.id, 'heartbeat',
                        instance_id=instance.id, payload={}, sent=1.0))

    assert conductor.reports == [(instance.id, instance.id)]


def test_conductor_refuses_reports_under_another_key_in_the_clear_or_for_no_instance(  # noqa: E501
        catalogue):
    keyed = make_instance(catalogue, keys.new_key())
    conductor = RecordingConductor()
    parts = sealing.conductor_server_parts(
        conductor, keys.find_key,
        sealed_message_ids.DatabaseSeenIds())

    for message in (
            seal(keys.new_key(), keyed.id, 'heartbeat',
                 instance_id=keyed.id, payload={}, sent=1.0),
            seal(None, keyed.id, 'heartbeat', instance_id=keyed.id,
                 payload={}, sent=1.0),
            seal(None, 'ghost', 'heartbeat', instance_id='ghost',
                 payload={}, sent=1.0)):
        assert isinstance(deliver(parts, message), sealing.BrokenSeal)
    assert conductor.reports == []


def test_heartbeat_sealed_by_another_instance_changes_nothing(catalogue):
    victim = make_instance(catalogue, keys.new_key())
    attacker_key = keys.new_key()
    attacker = make_instance(catalogue, attacker_key)
    parts = conductor_parts()

    # Sealed correctly by the attacker's guest, but about the victim.
    deliver(parts, seal(attacker_key, attacker.id, 'heartbeat',
                        instance_id=victim.id,
                        payload={'service_status': 'shutdown'}, sent=1.0))

    assert db_fixtures.service_status(victim.id) == Services.NEW


def test_heartbeat_in_the_clear_counts_only_for_an_instance_without_key(
        catalogue):
    keyed = make_instance(catalogue, keys.new_key())
    keyless = make_instance(catalogue, None)
    parts = conductor_parts()

    for instance in (keyed, keyless):
        deliver(parts, seal(None, instance.id, 'heartbeat',
                            instance_id=instance.id,
                            payload={'service_status': 'healthy'},
                            sent=1.0))

    assert db_fixtures.service_status(keyed.id) == Services.NEW
    assert db_fixtures.service_status(keyless.id) == Services.HEALTHY


def test_heartbeat_sealed_by_its_own_guest_is_applied_once(catalogue):
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    parts = conductor_parts()
    healthy = seal(key, instance.id, 'heartbeat', instance_id=instance.id,
                   payload={'service_status': 'healthy'}, sent=1.0)

    deliver(parts, healthy)
    db_fixtures.set_service_status(instance.id, Services.SHUTDOWN)

    # Its own stamp guards it (the lastseen guard), not a kept id.
    assert deliver(parts, healthy) is None
    assert db_fixtures.service_status(instance.id) == Services.SHUTDOWN
    assert kept_ids(instance.id) == 0


def test_heartbeat_without_its_stamp_is_guarded_by_its_id(catalogue):
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    parts = conductor_parts()
    healthy = seal(key, instance.id, 'heartbeat', instance_id=instance.id,
                   payload={'service_status': 'healthy'})

    deliver(parts, healthy)
    db_fixtures.set_service_status(instance.id, Services.SHUTDOWN)

    assert isinstance(deliver(parts, healthy), sealing.BrokenSeal)
    assert db_fixtures.service_status(instance.id) == Services.SHUTDOWN
    assert kept_ids(instance.id) == 1


@pytest.mark.parametrize('sent', ['NaN', 'Infinity', '-Infinity', '"1"',
                                  'true'])
def test_heartbeat_with_a_bad_stamp_changes_nothing(catalogue, sent):
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    parts = conductor_parts()

    deliver(parts, seal(key, instance.id, 'heartbeat',
                        instance_id=instance.id,
                        payload={'service_status': 'shutdown'},
                        sent=json.loads(sent)))

    assert db_fixtures.service_status(instance.id) == Services.NEW
    assert db.read(heartbeats.lastseen, instance.id) is None


def kept_ids(instance_id):
    return db.read(lambda conn: conn.execute(sa.select(sa.func.count()).where(
        sealed_message_ids._M.c.instance_id == instance_id)).scalar())


def test_instance_keys_are_stored_encrypted(catalogue, conf):
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    stored = db.read(instances.encrypted_key, instance.id)[1]

    assert key not in stored and keys.key_of(instance.id) == key
    conf.config(inst_rpc_key_encr_key='another secret')
    assert keys.decrypt(stored) is None


def test_the_cache_drops_the_least_recently_used():
    cache = lru.BoundedCache(2)
    cache.put('a', 1)
    cache.put('b', 2)
    cache.get('a')
    cache.put('c', 3)

    assert (cache.get('a'), cache.get('b'), cache.get('c')) == (1, None, 3)
    assert len(cache) == 2


class RecordingConductor:
    """A conductor endpoint that records who sent which report."""

    def __init__(self):
        self.reports = []

    def heartbeat(self, context, instance_id, payload, sent):
        self.reports.append((context.sealed_by, instance_id))

    def update_binlog_archive(self, context, instance_id, since, until,
                              sent=None):
        self.reports.append((context.sealed_by, instance_id))


def make_instance(catalogue, key):
    return db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1,
        'encrypted_key': keys.encrypt(key) if key else None})


def test_taskmanager_obeys_only_the_control_plane_seal(database, monkeypatch):
    endpoint = Guest()
    parts = sealing.control_plane_server_parts(
        endpoint, sealed_message_ids.DatabaseSeenIds())
    key = sealing.control_plane_key()

    for forged in (seal(None, sealing.CONTROL_PLANE, 'delete_database',
                        database='x'),
                   seal(keys.new_key(), sealing.CONTROL_PLANE,
                        'delete_database', database='x'),
                   seal(key, 'i-1', 'delete_database', database='x')):
        assert isinstance(deliver(parts, forged), sealing.BrokenSeal)
    # Queued while the taskmanager was down: late, but obeyed once.
    now = sealing.time.time()
    monkeypatch.setattr(sealing.time, 'time', lambda: now - 3600)
    late = seal(key, sealing.CONTROL_PLANE, 'delete_database',
                database='shop')
    monkeypatch.setattr(sealing.time, 'time', lambda: now)
    assert deliver(parts, late) is None
    assert isinstance(deliver(parts, late), sealing.BrokenSeal)
    assert endpoint.calls == [('delete_database', 'shop')]


def test_control_plane_key_follows_inst_rpc_key_encr_key(conf):
    first = sealing.control_plane_key()
    conf.config(inst_rpc_key_encr_key='another secret')

    assert sealing.control_plane_key() != first


def test_a_restarted_receiver_still_refuses_a_replay(catalogue, tmp_path):
    """The ids outlive the process: the control plane's in the database,
    a guest's in its sandbox."""
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    conductor = RecordingConductor()
    # (A heartbeat's replay is the conductor's lastseen guard's to drop.)
    report = seal(key, instance.id, 'update_binlog_archive',
                  instance_id=instance.id, since=1.0, until=2.0, sent=3.0)
    guest_endpoint = Guest()
    order = seal(key, 'i-1', 'delete_database', database='shop')
    path = str(tmp_path / 'seen.json')

    for _restart in range(2):
        conductor_parts = sealing.conductor_server_parts(
            conductor, keys.find_key, sealed_message_ids.DatabaseSeenIds())
        guest_parts = sealing.guest_server_parts(
            guest_endpoint, key, 'i-1', guest_seen_ids.FileSeenIds(path))
        deliver(conductor_parts, report)
        deliver(guest_parts, order)

    assert conductor.reports == [(instance.id, instance.id)]
    assert guest_endpoint.calls == [('delete_database', 'shop')]
    assert oct((tmp_path / 'seen.json').stat().st_mode & 0o777) == '0o600'


def test_a_queued_message_is_obeyed_only_within_its_max_queue_age(
        guest, conf, monkeypatch):
    key, endpoint, parts = guest
    conf.config(sealed_message_max_queue_age=3600)
    now = sealing.time.time()
    monkeypatch.setattr(sealing.time, 'time', lambda: now - 3601)
    too_old = seal(key, 'i-1', 'create_user', users=['late'])
    monkeypatch.setattr(sealing.time, 'time', lambda: now)

    assert isinstance(deliver(parts, too_old), sealing.BrokenSeal)
    assert endpoint.calls == []
