"""One broker user per instance through RabbitMQ's management API."""

import re

import pytest

from trove_lite.common import broker_users
from trove_lite.common import rpc

API = 'http://127.0.0.1:15672/api'
ID = '6f1c1f0e-0000-4000-8000-000000000001'
OTHER = '6f1c1f0e-0000-4000-8000-000000000002'


@pytest.fixture
def per_instance(conf):
    conf.config(guest_broker_credentials='per_instance',
                transport_url='rabbit://admin:admin-pw@10.0.0.1:5672/tl')


EXCHANGE = f'trove-guest-{ID}'


class FakeDeclarations:
    """Records what would go to the broker over AMQP."""

    def __init__(self):
        self.linked = []
        self.deleted = []

    def link_exchanges(self, exchanges, bindings):
        self.linked.append((tuple(exchanges), tuple(bindings)))

    def delete_exchanges(self, names):
        self.deleted.extend(names)


@pytest.fixture
def declarations(monkeypatch):
    fake = FakeDeclarations()
    monkeypatch.setattr(rpc, 'declarations', lambda: fake)
    return fake


def test_user_is_made_with_rights_on_its_own_queue_and_the_conductor(
        per_instance, requests_mock, declarations):
    for path in (f'users/trove-guest-{ID}',
                 f'permissions/tl/trove-guest-{ID}',
                 f'topic-permissions/tl/trove-guest-{ID}'):
        requests_mock.put(f'{API}/{path}', status_code=201)

    url = broker_users.guest_transport_url(
        ID, 'rabbit://shared:shared-pw@192.0.2.1:5672/tl')

    user, perms, topic = (request.json()
                          for request in requests_mock.request_history[:3])
    assert url == (f'rabbit://trove-guest-{ID}:{user["password"]}'
                   f'@192.0.2.1:5672/tl')
    assert user['tags'] == '' and len(user['password']) >= 32
    assert all(request.headers['Authorization'].startswith('Basic ')
               for request in requests_mock.request_history)
    own = (f'guestagent.{ID}', f'guestagent.{ID}.{ID}',
           f'guestagent.{ID}_fanout', f'guestagent.{ID}_fanout_0a1b',
           EXCHANGE)
    for name in own:
        for right in ('configure', 'write', 'read'):
            assert re.match(perms[right], name)
    for name in (f'guestagent.{OTHER}', f'guestagent.{OTHER}.{OTHER}',
                 'taskmanager', 'trove-conductor', 'reply_0a1b',
                 f'guestagent.{ID}x', f'guestagent.{ID}.{OTHER}',
                 # The shared control exchange: configure would let the
                 # guest delete it, read bind a queue to it.
                 'trove', f'trove-guest-{OTHER}'):
        for right in ('configure', 'write', 'read'):
            assert not re.match(perms[right], name)
    assert re.match(perms['write'], 'amq.default')
    assert topic['exchange'] == EXCHANGE
    assert re.match(topic['write'], 'trove-conductor')
    for key in ('taskmanager', f'guestagent.{ID}', 'trove-conductorx',
                'notifications.info'):
        assert not re.match(topic['write'], key)
    assert re.match(topic['read'], f'guestagent.{ID}')
    assert not re.match(topic['read'], f'guestagent.{OTHER}')
    # The guest's exchange, bound to the control exchange one key each way.
    assert len(requests_mock.request_history) == 3
    assert declarations.linked == [(('trove', EXCHANGE), (
        ('trove', EXCHANGE, f'guestagent.{ID}'),
        ('trove', EXCHANGE, f'guestagent.{ID}.{ID}'),
        (EXCHANGE, 'trove', 'trove-conductor')))]


def test_a_refusal_fails_the_step(per_instance, requests_mock):
    requests_mock.put(f'{API}/users/trove-guest-{ID}', status_code=401)

    with pytest.raises(broker_users.BrokerUserError) as error:
        broker_users.guest_transport_url(ID, 'rabbit://a:b@h:5672/tl')
    assert 'admin-pw' not in str(error.value)


def test_remove_tolerates_a_user_already_gone(per_instance, requests_mock,
                                              declarations):
    requests_mock.delete(f'{API}/users/trove-guest-{ID}', status_code=404)
    requests_mock.delete(f'{API}/connections/username/trove-guest-{ID}',
                         status_code=405)

    broker_users.remove(ID)

    assert len(requests_mock.request_history) == 2
    assert declarations.deleted == [EXCHANGE]


def test_shared_mode_hands_out_the_shared_url_and_says_so(conf, caplog,
                                                          requests_mock):
    conf.config(guest_broker_credentials='shared')

    assert broker_users.guest_transport_url(ID, 'rabbit://a:b@h/') == \
        'rabbit://a:b@h/'
    broker_users.remove(ID)

    assert requests_mock.request_history == []
    assert 'shared broker credentials' in caplog.text
