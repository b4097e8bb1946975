"""The guest agent's RPC: oslo.messaging's rabbit wire format, spoken with
py-amqp (the client kombu is built on) and nothing else of the oslo
messaging stack.

A host runs hundreds of agents, and what an agent imports is in each one's
RSS and in the CPU of each start: oslo.messaging with kombu, futurist,
oslo.service with cotyledon and oslo.log hold ~14 MiB of anonymous memory
in every agent (doc/source/contributor/performance.rst). What an agent
asks of a transport is small, because every message to or from a guest
is one sealed envelope (common.sealing), so the control plane keeps its
oslo.messaging clients and servers unchanged:

- serve its topic: the queues ``<topic>`` and ``<topic>.<server>`` bound
  to its exchange for those routing keys. The taskmanager declares them
  before the guest starts, so the agent takes them as they are (a passive
  declaration) and declares them itself, as oslo.messaging would, only
  when they are missing (after a broker lost them);
- dispatch each message in a thread of its own, acknowledged before it
  is dispatched, as oslo.messaging's RPC server does;
- answer a call through the default exchange to the caller's reply queue,
  in oslo.messaging's reply format (a failure as it serialises one, so
  the caller raises RemoteError);
- cast (to the conductor) through its exchange, confirmed by the broker;
- reconnect, across the URL's hosts, after a broker restart or failover;
- TLS as ``[oslo_messaging_rabbit] ssl`` and its files say.
"""

import concurrent.futures
import json
import logging
import threading
import time
import uuid

import amqp
from oslo_config import cfg

from trove_lite.common import amqp_broker

LOG = logging.getLogger(__name__)

# oslo.messaging's options the agent reads, each as oslo.messaging
# declares it (tests/unit/guestagent/test_amqp_rpc.py compares them):
# the guest's config file is written for either.
_OPTS = {
    None: [
        cfg.StrOpt('transport_url', default='rabbit://', secret=True,
                   help='The messaging bus\'s URL (rabbit://user:password@'
                        'host:port[,...]/vhost).'),
        cfg.StrOpt('control_exchange', default='openstack',
                   help='The exchange the agent\'s topics are bound to.'),
        cfg.IntOpt('executor_thread_pool_size', default=64,
                   deprecated_name='rpc_thread_pool_size',
                   help='Messages dispatched at once.'),
    ],
    'oslo_messaging_rabbit': [
        cfg.BoolOpt('amqp_durable_queues', default=False,
                    help='Durable queues and exchanges.'),
        cfg.BoolOpt('amqp_auto_delete', default=False,
                    deprecated_group='DEFAULT',
                    help='Auto-deleted queues and exchanges.'),
        cfg.BoolOpt('rabbit_quorum_queue', default=False,
                    help='Quorum queues.'),
        cfg.BoolOpt('ssl', default=False, deprecated_name='rabbit_use_ssl',
                    help='Connect over TLS.'),
        cfg.StrOpt('ssl_version', default='',
                   deprecated_name='kombu_ssl_version',
                   help='The TLS version (a name ssl.PROTOCOL_<name>).'),
        cfg.StrOpt('ssl_key_file', default='',
                   deprecated_name='kombu_ssl_keyfile',
                   help='The client\'s TLS key.'),
        cfg.StrOpt('ssl_cert_file', default='',
                   deprecated_name='kombu_ssl_certfile',
                   help='The client\'s TLS certificate.'),
        cfg.StrOpt('ssl_ca_file', default='',
                   deprecated_name='kombu_ssl_ca_certs',
                   help='The CAs the broker\'s certificate is checked '
                        'against.'),
        cfg.IntOpt('heartbeat_timeout_threshold', default=60,
                   help='Seconds without a frame from the broker before '
                        'the connection is taken for dead (0: never).'),
        cfg.IntOpt('rabbit_retry_interval', default=1,
                   help='Seconds before the first reconnection.'),
        cfg.IntOpt('rabbit_retry_backoff', default=2,
                   help='Seconds added to the wait at each failed '
                        'reconnection.'),
        cfg.IntOpt('rabbit_interval_max', default=30,
                   help='The longest wait between reconnections.'),
    ],
}

ENVELOPE_VERSION = '2.0'
CONTENT_TYPE = 'application/json'
# How often the consuming loop looks up from the socket (stop requests,
# heartbeats).
POLL_INTERVAL = 1.0


def register_opts(conf):
    """Register the options above on ``conf``, but for any already there
    (oslo.messaging's own, in a process that loaded it)."""
    for group, opts in _OPTS.items():
        for opt in opts:
            section = conf if group is None else _group(conf, group)
            if section is None or opt.dest not in section:
                conf.register_opt(opt, group=group)


def _group(conf, name):
    try:
        return getattr(conf, name)
    except cfg.NoSuchOptError:
        return None


