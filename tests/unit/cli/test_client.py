"""The CLI's HTTP client: no request on a connection the API may be
closing."""

import pytest
from keystoneauth1 import adapter
from keystoneauth1 import session as ksa_session

from tests.unit import cli_fixtures as fx
from trove_lite.cli import client as api_client


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def make_client(clock):
    session = ksa_session.Session()
    return api_client.Client(adapter.Adapter(
        session, endpoint_override=fx.BASE), clock=clock), session.session


def test_a_connection_idle_past_the_reuse_time_is_not_reused(
        requests_mock, monkeypatch):
    requests_mock.get(f'{fx.BASE}/flavors', json={'flavors': []})
    clock = Clock()
    client, http = make_client(clock)
    closed = []
    monkeypatch.setattr(http, 'close', lambda: closed.append(clock.now))

    client.get('/flavors')
    clock.now += api_client.Client.IDLE_REUSE - 0.5
    client.get('/flavors')
    assert closed == []  # answered recently: the connection is reused
    clock.now += api_client.Client.IDLE_REUSE + 0.5
    client.get('/flavors')
    assert closed == [clock.now]
    assert requests_mock.call_count == 3


def test_a_failed_request_counts_as_the_last_answer(requests_mock,
                                                     monkeypatch):
    requests_mock.get(f'{fx.BASE}/flavors', status_code=500, json={})
    clock = Clock()
    client, http = make_client(clock)
    closed = []
    monkeypatch.setattr(http, 'close', lambda: closed.append(clock.now))
    for _ in range(2):
        with pytest.raises(api_client.APIError):
            client.get('/flavors')
        clock.now += api_client.Client.IDLE_REUSE - 0.5
    assert closed == []
