"""``trove-lite instance create --replica-of``, ``instance promote`` and
``instance detach-replica`` against a fake API."""

import json

import pytest

from tests.unit import cli_fixtures as fx
from trove_lite.cli import waiting

SOURCE_ID = '0b7e9c2a-5d4f-4e1a-8c3b-2a1f0e9d8c7b'


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    fx.no_sleeping(monkeypatch, waiting)


@pytest.fixture
def api(requests_mock):
    replica = fx.instance(replica_of={'id': SOURCE_ID, 'links': []},
                          replication_lag=3)
    requests_mock.get(f'{fx.BASE}/flavors/small', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/flavors', json={'flavors': fx.FLAVORS})
    requests_mock.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}',
                      json={'instance': replica})
    requests_mock.get(f'{fx.BASE}/instances/{SOURCE_ID}', json={
        'instance': dict(fx.instance(), id=SOURCE_ID, name='src',
                         replicas=[{'id': fx.INSTANCE_ID, 'links': []}])})
    return requests_mock


def test_create_asks_for_replicas_of_the_source(api):
    api.post(f'{fx.BASE}/instances',
             json={'instance': fx.instance('BUILD', '')})
    result = fx.run('instance', 'create', 'copy', '--flavor', 'small',
                    '--size', '1', '--replica-of', SOURCE_ID,
                    '--replica-count', '2', '-f', 'json')
    assert result.code == 0, result.stderr
    sent = [r.json() for r in api.request_history if r.method == 'POST']
    assert sent == [{'instance': {
        'name': 'copy', 'flavorRef': '2', 'volume': {'size': 1},
        'replica_of': SOURCE_ID, 'replica_count': 2}}]


def test_show_prints_the_replication_set(api):
    result = fx.run('instance', 'show', fx.INSTANCE_ID, '-f', 'json')
    shown = json.loads(result.stdout)
    assert (shown['replica_of'], shown['replication_lag']) == (SOURCE_ID, 3)
    result = fx.run('instance', 'show', SOURCE_ID, '-f', 'json')
    assert json.loads(result.stdout)['replicas'] == fx.INSTANCE_ID


def test_promote_posts_trove_action(api):
    api.post(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/action',
             status_code=202)
    result = fx.run('instance', 'promote', fx.INSTANCE_ID)
    assert result.code == 0, result.stderr
    assert [r.json() for r in api.request_history if r.method == 'POST'] \
        == [{'promote_to_replica_source': {}}]


def test_detach_replica_patches_replica_of_empty(api):
    api.patch(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', status_code=202)
    result = fx.run('instance', 'detach-replica', fx.INSTANCE_ID)
    assert result.code == 0, result.stderr
    assert [r.json() for r in api.request_history
            if r.method == 'PATCH'] == [{'instance': {'replica_of': ''}}]


def test_eject_posts_trove_action(api):
    api.post(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/action',
             status_code=202)
    result = fx.run('instance', 'eject', fx.INSTANCE_ID)
    assert result.code == 0, result.stderr
    assert [r.json() for r in api.request_history if r.method == 'POST'] \
        == [{'eject_replica_source': {}}]
