"""The guest client uses Trove's kinds (call or cast) and timeouts, and a
guest that does not answer is a clear error, not a hang."""

import oslo_messaging as messaging
import pytest

from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.rpcapi import guestagent as rpcapi

LOW, HIGH = 7, 70


class RecordingClient:
    """Stands in for the RPC client: records what would be sent."""

    def __init__(self, reply=None, error=None):
        self.sent = []
        self.reply = reply
        self.error = error
        self.timeout = None

    def prepare(self, timeout=None, retry=None, **kwargs):
        self.timeout = timeout
        self.retry = retry
        return self

    def call(self, context, method, **kwargs):
        self.sent.append(('call', method, self.timeout, kwargs))
        if self.error is not None:
            raise self.error
        return self.reply

    def cast(self, context, method, **kwargs):
        self.sent.append(('cast', method, None, kwargs))
        if self.error is not None:
            raise self.error


@pytest.fixture
def guest(conf):
    conf.config(agent_call_low_timeout=LOW, agent_call_high_timeout=HIGH)
    api = rpcapi.API('inst-1', None)
    api._client = RecordingClient(reply=([], None))
    return api


DB = objects.DatabaseSpec(name='d')
USER = objects.UserSpec(name='u', password='p1')


@pytest.mark.parametrize('invoke, kind, method, timeout', [
    (lambda g: g.create_database(None, [DB]), 'cast', 'create_database',
     None),
    (lambda g: g.delete_database(None, DB), 'cast', 'delete_database', None),
    (lambda g: g.create_user(None, [USER]), 'cast', 'create_user', None),
    (lambda g: g.delete_user(None, USER), 'cast', 'delete_user', None),
    (lambda g: g.change_passwords(None, [USER]), 'cast', 'change_passwords',
     None),
    (lambda g: g.update_attributes(None, 'u', '%', {'name': 'v'}), 'cast',
     'update_attributes', None),
    (lambda g: g.list_databases(None, 20), 'call', 'list_databases', LOW),
    (lambda g: g.list_users(None, 20), 'call', 'list_users', HIGH),
    (lambda g: g.get_user(None, 'u', '%'), 'call', 'get_user', LOW),
    (lambda g: g.list_access(None, 'u', '%'), 'call', 'list_access', LOW),
    (lambda g: g.grant_access(None, 'u', '%', ['d']), 'call',
     'grant_access', LOW),
    (lambda g: g.revoke_access(None, 'u', '%', 'd'), 'call',
     'revoke_access', LOW),
    (lambda g: g.enable_root(None), 'call', 'enable_root', HIGH),
    (lambda g: g.enable_root_with_password(None, 'pw1'), 'call',
     'enable_root_with_password', HIGH),
    (lambda g: g.disable_root(None), 'call', 'disable_root', LOW),
    (lambda g: g.is_root_enabled(None), 'call', 'is_root_enabled', LOW),
    (lambda g: g.restart(None), 'call', 'restart', HIGH),
    (lambda g: g.resize_fs(None), 'call', 'resize_fs', HIGH),
    (lambda g: g.apply_flavor(None, 512), 'call', 'apply_flavor', HIGH),
])
def test_kind_and_timeout_of_each_guest_method(guest, invoke, kind, method,
                                               timeout):
    invoke(guest)
    [(sent_kind, sent_method, sent_timeout, _kwargs)] = guest._client.sent
    assert (sent_kind, sent_method, sent_timeout) == (kind, method, timeout)


def test_argument_names_are_trove_s(guest):
    guest.list_users(None, 5, 'a@%', include_marker=True)
    guest.revoke_access(None, 'u', '%', 'd')
    guest.update_attributes(None, 'u', '%', {'password': 'x1'})
    assert [sent[3] for sent in guest._client.sent] == [
        {'limit': 5, 'marker': 'a@%', 'include_marker': True},
        {'username': 'u', 'hostname': '%', 'database': 'd'},
        {'username': 'u', 'hostname': '%',
         'user_attrs': {'password': 'x1'}}]


def test_a_guest_that_does_not_answer_is_a_guest_timeout(guest):
    guest._client.error = messaging.MessagingTimeout('no reply')
    with pytest.raises(exceptions.GuestTimeout) as error:
        guest.list_databases(None, 20)
    assert error.value.code == 400
    assert str(error.value) == 'Timeout trying to connect to the Guest Agent.'


def test_a_guest_failure_is_a_guest_error(guest):
    guest._client.error = messaging.RemoteError('ValueError', 'bad name')
    with pytest.raises(exceptions.GuestError) as error:
        guest.get_user(None, 'u', '%')
    assert 'bad name' in str(error.value)


def test_an_unreachable_broker_is_a_503_not_a_hang(guest, conf):
    conf.config(rpc_cast_retry=2)
    guest._client.error = messaging.MessageDeliveryFailure('broker gone')
    with pytest.raises(exceptions.ServiceUnavailable):
        guest.create_database(None, [DB])
    assert guest._client.retry == 2
    with pytest.raises(exceptions.ServiceUnavailable):
        guest.list_users(None, 20)
    assert guest._client.retry == 2
