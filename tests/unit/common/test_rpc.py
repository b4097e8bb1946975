"""Messages to and from a guest are sealed with its instance's key
(encrypted_rpc_messaging): the guest obeys only its key, the conductor
accepts a report only from the guest of the instance it names."""

import pytest

from tests.unit import db_fixtures
from trove_lite.common import rpc
from trove_lite.common.context import RequestContext
from trove_lite.conductor import manager
from trove_lite.instance import keys
from trove_lite.instance.status import ServiceStatuses as Services


class FakeTaskmanager:
    def guest_status_changed(self, context, instance_id, status):
        pass


def wire(serializer, context, **args):
    """What a client puts on the wire for a message."""
    return (serializer.serialize_context(context),
            {name: serializer.serialize_entity(context, value)
             for name, value in args.items()})


def receive(serializer, message):
    """What an RPC server's dispatcher hands the endpoint."""
    wire_context, wire_args = message
    context = serializer.deserialize_context(wire_context)
    return context, {name: serializer.deserialize_entity(context, value)
                     for name, value in wire_args.items()}


def make_instance(catalogue, key):
    return db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1,
        'encrypted_key': key})


def test_new_instances_get_a_key_of_their_own():
    first, second = keys.new_key(), keys.new_key()
    assert first and second and first != second


def test_no_key_when_encrypted_messaging_is_off(conf):
    conf.config(encrypted_rpc_messaging=False)
    assert keys.new_key() is None


def test_guest_opens_what_is_sealed_with_its_key():
    key = keys.new_key()
    sender = rpc.SealedSerializer(key, 'i-1')
    message = wire(sender, RequestContext(project_id='p1'),
                   users=[{'name': 'bob', 'password': 'secret-pw'}])

    assert 'secret-pw' not in repr(message)
    context, args = receive(rpc.SealedSerializer(key, 'i-1'), message)
    assert context.project_id == 'p1'
    assert args == {'users': [{'name': 'bob', 'password': 'secret-pw'}]}


@pytest.mark.parametrize('sender_key', [None, 'other'])
def test_guest_refuses_a_message_in_the_clear_or_under_another_key(
        sender_key):
    sender_key = keys.new_key() if sender_key else None
    message = wire(rpc.SealedSerializer(sender_key, 'i-1'),
                   RequestContext(), request={'name': 'x'})

    with pytest.raises(rpc.BrokenSeal):
        receive(rpc.SealedSerializer(keys.new_key(), 'i-1'), message)


def test_conductor_opens_a_report_with_the_key_of_its_instance():
    key = keys.new_key()
    message = wire(rpc.SealedSerializer(key, 'i-1'), RequestContext(),
                   instance_id='i-1', payload={'service_status': 'healthy'})

    context, args = receive(
        rpc.GuestReportSerializer({'i-1': key}.get), message)

    assert context.sealed_by == 'i-1' and not context.broken_seal
    assert args['payload'] == {'service_status': 'healthy'}


def test_conductor_marks_a_report_that_claims_another_instance():
    # Guest i-2 names instance i-1 in the clear but has only its own key.
    message = wire(rpc.SealedSerializer(keys.new_key(), 'i-1'),
                   RequestContext(), instance_id='i-1', payload={})

    context, args = receive(
        rpc.GuestReportSerializer({'i-1': keys.new_key()}.get), message)

    assert context.broken_seal and context.sealed_by is None
    assert args == {'instance_id': None, 'payload': None}


def test_heartbeat_sealed_by_another_instance_changes_nothing(catalogue):
    victim = make_instance(catalogue, keys.new_key())
    attacker_key = keys.new_key()
    attacker = make_instance(catalogue, attacker_key)
    # Sealed correctly by the attacker's guest, but about the victim.
    message = wire(rpc.SealedSerializer(attacker_key, attacker.id),
                   RequestContext(), instance_id=victim.id,
                   payload={'service_status': 'shutdown'}, sent=1.0)
    context, args = receive(rpc.GuestReportSerializer(keys.key_of), message)
    assert context.sealed_by == attacker.id

    manager.Manager(taskmanager=FakeTaskmanager()).heartbeat(context, **args)

    assert db_fixtures.service_status(victim.id) == Services.NEW


def test_heartbeat_in_the_clear_counts_only_for_an_instance_without_key(
        catalogue):
    keyed = make_instance(catalogue, keys.new_key())
    keyless = make_instance(catalogue, None)
    conductor = manager.Manager(taskmanager=FakeTaskmanager())

    for instance in (keyed, keyless):
        conductor.heartbeat(RequestContext(), instance.id,
                            {'service_status': 'healthy'}, sent=1.0)

    assert db_fixtures.service_status(keyed.id) == Services.NEW
    assert db_fixtures.service_status(keyless.id) == Services.HEALTHY


def test_heartbeat_sealed_by_its_own_guest_is_applied(catalogue):
    key = keys.new_key()
    instance = make_instance(catalogue, key)
    message = wire(rpc.SealedSerializer(key, instance.id), RequestContext(),
                   instance_id=instance.id,
                   payload={'service_status': 'healthy'}, sent=1.0)
    context, args = receive(rpc.GuestReportSerializer(keys.key_of), message)

    manager.Manager(taskmanager=FakeTaskmanager()).heartbeat(context, **args)

    assert db_fixtures.service_status(instance.id) == Services.HEALTHY
