"""oslo.messaging plumbing: one transport per process, context serializer,
client and server factories, notifier."""

import logging
import threading

import oslo_messaging as messaging
from oslo_messaging.rpc import server as rpc_server

from trove_lite.common import amqp_broker
from trove_lite.common import context as trove_context
from trove_lite.common import objects
from trove_lite.common import sealing
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

_TRANSPORT = None
_NOTIFICATION_TRANSPORT = None
_NOTIFIER = None
_DECLARATIONS = None
_DECLARATIONS_LOCK = threading.Lock()


def guest_sections():
    """The messaging options a guest must share with the control plane
    ({section: {option: value}}): the type of a queue is fixed when it is
    declared, and the taskmanager declares the guest's queue before the
    guest consumes from it, so with ``rabbit_quorum_queue`` both declare
    quorum queues."""
    if not CONF.oslo_messaging_rabbit.rabbit_quorum_queue:
        return {}
    return {'oslo_messaging_rabbit': {'rabbit_quorum_queue': 'true'}}


class RequestContextSerializer(messaging.Serializer):
    """Carries RequestContext and RemoteObjects across the wire."""

    def serialize_entity(self, ctxt, entity):
        return objects.to_primitive(entity)

    def deserialize_entity(self, ctxt, entity):
        return objects.from_primitive(entity)

    def serialize_context(self, ctxt):
        return ctxt.to_dict()

    def deserialize_context(self, ctxt):
        return trove_context.RequestContext.from_dict(ctxt)


def get_transport():
    """The process's RPC transport (built on first use)."""
    global _TRANSPORT
    if _TRANSPORT is None:
        _TRANSPORT = messaging.get_rpc_transport(CONF)
    return _TRANSPORT


def get_notifier(publisher_id):
    global _NOTIFICATION_TRANSPORT, _NOTIFIER
    if _NOTIFIER is None:
        _NOTIFICATION_TRANSPORT = messaging.get_notification_transport(CONF)
        _NOTIFIER = messaging.Notifier(_NOTIFICATION_TRANSPORT,
                                       serializer=RequestContextSerializer())
    return _NOTIFIER.prepare(publisher_id=publisher_id)


def get_client(target, version_cap=None, serializer=None):
    return messaging.get_rpc_client(
        get_transport(), target, version_cap=version_cap,
        serializer=serializer or RequestContextSerializer())


class _AckLater:
    """A received message whose acknowledgement is left to the caller."""

    def __init__(self, message):
        self._message = message

    def __getattr__(self, name):
        return getattr(self._message, name)

    def acknowledge(self):
        pass


class AckAfterDispatchServer(rpc_server.RPCServer):
    """An RPC server that acknowledges a message once its endpoint has
    returned, where oslo.messaging's acknowledges it before: a report is
    off the queue only once it is written. Should the process die first,
    the broker hands the message to another consumer (a repeated
    heartbeat is then dropped by the lastseen guard)."""

    def _process_incoming(self, incoming):
        message = incoming[0]
        try:
            super()._process_incoming([_AckLater(message)])
        finally:
            message.acknowledge()


# What the caller sees of a failure answer that is not sealed.
UNSEALED_FAILURE = 'The guest answered with a failure that is not sealed'


class SealedClient:
    """An RPC client whose messages are sealed envelopes
    (common.sealing): use it as oslo.messaging's
    (``prepare(...).cast/call(context, method, **args)``). A call's
    failure, sealed or not, is raised as RemoteError."""

    def __init__(self, target, key, instance_id):
        self._client = get_client(target,
                                  serializer=messaging.NoOpSerializer())
        self._envelopes = sealing.Envelopes(key, instance_id)

    def prepare(self, **options):
        return _SealedCallContext(self._client.prepare(**options),
                                  self._envelopes)


