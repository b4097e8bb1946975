"""The guest agent's transport against oslo.messaging's own formats: what
it reads, writes and registers must be what oslo.messaging's peers (the
control plane) write, read and register."""

import json

import oslo_messaging as messaging
import pytest
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts
from oslo_messaging._drivers import common as rpc_common

from trove_lite.common import amqp_broker
from trove_lite.guestagent import amqp_rpc


def _oslo_options():
    return {(group, opt.dest): opt
            for group, opts in messaging_opts.list_opts()
            for opt in opts}


def test_the_options_are_oslo_messagings_own():
    """Same name, type and default: a guest's config file means the same
    to this agent as to an oslo.messaging one."""
    oslo = _oslo_options()
    for group, opts in amqp_rpc._OPTS.items():
        for opt in opts:
            theirs = oslo[(group, opt.dest)]
            assert type(opt) is type(theirs), opt.dest
            # trove-lite sets control_exchange's default on both (on
            # oslo.messaging's, once a test has run set_defaults).
            if opt.dest != 'control_exchange':
                assert opt.default == theirs.default, opt.dest


def test_registering_beside_oslo_messaging_keeps_its_options():
    conf = cfg.ConfigOpts()
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)

    amqp_rpc.register_opts(conf)
    conf([])

    assert conf.oslo_messaging_rabbit.heartbeat_timeout_threshold == 60


def test_registering_alone_gives_every_option():
    conf = cfg.ConfigOpts()
    amqp_rpc.register_opts(conf)
    conf([])
    assert conf.transport_url == 'rabbit://'
    assert conf.oslo_messaging_rabbit.rabbit_quorum_queue is False


def test_transport_url_hosts_credentials_and_virtual_host():
    hosts, vhost = amqp_broker.parse_transport_url(
        'rabbit://trove-guest-1:p%40ss%3Aw@10.0.0.1:5673,'
        '[fd00::2]/tenant%2Fone')

    assert [(h.hostname, h.port, h.username, h.password, h.address)
            for h in hosts] == [
        ('10.0.0.1', 5673, 'trove-guest-1', 'p@ss:w', '10.0.0.1:5673'),
        # No credentials of its own: those of the host before it.
        ('fd00::2', 5672, 'trove-guest-1', 'p@ss:w', '[fd00::2]:5672')]
    assert vhost == 'tenant/one'


def test_transport_url_defaults_and_refusals():
    hosts, vhost = amqp_broker.parse_transport_url('rabbit://')
    assert [(h.address, h.username) for h in hosts] == [
        ('localhost:5672', 'guest')]
    assert vhost == '/'
    with pytest.raises(ValueError):
        amqp_broker.parse_transport_url('kafka://broker:9092')


@pytest.mark.parametrize('version, served, expected', [
    ('1.0', '1.0', True), ('1.0', '1.3', True), ('1.4', '1.3', False),
    ('2.0', '1.9', False), ('one', '1.0', False), (None, '1.0', False)])
def test_versions_served(version, served, expected):
    assert amqp_rpc.compatible(version, served) is expected


def test_reads_what_oslo_messaging_sends_and_sends_what_it_reads():
    message = {'method': 'prepare', 'args': {}, '_context_envelope': 'x',
               '_msg_id': 'm-1'}
    sent_by_oslo = json.dumps(rpc_common.serialize_msg(message))

    assert amqp_rpc.read_body(sent_by_oslo.encode()) == message
    assert rpc_common.deserialize_msg(
        json.loads(amqp_rpc.wire_body(message))) == message


HOSTILE_BODIES = [
    b'\xff', b'[1, 2]', b'not json', b'"a string"',
    b'{"oslo.version": "3.0", "oslo.message": "{}"}',
    b'{"oslo.version": 2, "oslo.message": "{}"}',
    b'{"oslo.version": "2.0", "oslo.message": 5}',
    b'{"oslo.version": "2.0", "oslo.message": "[1]"}',
    b'[' * 100000 + b']' * 100000]


@pytest.mark.parametrize('body', HOSTILE_BODIES)
def test_a_body_that_is_no_rpc_message_is_refused(body):
    with pytest.raises((ValueError, UnicodeDecodeError, RecursionError)):
        amqp_rpc.read_body(body)


