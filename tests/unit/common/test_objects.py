"""RemoteObjects survive the RPC serializer; passwords stay out of repr."""

import oslo_messaging as messaging
import pytest

from trove_lite.common import context
from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.common import rpc


def spec():
    return objects.InstanceSpec(
        instance_id='i-1', name='db', flavor={'id': '1', 'ram': 256},
        datastore_manager='mariadb', datastore_version='10.11',
        datastore_version_id='v-1', volume_size=2,
        databases=[objects.DatabaseSpec(name='app')],
        users=[objects.UserSpec(name='bob', password='hunter2x',
                                databases=['app'])])


def test_spec_round_trips_through_the_serializer():
    serializer = rpc.RequestContextSerializer()
    wire = serializer.serialize_entity(None, {'spec': spec()})
    assert wire['spec'][objects.NAME_KEY] == 'InstanceSpec'
    back = serializer.deserialize_entity(None, wire)['spec']
    assert back == spec()
    assert isinstance(back.users[0], objects.UserSpec)
    assert isinstance(back.databases[0], objects.DatabaseSpec)


def test_unknown_fields_from_newer_senders_are_ignored():
    wire = spec().to_primitive()
    wire[objects.DATA_KEY]['field_from_the_future'] = 1
    assert objects.RemoteObject.from_primitive(wire) == spec()


def test_fields_older_senders_still_send_are_dropped():
    """A PrepareRequest from before root_password and volume_size were
    removed (the guest never used them) is read as today's."""
    wire = objects.PrepareRequest(memory_mb=256).to_primitive()
    wire[objects.DATA_KEY].update(root_password='old-pw1', volume_size=2)
    back = objects.RemoteObject.from_primitive(wire)
    assert back == objects.PrepareRequest(memory_mb=256)
    assert not hasattr(back, 'root_password')


def test_a_newer_minor_version_is_read():
    wire = spec().to_primitive()
    wire[objects.VERSION_KEY] = '1.7'
    assert objects.RemoteObject.from_primitive(wire) == spec()


@pytest.mark.parametrize('version', ['2.0', '0.9', '', None, 'x.y', 3])
def test_a_version_the_receiver_cannot_read_is_refused_clearly(version):
    serializer = rpc.RequestContextSerializer()
    wire = serializer.serialize_entity(None, {'spec': spec()})
    wire['spec'][objects.VERSION_KEY] = version
    with pytest.raises(exceptions.IncompatibleObjectVersion) as refused:
        serializer.deserialize_entity(None, wire)
    assert str(refused.value) == (
        f'Cannot read InstanceSpec version {version}: this service reads '
        f'version 1.0.')


def test_an_object_the_receiver_does_not_know_is_refused_clearly():
    wire = {objects.NAME_KEY: 'BackupSpec', objects.VERSION_KEY: '1.0',
            objects.DATA_KEY: {}}
    with pytest.raises(exceptions.IncompatibleObjectVersion,
                       match='Cannot read BackupSpec version 1.0'):
        objects.RemoteObject.from_primitive(wire)


def test_password_never_in_repr():
    assert 'hunter2x' not in repr(spec())
    assert 'hunter2x' not in repr(spec().users[0])
    request = objects.PrepareRequest(memory_mb=256, users=spec().users)
    assert 'hunter2x' not in repr(request)


def test_context_travels_with_a_cast():
    received = []

    class Endpoint:
        target = messaging.Target(version='1.0')

        def create_instance(self, ctxt, spec):
            received.append((ctxt, spec))

    target = messaging.Target(topic='unit-topic', server='s1')
    server = rpc.get_server(target, [Endpoint()])
    server.start()
    try:
        ctxt = context.RequestContext(project_id='proj', user_id='u',
                                      request_id='req-abc', is_admin=True)
        rpc.get_client(messaging.Target(topic='unit-topic')).cast(
            ctxt, 'create_instance', spec=spec())
        import time
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.stop()
        server.wait()
    (got_context, got_spec), = received
    assert isinstance(got_context, context.RequestContext)
    assert (got_context.project_id, got_context.user_id,
            got_context.request_id, got_context.is_admin) == (
        'proj', 'u', 'req-abc', True)
    assert got_spec == spec()
