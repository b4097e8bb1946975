"""The API pipeline: Trove's shapes, fault bodies and status codes, and
nothing written or cast for a bad request."""

import json

import pytest
import webob

from tests.unit import db_fixtures
from trove_lite.api import app as api_app
from trove_lite.db.repositories import catalogue as catalogue_repository
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi


@pytest.fixture
def casts(monkeypatch):
    sent = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, ctx, spec: sent.append(spec))
    monkeypatch.setattr(taskmanager_rpcapi.API, 'delete_instance',
                        lambda self, ctx, instance_id: sent.append(
                            instance_id))
    return sent


@pytest.fixture
def app(catalogue, casts):
    return api_app.setup_app()


def call(app, method, path, body=None, content_type='application/json',
         **headers):
    request = webob.Request.blank(path, method=method, headers=headers)
    if body is not None:
        request.body = body if isinstance(body, bytes) else \
            json.dumps(body).encode()
        request.content_type = content_type
    return request.get_response(app)


def create_body(**extra):
    instance = {'name': 'db', 'flavorRef': '1', 'volume': {'size': 1},
                'datastore': {'type': 'mariadb'}}
    instance.update(extra)
    return {'instance': instance}


def instance_count():
    return len(db_fixtures.list_instances('p1', 100))


def test_version_documents(app):
    versions = call(app, 'GET', '/').json['versions']
    assert versions[0]['id'] == 'v1.0'
    assert versions[0]['status'] == 'CURRENT'
    assert versions[0]['links'][0]['href'].endswith('/v1.0/')
    assert call(app, 'GET', '/v1.0').json['version']['id'] == 'v1.0'


@pytest.mark.parametrize('project', ['p1', 'get_all', '_route', 'index'])
def test_any_project_id_routes_to_its_resources(app, project):
    """``/v1.0/{project_id}/...`` goes to the project's resources whatever
    the id, even one named like a method of the ``/v1.0`` controller."""
    response = call(app, 'GET', f'/v1.0/{project}/instances')
    assert response.status_int == 200, response.body
    assert response.json == {'instances': []}


def test_the_version_document_answers_only_get(app):
    assert call(app, 'GET', '/v1.0/').json['version']['id'] == 'v1.0'
    response = call(app, 'POST', '/v1.0', {'version': {}})
    assert response.status_int == 405
    assert response.json['badMethod']['code'] == 405
    assert call(app, 'GET', '/v1.0/p1').status_int == 404


def test_create_returns_200_with_the_build_view_and_casts_once(app, casts):
    response = call(app, 'POST', '/v1.0/p1/instances', create_body(
        databases=[{'name': 'a'}]))
    assert response.status_int == 200
    view = response.json['instance']
    assert view['status'] == 'BUILD' and view['operating_status'] == ''
    assert view['flavor']['id'] == '1'
    assert view['datastore'] == {'type': 'mariadb', 'version': '10.11',
                                 'version_number': '10.11.19'}
    assert set(view) >= {'id', 'name', 'links', 'created', 'updated',
                         'volume', 'region', 'service_status_updated'}
    assert len(casts) == 1 and casts[0].databases[0].name == 'a'


@pytest.mark.parametrize('body, content_type, code, fault', [
    (b'{bad', 'application/json', 400, 'badRequest'),
    (b'[]', 'application/json', 400, 'badRequest'),
    (create_body(flavorRef='9'), 'application/json', 400, 'badRequest'),
    (create_body(volume={'size': 11}), 'application/json', 413,
     'overLimit'),
    (create_body(datastore={'type': 'nosuch'}), 'application/json', 404,
     'itemNotFound'),
    (create_body(datastore={'type': 'mariadb', 'version': 'nosuch'}),
     'application/json', 400, 'badRequest'),
    (create_body(users=[{'name': 'root', 'password': 'x1'}]),
     'application/json', 400, 'badRequest'),
    (create_body(), 'text/plain', 415, 'badMediaType'),
])
def test_bad_create_writes_nothing_and_casts_nothing(app, casts, body,
                                                     content_type, code,
                                                     fault):
    response = call(app, 'POST', '/v1.0/p1/instances', body,
                    content_type=content_type)
    assert response.status_int == code
    assert response.content_type == 'application/json'
    assert list(response.json) == [fault]
    assert response.json[fault]['code'] == code
    assert response.json[fault]['message']
    assert instance_count() == 0 and casts == []


