"""A guest's broker credentials command nothing but its own guest: each
instance has a broker user of its own (guest_broker_credentials =
per_instance), which may consume only its own queue and publish only to
the conductor topic. Every attack here uses the credentials an attacker
finds in the guest's own config."""

import json
import time
import uuid

import amqp.exceptions
import kombu
import pytest
import requests

pytestmark = pytest.mark.functional

CONDUCTOR_TOPIC = 'trove-conductor'


def broker(url):
    """A connection with the credentials of ``url`` whose publishes wait
    for the broker's verdict."""
    return kombu.Connection(url.replace('rabbit://', 'amqp://', 1),
                            connect_timeout=5,
                            transport_options={'confirm_publish': True})


def oslo_cast(method, **args):
    """An RPC cast as oslo.messaging's rabbit driver puts it on the wire."""
    return json.dumps({'oslo.version': '2.0', 'oslo.message': json.dumps({
        'method': method, 'args': args, 'version': '1.0',
        '_unique_id': uuid.uuid4().hex})})


def publish(url, exchange, routing_key, body):
    """True when the broker took the message, False when it refused it."""
    with broker(url) as connection:
        producer = connection.Producer(exchange=kombu.Exchange(
            exchange, type='topic' if exchange else 'direct',
            passive=True))
        try:
            producer.publish(body, routing_key=routing_key,
                             content_type='application/json')
        except amqp.exceptions.AccessRefused:
            return False
    return True


def can_consume(url, queue):
    with broker(url) as connection:
        channel = connection.channel()
        try:
            channel.queue_declare(queue, passive=True)
            channel.basic_consume(queue, callback=lambda message: None)
        except amqp.exceptions.AccessRefused:
            return False
    return True


def user_exists(stack, instance_id):
    answer = requests.get(
        f'http://127.0.0.1:15672/api/users/trove-guest-{instance_id}',
        auth=('guest', 'guest'), timeout=10)
    return answer.status_code == 200


def test_guest_credentials_reach_only_the_guests_own_queue_and_the_conductor(
        stack, api):
    victim = api.wait_active(api.create_instance(name='victim')['id'])
    attacker = api.wait_active(api.create_instance(name='attacker')['id'])
    url = stack.guest_config(attacker['id'])['transport_url']
    exchange = stack.config()['DEFAULT'].get('control_exchange', 'trove')
    own_exchange = stack.guest_config(attacker['id'])['control_exchange']

    assert f'trove-guest-{attacker["id"]}' in url
    assert own_exchange == f'{exchange}-guest-{attacker["id"]}'
    assert 'guest:guest' not in url and user_exists(stack, attacker['id'])
    # What its guest needs is allowed: reports to the conductor (through
    # its own exchange), its own queue.
    assert publish(url, own_exchange, CONDUCTOR_TOPIC, oslo_cast('ping'))
    assert can_consume(url, f'guestagent.{attacker["id"]}')
    # The taskmanager's topic, another guest's topic, another guest's
    # queue: refused by the broker.
    delete_victim = oslo_cast('delete_instance', instance_id=victim['id'])
    assert not publish(url, exchange, 'taskmanager', delete_victim)
    assert not publish(url, exchange, f'guestagent.{victim["id"]}',
                       oslo_cast('delete_database',
                                 database={'name': 'x'}))
    assert not publish(url, exchange, 'notifications.info', '{}')
    assert not publish(url, exchange, CONDUCTOR_TOPIC, oslo_cast('ping'))
    assert not publish(url, own_exchange, 'taskmanager', delete_victim)
    assert not can_consume(url, f'guestagent.{victim["id"]}')
    assert not can_consume(url, 'taskmanager')
    # The default exchange (how a guest answers calls) reaches any queue
    # by name: the taskmanager takes the cast but obeys only what is
    # sealed with the control-plane key, which no guest has.
    assert publish(url, '', 'taskmanager', delete_victim)
    time.sleep(3)

    assert api.instance(victim['id'])['status'] == 'ACTIVE'
    assert stack.server_of(victim['id'])
    assert ('Message claiming to come from instance None refused: names '
            'no instance' in stack.log('taskmanager'))
    # Its own guest still works with these credentials.
    assert api.get(f'/instances/{attacker["id"]}/databases').status_code \
        == 200
    # The same way it reaches the victim's guest with anything: bodies
    # that are no RPC message, and a call that is not sealed. The victim
    # drops them and goes on answering its control plane.
    for body in ('{"oslo.version": 2, "oslo.message": "{}"}',
                 '{"oslo.version": "2.0", "oslo.message": 5}',
                 '[' * 50000 + ']' * 50000, '\u00ff not json',
                 oslo_cast('delete_database', database={'name': 'x'})):
        assert publish(url, '', f'guestagent.{victim["id"]}', body)
    time.sleep(1)
    assert api.get(f'/instances/{victim["id"]}/databases').status_code \
        == 200
    assert stack.server_of(victim['id'])['pid'] is not None
    # Gone before the next test: a delete still under way changes the
    # bindings that test compares.
    for instance in (victim, attacker):
        api.delete(f'/instances/{instance["id"]}')
    for instance in (victim, attacker):
        api.wait_gone(instance['id'])


def test_broker_user_is_gone_after_delete(stack, api):
    instance = api.wait_active(api.create_instance(name='short')['id'])
    url = stack.guest_config(instance['id'])['transport_url']

    api.delete(f'/instances/{instance["id"]}')
    api.wait_gone(instance['id'])

    assert not user_exists(stack, instance['id'])
    with pytest.raises(amqp.exceptions.AccessRefused):
        with broker(url) as connection:
            connection.connect()