class RawMessage:
    """What py-amqp hands the consumer's callback."""

    def __init__(self, body):
        self.body = body
        self.delivery_tag = 7
        self.channel = self
        self.acked = []

    def basic_ack(self, tag):
        self.acked.append(tag)


@pytest.mark.parametrize('body', HOSTILE_BODIES)
def test_a_hostile_body_is_acknowledged_and_dropped(server, body):
    """Anyone on the broker can route a body to the agent's queue through
    the default exchange: none may stop its consumer."""
    served, transport, endpoint = server
    raw = RawMessage(body)

    served._received(raw)

    assert raw.acked == [7]
    assert endpoint.calls == [] and transport.replies == []


def test_an_answer_that_cannot_be_sent_is_dropped(server):
    served, transport, endpoint = server

    def refuse(*args, **kwargs):
        raise ValueError('queue name longer than 255 bytes')
    transport.reply = refuse

    served._dispatch({'method': 'list_databases', 'args': {'limit': 1},
                      '_msg_id': 'm-1', '_reply_q': 'q' * 300})

    assert endpoint.calls


def test_a_failure_is_rebuilt_by_the_caller_as_remote_error():
    failure = amqp_rpc.failure_body(amqp_rpc.NoSuchMethod('no method x'))

    rebuilt = rpc_common.deserialize_remote_exception(failure, [])

    assert isinstance(rebuilt, messaging.RemoteError)
    assert rebuilt.exc_type == 'NoSuchMethod'
    assert rebuilt.value == 'no method x'


class FakeTransport:
    def __init__(self):
        self.replies = []

    def reply(self, reply_queue, message_id, result=None, failure=None):
        self.replies.append((reply_queue, message_id, result, failure))


class Endpoint:
    def __init__(self):
        self.calls = []

    def list_databases(self, context, limit):
        self.calls.append((context, limit))
        return ['shop'][:limit]

    def restart(self, context):
        raise RuntimeError('did not start')

    def _forget(self, context):
        self.calls.append('private method called')


class Serializer:
    """Marks what passed through it, as the sealing serializer would
    open and seal."""

    def deserialize_context(self, ctxt):
        return ('context', ctxt)

    def deserialize_entity(self, ctxt, entity):
        return entity

    def serialize_entity(self, ctxt, entity):
        return {'sealed': entity}


@pytest.fixture
def server():
    transport = FakeTransport()
    endpoint = Endpoint()
    served = amqp_rpc.Server(transport, 'guestagent.i-1', 'i-1', endpoint,
                             Serializer(), version='1.0', pool_size=1)
    yield served, transport, endpoint
    served._pool.shutdown()


def test_a_call_is_dispatched_with_its_context_and_answered(server):
    served, transport, endpoint = server

    served._dispatch({'method': 'list_databases', 'args': {'limit': 1},
                      'version': '1.0', '_context_envelope': 'sealed',
                      '_msg_id': 'm-1', '_reply_q': 'reply_abc',
                      '_unique_id': 'u'})

    assert endpoint.calls == [(('context', {'envelope': 'sealed'}), 1)]
    assert transport.replies == [
        ('reply_abc', 'm-1', {'sealed': ['shop']}, None)]


def test_a_cast_is_not_answered(server):
    served, transport, endpoint = server
    served._dispatch({'method': 'list_databases', 'args': {'limit': 0}})
    assert endpoint.calls and transport.replies == []


@pytest.mark.parametrize('message, failure_class', [
    ({'method': 'restart'}, 'RuntimeError'),
    ({'method': 'format_disk'}, 'NoSuchMethod'),
    ({'method': '_forget'}, 'NoSuchMethod'),
    ({'method': 'restart', 'version': '2.0'}, 'UnsupportedVersion'),
    ({'method': 'restart', 'namespace': 'admin'}, 'UnsupportedVersion'),
    ({'method': ['restart']}, 'NoSuchMethod'),
    ({'method': 'list_databases', 'args': ['x']}, 'NoSuchMethod')])
def test_a_failed_call_is_answered_with_the_failure(server, message,
                                                    failure_class):
    served, transport, endpoint = server

    served._dispatch(dict(message, _msg_id='m-2', _reply_q='reply_abc'))

    (_, message_id, result, failure), = transport.replies
    assert message_id == 'm-2' and result is None
    assert json.loads(failure)['class'] == failure_class
    assert endpoint.calls == []