def test_huge_body_is_refused_with_413(app, casts):
    response = call(app, 'POST', '/v1.0/p1/instances',
                    create_body(name='x' * 200_000))
    assert response.status_int == 413
    assert response.json['overLimit']['code'] == 413
    assert instance_count() == 0 and casts == []


def test_unknown_path_and_wrong_method_get_fault_bodies(app):
    response = call(app, 'GET', '/v1.0/p1/nothing')
    assert response.status_int == 404
    assert response.json['itemNotFound']['code'] == 404
    response = call(app, 'PUT', '/v1.0/p1/instances')
    assert response.status_int == 405
    assert response.json['badMethod']['code'] == 405


def test_non_uuid_instance_id_is_404(app):
    response = call(app, 'GET', '/v1.0/p1/instances/not-a-uuid')
    assert response.status_int == 404
    assert 'not-a-uuid' in response.json['itemNotFound']['message']


def test_project_header_must_match_the_url(app):
    response = call(app, 'GET', '/v1.0/p1/instances',
                    **{'X-Project-Id': 'p2'})
    assert response.status_int == 403
    assert response.json['forbidden']['message'] == (
        'User with tenant id p2 cannot access this resource.')
    assert call(app, 'GET', '/v1.0/p1/instances',
                **{'X-Project-Id': 'p1'}).status_int == 200


def test_other_projects_cannot_see_an_instance(app):
    created = call(app, 'POST', '/v1.0/p1/instances', create_body()).json
    instance_id = created['instance']['id']
    assert call(app, 'GET', f'/v1.0/p2/instances/{instance_id}'
                ).status_int == 404
    assert call(app, 'GET', '/v1.0/p2/instances').json == {'instances': []}
    assert call(app, 'DELETE', f'/v1.0/p2/instances/{instance_id}'
                ).status_int == 404


def test_delete_of_a_building_instance_is_422(app, casts):
    created = call(app, 'POST', '/v1.0/p1/instances', create_body()).json
    response = call(app, 'DELETE',
                    f'/v1.0/p1/instances/{created["instance"]["id"]}')
    assert response.status_int == 422
    assert 'unprocessableEntity' in response.json


def test_list_is_paginated_by_trove_rules(app):
    for index in range(3):
        call(app, 'POST', '/v1.0/p1/instances', create_body(name=f'i{index}'))
    page = call(app, 'GET', '/v1.0/p1/instances?limit=2').json
    assert len(page['instances']) == 2
    next_href = page['links'][0]['href']
    assert page['links'][0]['rel'] == 'next'
    marker = max(item['id'] for item in page['instances'])
    assert f'marker={marker}' in next_href
    rest = call(app, 'GET', f'/v1.0/p1/instances?limit=2&marker={marker}'
                ).json
    assert len(rest['instances']) == 1 and 'links' not in rest


def test_flavor_view_has_int_id_and_str_id(app):
    flavors = call(app, 'GET', '/v1.0/p1/flavors').json['flavors']
    assert flavors[0]['id'] == 1 and flavors[0]['str_id'] == '1'
    assert call(app, 'GET', '/v1.0/p1/flavors/nope').status_int == 404


def test_datastore_views(app, catalogue):
    datastores = call(app, 'GET', '/v1.0/p1/datastores').json['datastores']
    assert datastores[0]['name'] == 'mariadb'
    assert datastores[0]['default_version'] == catalogue.id
    assert datastores[0]['versions'][0]['name'] == '10.11'
    by_uuid = call(app, 'GET',
                   f'/v1.0/p1/datastores/versions/{catalogue.id}').json
    assert by_uuid['version']['datastore'] == catalogue.datastore_id
    by_name = call(app, 'GET', '/v1.0/p1/datastores/mariadb/versions/10.11')
    assert by_name.json['version']['id'] == catalogue.id
    assert call(app, 'GET', '/v1.0/p1/datastores/x').status_int == 404


def test_unexpected_error_is_500_with_request_id_and_no_traceback(
        app, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError('secret internals')
    monkeypatch.setattr(catalogue_repository, 'list_flavors', explode)
    response = call(app, 'GET', '/v1.0/p1/flavors')
    assert response.status_int == 500
    message = response.json['instanceFault']['message']
    assert 'secret internals' not in message
    assert response.headers['x-openstack-request-id'] in message