def test_create_request_carries_no_password_in_the_clear(stack, api):
    vhost = stack.vhost
    stack.stop_service('taskmanager')
    try:
        created = api.create_instance(
            name='sealed-pw', users=[{'name': 'bob',
                                      'password': 'Never-In-Clear-42'}])
        # What is waiting in the taskmanager's queue, as the broker's
        # admin sees it (requeued after the look).
        waiting = requests.post(
            f'http://127.0.0.1:15672/api/queues/{vhost}/taskmanager/get',
            json={'count': 10, 'ackmode': 'reject_requeue_true',
                  'encoding': 'auto'},
            auth=('guest', 'guest'), timeout=10).json()
    finally:
        stack.start_service('taskmanager')
    bodies = ' '.join(message['payload'] for message in waiting)

    # Sealed with the control-plane key: not even the instance id shows.
    assert 'create_instance' in bodies and created['id'] not in bodies
    assert 'Never-In-Clear-42' not in bodies
    api.wait_active(created['id'], timeout=120)
    assert 'bob' in str(api.get(f'/instances/{created["id"]}/users').json())
    api.delete(f'/instances/{created["id"]}')
    api.wait_gone(created['id'])


def management_api(path):
    answer = requests.get(f'http://127.0.0.1:15672/api/{path}',
                          auth=('guest', 'guest'), timeout=10)
    return answer.json() if answer.status_code == 200 else None


def refused(url, attack):
    """True when the broker refuses ``attack(channel)`` (each attack on a
    channel of its own: a refusal closes the channel)."""
    with broker(url) as connection:
        try:
            attack(connection.channel())
        except amqp.exceptions.AccessRefused:
            return True
    return False


def test_guest_credentials_cannot_manage_the_control_exchange(stack, api):
    victim = api.wait_active(api.create_instance(name='victim')['id'])
    attacker = api.wait_active(api.create_instance(name='attacker')['id'])
    url = stack.guest_config(attacker['id'])['transport_url']
    exchange = stack.config()['DEFAULT'].get('control_exchange', 'trove')
    own_exchange = stack.guest_config(attacker['id'])['control_exchange']
    # A queue name the guest may declare (its fanout queue pattern).
    own_queue = f'guestagent.{attacker["id"]}_fanout_0bad'
    vhost = stack.vhost
    def bindings():
        """The control exchange's bindings, but those to the exchanges of
        other tests' instances (one of them may still be deleted)."""
        guests = {f'{exchange}-guest-{victim["id"]}', own_exchange}
        return [binding for binding in management_api(
                    f'exchanges/{vhost}/{exchange}/bindings/source')
                if not binding['destination'].startswith(
                    f'{exchange}-guest-')
                or binding['destination'] in guests]

    bindings_before = bindings()

    attacks = {
        'delete the control exchange':
            lambda channel: channel.exchange_delete(exchange),
        'redeclare the control exchange':
            lambda channel: channel.exchange_declare(
                exchange, 'topic', durable=True, auto_delete=False),
        'bind its queue to the taskmanager topic': lambda channel: (
            channel.queue_declare(own_queue, exclusive=True),
            channel.queue_bind(own_queue, exchange, 'taskmanager')),
        'bind its exchange to the taskmanager topic':
            lambda channel: channel.exchange_bind(own_exchange, exchange,
                                                  'taskmanager'),
        'unbind the conductor route':
            lambda channel: channel.exchange_unbind(exchange, own_exchange,
                                                    CONDUCTOR_TOPIC),
        # A dead-letter exchange publishes past the topic permissions.
        'dead-letter into the control exchange':
            lambda channel: channel.queue_declare(
                own_queue + '1', exclusive=True, arguments={
                    'x-dead-letter-exchange': exchange,
                    'x-dead-letter-routing-key': 'taskmanager'}),
        'consume the conductor queue':
            lambda channel: channel.basic_consume(CONDUCTOR_TOPIC,
                                                  callback=print),
        'consume the taskmanager queue':
            lambda channel: channel.basic_consume('taskmanager',
                                                  callback=print),
        'consume another guest\'s queue':
            lambda channel: channel.basic_consume(
                f'guestagent.{victim["id"]}', callback=print),
        'purge another guest\'s queue':
            lambda channel: channel.queue_purge(
                f'guestagent.{victim["id"]}'),
        'delete another guest\'s queue':
            lambda channel: channel.queue_delete(
                f'guestagent.{victim["id"]}'),
        'delete another guest\'s exchange':
            lambda channel: channel.exchange_delete(
                f'{exchange}-guest-{victim["id"]}'),
    }
    not_refused = [name for name, attack in attacks.items()
                   if not refused(url, attack)]
    assert not_refused == []
    assert not publish(url, exchange, 'taskmanager', oslo_cast(
        'delete_instance', instance_id=victim['id']))

    # Nothing changed: the control exchange and its bindings are as they
    # were, every instance still answers, and the stack still builds and
    # deletes.
    assert management_api(f'exchanges/{vhost}/{exchange}')['type'] == \
        'topic'
    assert bindings() == bindings_before
    assert management_api(f'queues/{vhost}/{own_queue}') is None
    for instance in (victim, attacker):
        assert api.get(f'/instances/{instance["id"]}/databases'
                       ).status_code == 200
    fresh = api.wait_active(api.create_instance(name='after')['id'])
    for instance in (victim, attacker, fresh):
        api.delete(f'/instances/{instance["id"]}')
    for instance in (victim, attacker, fresh):
        api.wait_gone(instance['id'])
    # Its exchange goes with the instance.
    assert management_api(f'exchanges/{vhost}/{own_exchange}') is None
    assert management_api(f'exchanges/{vhost}/{exchange}') is not None
