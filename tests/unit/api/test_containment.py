"""Requests that once got past the API's checks or gave a 500: a missing
or overlong project in the URL, bodies JSON cannot hold as text or nests
too deep, limits too large to store. Each is a 4xx with Trove's fault
body, and nothing is written."""

import json

import pytest

from tests.unit import db_fixtures
from tests.unit.api.test_app import app  # noqa: F401 (fixture)
from tests.unit.api.test_app import call
from tests.unit.api.test_app import casts  # noqa: F401 (fixture)
from tests.unit.api.test_app import create_body
from trove_lite.api import faults
from trove_lite.quota import api as quota

ADMIN = {'X-Roles': 'admin'}


@pytest.mark.parametrize('path', [
    '/v1.0//instances', '/v1.0//configurations', '/v1.0//limits',
    '/v1.0//', '/v1.0//mgmt/quotas/p1'])
@pytest.mark.parametrize('headers', [{}, ADMIN, {'X-Project-Id': 'p1'}])
def test_an_empty_project_segment_is_404(app, catalogue, path,  # noqa: F811
                                         headers):
    db_fixtures.create_group('p1', 'g', catalogue.id, {})
    response = call(app, 'GET', path, **headers)
    assert response.status_int == 404
    assert response.json['itemNotFound']['code'] == 404


def test_an_empty_project_segment_creates_nothing(app, casts):  # noqa: F811
    response = call(app, 'POST', '/v1.0//instances', create_body())
    assert response.status_int == 404
    assert casts == []
    assert db_fixtures.list_instances('p1', 100) == []


def test_a_project_id_over_36_characters_is_400(app, casts):  # noqa: F811
    project = 'p' * 37
    response = call(app, 'POST', f'/v1.0/{project}/instances',
                    create_body())
    assert response.status_int == 400
    assert '36' in response.json['badRequest']['message']
    assert casts == []
    assert call(app, 'GET', f'/v1.0/{"p" * 36}/instances'
                ).status_int == 200


def test_the_version_documents_still_need_no_project(app):  # noqa: F811
    assert call(app, 'GET', '/v1.0/').status_int == 200
    assert call(app, 'GET', '/v1.0').status_int == 200


@pytest.mark.parametrize('body', [
    b'[' * 50_000 + b']' * 50_000,
    b'{"":' * 20_000 + b'1' + b'}' * 20_000,
], ids=['arrays', 'objects'])
def test_a_deeply_nested_body_is_400(app, casts, body):  # noqa: F811
    response = call(app, 'POST', '/v1.0/p1/instances', body)
    assert response.status_int == 400
    assert 'nested' in response.json['badRequest']['message']
    assert casts == []


def test_nesting_up_to_the_limit_is_read(app, casts):  # noqa: F811
    depth = faults.JsonBodyGuard.MAX_DEPTH
    extra = [[]]
    for _ in range(depth - 4):
        extra = [extra]
    body = create_body(extra=extra)
    assert call(app, 'POST', '/v1.0/p1/instances', body).status_int != 500
    extra = [extra]
    body = create_body(extra=[extra])
    response = call(app, 'POST', '/v1.0/p1/instances', body)
    assert response.status_int == 400
    assert 'deeper than' in response.json['badRequest']['message']


@pytest.mark.parametrize('name', ['db\\ud800', '\\udfff', 'a\\udc80b'])
def test_a_lone_surrogate_in_a_name_is_400(app, casts, name):  # noqa: F811
    body = json.dumps(create_body()).replace('"db"', f'"{name}"').encode()
    response = call(app, 'POST', '/v1.0/p1/instances', body)
    assert response.status_int == 400
    assert 'surrogate' in response.json['badRequest']['message']
    assert casts == []
    assert db_fixtures.list_instances('p1', 100) == []


def test_a_surrogate_pair_is_text_and_allowed(app, casts):  # noqa: F811
    emoji = json.dumps(create_body()).replace('"db"', '"d\\ud83d\\ude00"')
    assert call(app, 'POST', '/v1.0/p1/instances',
                emoji.encode()).status_int == 200


@pytest.mark.parametrize('limit', [10 ** 30, quota.MAX_LIMIT + 1])
def test_a_quota_limit_too_large_to_store_is_400(app, limit):  # noqa: F811
    response = call(app, 'PUT', '/v1.0/p1/mgmt/quotas/p2',
                    {'quotas': {'instances': limit}}, **ADMIN)
    assert response.status_int == 400
    assert 'too large' in response.json['badRequest']['message']
    assert quota.get_limits('p2') == quota.default_limits()


def test_the_largest_storable_quota_limit_is_kept(app):  # noqa: F811
    response = call(app, 'PUT', '/v1.0/p1/mgmt/quotas/p2',
                    {'quotas': {'instances': quota.MAX_LIMIT}}, **ADMIN)
    assert response.status_int == 200
    assert quota.get_limits('p2')['instances'] == quota.MAX_LIMIT