class _SealedCallContext:

    def __init__(self, prepared, envelopes):
        self._prepared = prepared
        self._envelopes = envelopes

    def cast(self, context, method, **args):
        wire, _ = self._envelopes.seal(context, method, args, call=False)
        self._prepared.cast(wire, method)

    def call(self, context, method, **args):
        wire, message_id = self._envelopes.seal(context, method, args,
                                                call=True)
        try:
            answer = self._prepared.call(wire, method)
        except messaging.RemoteError as error:
            # Anyone on the broker can send a failure in the clear: its
            # text is not shown to anyone.
            LOG.warning('Unsealed failure (%s) from instance %s',
                        error.exc_type, self._envelopes.instance_id)
            raise messaging.RemoteError(error.exc_type,
                                        UNSEALED_FAILURE) from None
        try:
            return self._envelopes.open_answer(answer, message_id)
        except sealing.BrokenSeal:
            raise messaging.RemoteError(
                'BrokenSeal', 'The guest\'s answer was not sealed with '
                'its key') from None
        except sealing.SealedFailure as failure:
            raise messaging.RemoteError(failure.exc_type,
                                        failure.message) from None


def control_plane_client(target):
    """A client of the taskmanager: its messages are sealed with the
    control-plane key."""
    return SealedClient(target, sealing.control_plane_key(),
                        sealing.CONTROL_PLANE)


def get_server(target, endpoints, serializer=None,
               ack_after_dispatch=False):
    """An RPC server; oslo.messaging runs it with its threading executor
    (it would pick eventlet only in a monkey-patched process, and nothing
    here monkey-patches). ``ack_after_dispatch``: see
    AckAfterDispatchServer."""
    return messaging.get_rpc_server(
        get_transport(), target, endpoints,
        serializer=serializer or RequestContextSerializer(),
        server_cls=(AckAfterDispatchServer if ack_after_dispatch
                    else rpc_server.RPCServer))


def declarations():
    """The process's broker declarations (common.amqp_broker), on the
    rabbit driver; None on another (the unit tests' fake driver)."""
    global _DECLARATIONS
    with _DECLARATIONS_LOCK:
        if _DECLARATIONS is None and \
                amqp_broker.is_rabbit(CONF.transport_url):
            _DECLARATIONS = amqp_broker.Declarations(
                amqp_broker.Broker(CONF))
        return _DECLARATIONS


def declare_topic_queue(topic, server, exchange=None):
    """Create a topic's queues (bound to ``exchange``, by default the
    control exchange) so a cast waits there for its consumer.

    On the rabbit driver they are declared as oslo.messaging's server
    declares them, on one connection the process keeps; oslo.messaging
    declares queues only when a server starts, so on another driver a
    throw-away server is started and stopped on the topic.
    """
    declared = declarations()
    if declared is not None:
        declared.topic_queues(exchange or CONF.control_exchange, topic,
                              server)
        return
    target = messaging.Target(topic=topic, server=server, exchange=exchange)
    declarer = messaging.get_rpc_server(get_transport(), target, [])
    declarer.start()
    declarer.stop()
    declarer.wait()


def ready_messages(queues):
    """How many requests wait, undelivered, in ``queues``; None where the
    driver cannot tell (not rabbit)."""
    declared = declarations()
    return None if declared is None else declared.ready_messages(queues)


def cleanup():
    global _TRANSPORT, _NOTIFICATION_TRANSPORT, _NOTIFIER, _DECLARATIONS
    for transport in (_TRANSPORT, _NOTIFICATION_TRANSPORT):
        if transport is not None:
            transport.cleanup()
    if _DECLARATIONS is not None:
        _DECLARATIONS.close()
    _TRANSPORT = _NOTIFICATION_TRANSPORT = _NOTIFIER = _DECLARATIONS = None


def delete_topic_queues(topic, server):
    """Remove a topic's queues once nobody will ever consume them again
    (a deleted instance's guest topic), so the broker does not collect one
    dead queue per instance. Only the rabbit driver has queues to delete."""
    declared = declarations()
    if declared is not None:
        declared.delete_queues((topic, f'{topic}.{server}'))
