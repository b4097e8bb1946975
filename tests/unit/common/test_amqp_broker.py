"""The control plane's declarations on a kept connection."""

import amqp
import pytest

from trove_lite.common import amqp_broker


class FakeChannel:
    def __init__(self, log, broken):
        self.log = log
        self.broken = broken

    def _do(self, *what):
        if self.broken:
            raise ConnectionResetError('broker restarted')
        self.log.append(what)

    def exchange_declare(self, name, kind, durable, auto_delete):
        self._do('exchange', name, kind, durable, auto_delete)

    def queue_declare(self, name, durable, auto_delete, arguments):
        self._do('queue', name, durable, arguments)

    def queue_bind(self, queue, exchange, key):
        self._do('bind', queue, exchange, key)

    def queue_delete(self, name):
        self._do('delete', name)


class FakeConnection:
    def __init__(self, log, broken):
        self.log, self.broken = log, broken
        self.collected = False

    def channel(self):
        return FakeChannel(self.log, self.broken)

    def collect(self):
        self.collected = True


class FakeBroker(amqp_broker.Broker):
    """A Broker whose first ``broken`` connections fail at their first
    operation."""

    def __init__(self, conf, broken=0):
        super().__init__(conf)
        self.log, self.connections, self.broken = [], [], broken

    def connect(self, heartbeat=0):
        connection = FakeConnection(self.log,
                                    len(self.connections) < self.broken)
        self.connections.append(connection)
        return connection


@pytest.fixture
def rabbit(conf):
    conf.config(transport_url='rabbit://u:p@127.0.0.1:5672/tl')
    conf.config(rabbit_quorum_queue=True, group='oslo_messaging_rabbit')
    return conf


def test_a_topics_queues_are_declared_and_bound_as_oslo_messaging_does(
        rabbit):
    broker = FakeBroker(rabbit.conf)
    amqp_broker.Declarations(broker).topic_queues('trove-guest-1',
                                                  'guestagent.1', '1')
    assert broker.log == [
        ('exchange', 'trove-guest-1', 'topic', True, False),
        ('queue', 'guestagent.1', True, {'x-queue-type': 'quorum'}),
        ('bind', 'guestagent.1', 'trove-guest-1', 'guestagent.1'),
        ('queue', 'guestagent.1.1', True, {'x-queue-type': 'quorum'}),
        ('bind', 'guestagent.1.1', 'trove-guest-1', 'guestagent.1.1')]


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_the_connection_is_kept_and_the_broker_waited_for(rabbit):
    clock = Clock()
    broker = FakeBroker(rabbit.conf, broken=3)
    declarations = amqp_broker.Declarations(broker, clock=clock,
                                            sleep=clock.sleep)

    declarations.delete_queues(['a'])
    declarations.delete_queues(['b'])

    assert broker.log == [('delete', 'a'), ('delete', 'b')]
    # Reconnected as oslo.messaging does: 1 s, then 2 s more each time.
    assert clock.slept == [1, 3, 5]
    assert len(broker.connections) == 4
    assert all(connection.collected for connection in broker.connections[:3])


def test_a_broker_that_stays_away_fails_the_operation_in_time(rabbit):
    clock = Clock()
    broker = FakeBroker(rabbit.conf, broken=100)
    with pytest.raises(ConnectionResetError):
        amqp_broker.Declarations(broker, patience=60, clock=clock,
                                 sleep=clock.sleep).delete_queues(['a'])
    assert 40 < clock.now <= 60


def test_a_refusal_is_not_waited_out(rabbit):
    class Refusing(FakeChannel):
        def queue_delete(self, name):
            raise amqp.exceptions.AccessRefused('not yours')

    class RefusingConnection(FakeConnection):
        def channel(self):
            return Refusing(self.log, self.broken)

    broker = FakeBroker(rabbit.conf)
    broker.connect = lambda heartbeat=0: RefusingConnection(broker.log,
                                                            False)
    clock = Clock()
    with pytest.raises(amqp.exceptions.AccessRefused):
        amqp_broker.Declarations(broker, clock=clock,
                                 sleep=clock.sleep).delete_queues(['a'])
    assert clock.slept == []
