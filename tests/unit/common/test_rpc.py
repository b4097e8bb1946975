"""The conductor's RPC server acknowledges a message after its endpoint
returned (oslo.messaging's own server acknowledges before)."""

import time

import oslo_messaging as messaging
import pytest
from oslo_messaging._drivers import impl_fake

from trove_lite.common import context
from trove_lite.common import rpc


def served(ack_after_dispatch, monkeypatch, casts):
    events = []
    monkeypatch.setattr(impl_fake.FakeIncomingMessage, 'acknowledge',
                        lambda message: events.append('ack'), raising=False)

    class Endpoint:
        target = messaging.Target(version='1.0')

        def report(self, ctxt, number):
            events.append(('report', number))
            if number == 2:
                raise ValueError('a failing endpoint is acknowledged too')

    topic = f'ack-test-{ack_after_dispatch}'
    server = rpc.get_server(messaging.Target(topic=topic, server='s1'),
                            [Endpoint()],
                            ack_after_dispatch=ack_after_dispatch)
    server.start()
    try:
        client = rpc.get_client(messaging.Target(topic=topic))
        for number in casts:
            client.cast(context.RequestContext(), 'report', number=number)
            deadline = time.monotonic() + 5
            while (('report', number) not in events or
                   events.count('ack') < len(events) / 2) and \
                    time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        server.stop()
        server.wait()
    return events


@pytest.mark.parametrize('ack_after_dispatch, expected', [
    (True, [('report', 1), 'ack', ('report', 2), 'ack']),
    (False, ['ack', ('report', 1), 'ack', ('report', 2)]),
])
def test_when_a_message_is_acknowledged(monkeypatch, ack_after_dispatch,
                                        expected):
    assert served(ack_after_dispatch, monkeypatch, [1, 2]) == expected
