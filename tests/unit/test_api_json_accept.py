"""python-troveclient (through keystoneauth1's JSON adapter) and the
trove-lite CLI send ``Accept: application/json`` on every request; every
handler must answer it, including those that return an empty 202."""

import inspect

import pytest
import webob

from trove_lite.api import app as api_app
from trove_lite.api.controllers import v1
from trove_lite.instance import api as instance_api


@pytest.fixture
def app(catalogue):
    return api_app.setup_app()


def test_delete_with_accept_json_is_202_not_406(app, monkeypatch):
    deleted = []
    monkeypatch.setattr(instance_api, 'delete',
                        lambda context, instance_id: deleted.append(
                            instance_id))
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
