"""The broker of a ``rabbit://`` transport URL through py-amqp, and the
exchanges and queues of oslo.messaging's rabbit driver declared as it
declares them, without oslo.messaging: the guest agent's transport
(guestagent.amqp_rpc) is built on it, and the control plane makes a
guest's exchange, bindings and queues with it (``Declarations``) rather
than with a throw-away oslo.messaging server and the management API.

The options read are oslo.messaging's (``[oslo_messaging_rabbit]``),
registered by oslo.messaging in the control plane and by
guestagent.amqp_rpc in an agent.
"""

import logging
import ssl
import threading
import time
import urllib.parse

import amqp

LOG = logging.getLogger(__name__)

# How long a connection, a publish's confirmation or a write may take.
IO_TIMEOUT = 10

# What a broken or refused connection raises.
ERRORS = (OSError, amqp.exceptions.AMQPError)


class Host:
    """One broker of a transport URL."""

    def __init__(self, hostname, port, username, password):
        self.hostname = hostname
        self.port = port
        self.username = username
        self.password = password

    @property
    def address(self):
        name = f'[{self.hostname}]' if ':' in self.hostname \
            else self.hostname
        return f'{name}:{self.port}'


def is_rabbit(url):
    return urllib.parse.urlsplit(url or '').scheme.split('+')[0] in (
        'rabbit', 'kombu')


def parse_transport_url(url):
    """``(hosts, virtual host)`` of a ``rabbit://`` transport URL, as
    oslo.messaging reads it: a host without credentials takes those of
    the host before it."""
    parsed = urllib.parse.urlsplit(url or '')
    if not is_rabbit(url):
        raise ValueError(f'not a rabbit:// transport URL '
                         f'(scheme {parsed.scheme!r})')
    hosts = []
    username = password = None
    for part in parsed.netloc.split(','):
        credentials, _, address = part.rpartition('@')
        if credentials:
            user, _, secret = credentials.partition(':')
            username = urllib.parse.unquote(user)
            password = urllib.parse.unquote(secret)
        host = urllib.parse.urlsplit(f'//{address}')
        hosts.append(Host(host.hostname or 'localhost', host.port or 5672,
                          username or 'guest', password or 'guest'))
    virtual_host = urllib.parse.unquote(parsed.path[1:]) or '/'
    return hosts, virtual_host


class Broker:
    """The broker of ``conf.transport_url``: connections to it, and the
    declarations of oslo.messaging's rabbit driver."""

    def __init__(self, conf):
        self._rabbit = conf.oslo_messaging_rabbit
        self.hosts, self.virtual_host = parse_transport_url(
            conf.transport_url)
        self._next_host = 0

    # -- connections ---------------------------------------------------

    def _ssl_options(self):
        if not self._rabbit.ssl:
            return False
        options = {}
        if self._rabbit.ssl_version:
            options['ssl_version'] = getattr(
                ssl, f'PROTOCOL_{self._rabbit.ssl_version}')
        if self._rabbit.ssl_key_file:
            options['keyfile'] = self._rabbit.ssl_key_file
        if self._rabbit.ssl_cert_file:
            options['certfile'] = self._rabbit.ssl_cert_file
        if self._rabbit.ssl_ca_file:
            options['ca_certs'] = self._rabbit.ssl_ca_file
            options['cert_reqs'] = ssl.CERT_REQUIRED
        return options or True

    def connect(self, heartbeat=0):
        """A new connection to the next broker host that answers (each
        host once); the last failure is raised when none does."""
        error = None
        for _ in self.hosts:
            host = self.hosts[self._next_host % len(self.hosts)]
            self._next_host += 1
            connection = amqp.Connection(
                host=host.address, userid=host.username,
                password=host.password, virtual_host=self.virtual_host,
                ssl=self._ssl_options(), heartbeat=heartbeat,
                connect_timeout=IO_TIMEOUT, write_timeout=IO_TIMEOUT)
            try:
                connection.connect()
                return connection
            except ERRORS as failure:
                error = failure
                LOG.warning('Broker %s did not take a connection: %s',
                            host.address, failure)
                close(connection)
        raise error

    @property
    def heartbeat(self):
        """A consuming connection's AMQP heartbeat (seconds, 0: none)."""
        return self._rabbit.heartbeat_timeout_threshold

    def retry_waits(self):
        """Seconds between reconnections, as oslo.messaging grows them."""
        wait = self._rabbit.rabbit_retry_interval
        while True:
            yield min(wait, self._rabbit.rabbit_interval_max)
            wait += self._rabbit.rabbit_retry_backoff

    # -- declarations, as oslo.messaging's topic consumers make them ---

    def declare_exchange(self, channel, name):
        channel.exchange_declare(
            name, 'topic', durable=self._rabbit.amqp_durable_queues,
            auto_delete=self._rabbit.amqp_auto_delete)

    def declare_queue(self, channel, name):
        channel.queue_declare(
            name, durable=self._rabbit.amqp_durable_queues,
            auto_delete=self._rabbit.amqp_auto_delete,
            arguments=({'x-queue-type': 'quorum'}
                       if self._rabbit.rabbit_quorum_queue else {}))

    def ensure_exchange(self, connection, channel, name):
        """Take the exchange as it is; declare it only when the broker has
        none. Returns the channel to go on with (the broker closes the
        one its 404 answered on)."""
        return _ensure(
            connection, channel,
            lambda ch: ch.exchange_declare(name, 'topic', passive=True),
            lambda ch: self.declare_exchange(ch, name))

    def ensure_queue(self, connection, channel, name):
        """As ensure_exchange, for a queue."""
        return _ensure(
            connection, channel,
            lambda ch: ch.queue_declare(name, passive=True),
            lambda ch: self.declare_queue(ch, name))