def compatible(version, served):
    """Whether a message of RPC API ``version`` is served by an endpoint
    of version ``served`` (same major, not a newer minor)."""
    try:
        major, minor = (int(part) for part in str(version).split('.'))
        served_major, served_minor = (int(part)
                                      for part in served.split('.'))
    except ValueError:
        return False
    return major == served_major and minor <= served_minor


def failure_body(error):
    """A failure as oslo.messaging serialises it for a reply (without its
    traceback, which is nothing the caller needs)."""
    return json.dumps({'class': type(error).__name__,
                       'module': type(error).__module__,
                       'message': str(error), 'tb': [],
                       'args': [str(arg) for arg in error.args],
                       'kwargs': {}})


def wire_body(message):
    """oslo.messaging's envelope of a message (a dict) as sent."""
    return json.dumps({'oslo.version': ENVELOPE_VERSION,
                       'oslo.message': json.dumps(message)})


def read_body(body):
    """The message (a dict) of a received body; ValueError if it is none.
    Anyone on the broker can put a body in the agent's queue (the default
    exchange routes to any queue by name), so nothing in it is trusted to
    have the shape it should."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode('utf-8')
    outer = json.loads(body)
    if isinstance(outer, dict) and 'oslo.message' in outer:
        version, inner = outer.get('oslo.version'), outer['oslo.message']
        if not isinstance(version, str) or not isinstance(inner, str) or \
                version.split('.')[0] != ENVELOPE_VERSION.split('.')[0]:
            raise ValueError('not an oslo.messaging envelope of version '
                             f'{ENVELOPE_VERSION}')
        outer = json.loads(inner)
    if not isinstance(outer, dict):
        raise ValueError('not an RPC message')
    return outer


class Transport:
    """Connections to the broker of ``conf.transport_url``: one that
    consumes (owned by the thread in ``Server.run``) and one that
    publishes, shared by every thread under a lock. py-amqp's connections
    are not thread-safe, and a thread that publishes must not wait for
    one that is blocked reading the socket."""

    def __init__(self, conf):
        self.broker = amqp_broker.Broker(conf)
        self.exchange = conf.control_exchange
        self._publish_lock = threading.Lock()
        self._publisher = None
        self._declared = set()

    # -- publishing ----------------------------------------------------

    def _publish(self, exchange, routing_key, message):
        """Publish ``message`` (a dict, in oslo.messaging's envelope),
        confirmed by the broker; one new connection is tried when the
        publishing one fails."""
        body = amqp.Message(wire_body(message), content_type=CONTENT_TYPE,
                            content_encoding='utf-8', delivery_mode=2)
        with self._publish_lock:
            for attempt in (1, 2):
                try:
                    channel = self._publishing_channel(exchange)
                    channel.basic_publish_confirm(
                        body, exchange=exchange, routing_key=routing_key,
                        confirm_timeout=amqp_broker.IO_TIMEOUT)
                    return
                except amqp_broker.ERRORS as error:
                    self._close_publisher()
                    if attempt == 2:
                        raise
                    LOG.warning('Publishing to %r failed (%s); again on a '
                                'new connection', exchange or 'default',
                                error)

    def _publishing_channel(self, exchange):
        if self._publisher is None:
            # No heartbeats: nothing reads this connection between
            # publishes, and a dead one is replaced at the next publish.
            connection = self.broker.connect(heartbeat=0)
            self._publisher = (connection, connection.channel())
            self._declared = set()
        connection, channel = self._publisher
        if exchange and exchange not in self._declared:
            channel = self.broker.ensure_exchange(connection, channel,
                                                  exchange)
            self._publisher = (connection, channel)
            self._declared.add(exchange)
        return channel

    def _close_publisher(self):
        if self._publisher is not None:
            amqp_broker.close(self._publisher[0])
        self._publisher = None

    def cast(self, topic, context, method, version):
        """Cast ``method`` to ``topic`` through the agent's exchange, as
        oslo.messaging's RPC client casts it; ``context`` is the wire
        context (a dict), the arguments travel in it (sealed)."""
        message = {'method': method, 'args': {}, 'version': version,
                   '_unique_id': uuid.uuid4().hex}
        message.update((f'_context_{key}', value)
                       for key, value in context.items())
        self._publish(self.exchange, topic, message)

    def reply(self, reply_queue, message_id, result=None, failure=None):
        """Answer call ``message_id`` on the caller's reply queue."""
        self._publish('', reply_queue, {
            'result': result, 'failure': failure, 'ending': True,
            '_msg_id': message_id, '_unique_id': uuid.uuid4().hex})

    def close(self):
        with self._publish_lock:
            if self._publisher is not None:
                amqp_broker.close(self._publisher[0], graceful=True)
            self._publisher = None


class Server:
    """The RPC server of one topic: its messages go to ``endpoint``
    (methods called with the context and the message's arguments, through
    ``serializer`` as oslo.messaging's dispatcher does), each in a thread
    of a pool, until ``stop``."""

    def __init__(self, transport, topic, server, endpoint, serializer,
                 version, pool_size):
        self.transport = transport
        self.queues = (topic, f'{topic}.{server}')
        self.endpoint = endpoint
        self.serializer = serializer
        self.version = version
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=pool_size, thread_name_prefix='rpc')
        # A plain flag, not a threading.Event: stop() may run in a signal
        # handler, which must never wait on a lock.
        self._stop_requested = False

    def stop(self, *_args):
        self._stop_requested = True

    @property
    def stopping(self):
        return self._stop_requested

    def run(self, on_serving=None):
        """Consume until ``stop``, reconnecting whenever the broker goes;
        then wait for the messages being dispatched."""
        waits = None
        while not self._stop_requested:
            connection = None
            try:
                connection = self.transport.broker.connect(
                    heartbeat=self.transport.broker.heartbeat)
                self._consume(connection)
                LOG.info('Serving topic %s', self.queues[0])
                waits = None
                if on_serving is not None:
                    on_serving()
                    on_serving = None
                self._drain(connection)
            except amqp_broker.ERRORS as error:
                waits = waits or self.transport.broker.retry_waits()
                wait = next(waits)
                LOG.warning('Lost the broker (%s); reconnecting in %.0f s',
                            error or type(error).__name__, wait)
                self._sleep(wait)
            finally:
                if connection is not None:
                    amqp_broker.close(connection,
                                      graceful=self._stop_requested)
        self._pool.shutdown(wait=True)

    def _sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while not self._stop_requested and time.monotonic() < deadline:
            time.sleep(min(0.2, deadline - time.monotonic()))

    def _consume(self, connection):
        broker, exchange = self.transport.broker, self.transport.exchange
        channel = broker.ensure_exchange(connection, connection.channel(),
                                         exchange)
        for queue in self.queues:
            # Each queue's routing key is its name.
            channel = broker.ensure_queue(connection, channel, queue)
            channel.queue_bind(queue, exchange, queue)
        for queue in self.queues:
            channel.basic_consume(queue, callback=self._received)

    def _drain(self, connection):
        while not self._stop_requested:
            try:
                connection.drain_events(timeout=POLL_INTERVAL)
            except TimeoutError:
                pass
            # Sends ours and raises ConnectionForced when the broker's
            # are overdue.
            connection.heartbeat_tick()

    def _received(self, raw):
        # Acknowledged before it is dispatched, as oslo.messaging's RPC
        # server does: a message that kills the agent is not redelivered
        # to it forever.
        raw.channel.basic_ack(raw.delivery_tag)
        try:
            message = read_body(raw.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            LOG.warning('Message that is not RPC dropped: %s',
                        str(error)[:200])
            return
        self._pool.submit(self._dispatch, message)

    def _dispatch(self, message):
        context = {key[len('_context_'):]: message.pop(key)
                   for key in list(message) if isinstance(key, str)
                   and key.startswith('_context_')}
        message_id = message.get('_msg_id')
        reply_queue = message.get('_reply_q')
        method = message.get('method')
        result = failure = None
        try:
            result = self._call(context, method, message)
        except Exception as error:
            LOG.warning('%s refused or failed: %s',
                        str(method)[:64], error)
            failure = failure_body(error)
        if message_id and isinstance(reply_queue, str):
            try:
                self.transport.reply(reply_queue, message_id, result,
                                     failure)
            except Exception as error:  # a broker error, or a queue name
                # py-amqp cannot send (longer than 255 bytes)
                LOG.warning('The answer to %s was not sent: %s',
                            str(method)[:64], str(error)[:200])

    def _call(self, wire_context, method, message):
        version = message.get('version') or '1.0'
        if message.get('namespace') is not None or \
                not compatible(version, self.version):
            raise UnsupportedVersion(
                f'version {str(version)[:16]} of this RPC API is not '
                f'served (it is {self.version})')
        args = message.get('args') or {}
        if not isinstance(method, str) or method.startswith('_') or \
                not isinstance(args, dict):
            raise NoSuchMethod(f'no method {str(method)[:64]}')
        context = self.serializer.deserialize_context(wire_context)
        try:
            handler = getattr(self.endpoint, method)
        except AttributeError:
            raise NoSuchMethod(f'no method {method[:64]}') from None
        result = handler(context, **{
            name: self.serializer.deserialize_entity(context, value)
            for name, value in args.items()})
        return self.serializer.serialize_entity(context, result)


class UnsupportedVersion(Exception):
    """The message is of a version of the RPC API this agent lacks."""


class NoSuchMethod(Exception):
    """The message names no method of the agent."""
