"""What python-troveclient and OSC send, as the API must take it."""

import inspect
import json
import types

import pytest
import webob

from tests.unit import db_fixtures
from trove_lite.api import app as api_app
from trove_lite.api.controllers import v1
from trove_lite.instance import api as instance_api
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi


@pytest.fixture
def app(catalogue):
    return api_app.setup_app()


# troveclient (keystoneauth1's JSON adapter), OSC and the trove-lite CLI
# send Accept: application/json on every request, empty 202s included.

def test_delete_with_accept_json_is_202_not_406(app, monkeypatch):
    deleted = []
    record = types.SimpleNamespace(id='some-id', tenant_id='p1')
    monkeypatch.setattr(instance_api, 'get',
                        lambda context, instance_id: record)
    monkeypatch.setattr(instance_api, 'delete',
                        lambda context, record: deleted.append(record.id))
    request = webob.Request.blank(
        '/v1.0/p1/instances/some-id', method='DELETE',
        headers={'Accept': 'application/json'})
    response = request.get_response(app)
    assert response.status_int == 202
    assert response.body == b''
    assert deleted == ['some-id']


def exposed_handlers():
    for controller in vars(v1.ProjectController).values():
        for name, method in inspect.getmembers(type(controller),
                                               inspect.isfunction):
            config = getattr(method, '_pecan', None)
            if config and not name.startswith('_'):
                yield f'{type(controller).__name__}.{name}', config


@pytest.mark.parametrize('name, config', list(exposed_handlers()))
def test_every_v1_handler_can_answer_json(name, config):
    assert 'application/json' in config['content_types'], name


def create(app, **extra):
    body = {'instance': dict({
        'name': 'db', 'flavorRef': 1, 'volume': {'size': 1, 'type': None},
        'datastore': {'type': 'mariadb'}}, **extra)}
    request = webob.Request.blank('/v1.0/p1/instances', method='POST',
                                  headers={'Accept': 'application/json'})
    request.body = json.dumps(body).encode()
    request.content_type = 'application/json'
    return request.get_response(app)


def test_create_takes_what_osc_always_sends(app, monkeypatch):
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, context, spec: None)
    response = create(app, access={'is_public': False}, nics=[],
                      modules=[])
    assert response.status_int == 200, response.text


def test_create_restoring_an_unknown_backup_is_404_and_builds_nothing(
        app, monkeypatch):
    casts = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, context, spec: casts.append(spec))
    response = create(app, restorePoint={
        'backupRef': '9a0b2b6c-1111-4c4c-8888-000000000000'})
    assert response.status_int == 404
    assert 'itemNotFound' in response.json
    assert casts == [] and db_fixtures.list_instances('p1', 10) == []


@pytest.mark.parametrize('extra, code', [
    ({'replica_of': '9a0b2b6c-1111-4c4c-8888-000000000000'}, 404),
    ({'replica_count': 2}, 400),
    ({'replica_of': '9a0b2b6c-1111-4c4c-8888-000000000000',
      'replica_count': 0}, 400),
])
def test_bad_replica_requests_leave_nothing(app, monkeypatch, extra, code):
    casts = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, context, spec: casts.append(spec))
    response = create(app, **extra)
    assert response.status_int == code
    assert casts == [] and db_fixtures.list_instances('p1', 10) == []


@pytest.mark.parametrize('key, value, feature', [
    ('modules', [{'id': 'm1'}], 'modules'),
    ('locality', 'affinity', 'server groups (locality)'),
])
def test_create_refuses_trove_features_it_lacks_instead_of_ignoring(
        app, monkeypatch, key, value, feature):
    casts = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, context, spec: casts.append(spec))
    response = create(app, **{key: value})
    assert response.status_int == 501
    assert response.json == {'notImplemented': {
        'code': 501,
        'message': f"trove-lite does not support {feature} "
                   f"(instance['{key}'])."}}
    assert casts == [] and db_fixtures.list_instances('p1', 10) == []