def _ensure(connection, channel, declare_passive, declare):
    try:
        declare_passive(channel)
        return channel
    except amqp.exceptions.NotFound:
        channel = connection.channel()
        declare(channel)
        return channel


def close(connection, graceful=False):
    """Close ``connection``: ``graceful``, tell the broker (waiting
    IO_TIMEOUT at most for its answer); else, or when that fails, just
    drop the socket."""
    if graceful:
        try:
            connection.sock.settimeout(IO_TIMEOUT)
            connection.close()
            return
        except Exception:  # going, whatever the broker says
            LOG.debug('Connection not closed cleanly', exc_info=True)
    try:
        connection.collect()
    except Exception:  # a broken connection has nothing left to free
        LOG.debug('Connection dropped with an error', exc_info=True)


class Declarations:
    """The control plane's declarations on one connection, kept open and
    shared by the process's threads (under a lock): a new guest's
    exchange, its bindings to the control exchange and its queues, and
    their removal. While the broker is away an operation waits for it, as
    oslo.messaging's own declarations do, for ``patience`` seconds at
    most, reconnecting as oslo.messaging does."""

    def __init__(self, broker, patience=60, clock=time.monotonic,
                 sleep=time.sleep):
        self._broker = broker
        self._patience = patience
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._connection = None
        self._channel = None

    def _run(self, operation):
        with self._lock:
            deadline = self._clock() + self._patience
            waits = self._broker.retry_waits()
            while True:
                try:
                    if self._connection is None:
                        self._connection = self._broker.connect()
                        self._channel = self._connection.channel()
                    return operation(self._channel)
                except amqp.exceptions.ChannelError:
                    # The broker refused the operation (and closed the
                    # channel): no wait makes it take it.
                    self._drop()
                    raise
                except ERRORS as error:
                    self._drop()
                    wait = next(waits)
                    if self._clock() + wait > deadline:
                        raise
                    LOG.info('Broker declarations failed (%s); again in '
                             '%.0f s', error, wait)
                    self._sleep(wait)

    def _drop(self):
        if self._connection is not None:
            close(self._connection)
        self._connection = self._channel = None

    def topic_queues(self, exchange, topic, server):
        """The queues of an RPC server of ``topic`` as ``server``
        (``<topic>`` and ``<topic>.<server>``, each bound to ``exchange``
        for its own name), as oslo.messaging's server declares them."""
        def declare(channel):
            self._broker.declare_exchange(channel, exchange)
            for queue in (topic, f'{topic}.{server}'):
                self._broker.declare_queue(channel, queue)
                channel.queue_bind(queue, exchange, queue)
        self._run(declare)

    def link_exchanges(self, exchanges, bindings):
        """Declare ``exchanges`` and bind them: ``bindings`` are
        ``(source, destination, routing key)``."""
        def declare(channel):
            for exchange in exchanges:
                self._broker.declare_exchange(channel, exchange)
            for source, destination, key in bindings:
                channel.exchange_bind(destination, source, key)
        self._run(declare)

    def ready_messages(self, names):
        """How many messages wait in the queues ``names``, not yet
        delivered to a consumer (a missing queue raises NotFound)."""
        def count(channel):
            return sum(channel.queue_declare(name, passive=True)[1]
                       for name in names)
        return self._run(count)

    def delete_exchanges(self, names):
        """Delete the exchanges ``names`` (with their bindings); one
        already gone is no error."""
        def delete(channel):
            for name in names:
                channel.exchange_delete(name)
        self._run(delete)

    def delete_queues(self, names):
        """Delete the queues ``names``; one already gone is no error."""
        def delete(channel):
            for name in names:
                channel.queue_delete(name)
        self._run(delete)

    def close(self):
        with self._lock:
            if self._connection is not None:
                close(self._connection, graceful=True)
            self._connection = self._channel = None
