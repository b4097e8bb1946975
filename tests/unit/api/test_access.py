"""``access`` at the API: validated before anything is written, refused
where the compute driver cannot honour it, stored and shown as Trove
shows it, and changed through PUT as task UPDATING (``nics``:
test_nics)."""

import json

import pytest
import webob

from tests.unit import db_fixtures
from trove_lite.api import app as api_app
from trove_lite.api import validation
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.records.status import InstanceTasks
from trove_lite.records.status import ServiceStatuses
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi


@pytest.fixture
def app(catalogue):
    return api_app.setup_app()


@pytest.fixture
def casts(monkeypatch):
    sent = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, context, spec: sent.append(
                            ('create_instance', spec.instance_id)))
    monkeypatch.setattr(taskmanager_rpcapi.API, 'update_access',
                        lambda self, context, instance_id, access:
                        sent.append(('update_access', instance_id, access)))
    return sent


@pytest.fixture
def driver(monkeypatch):
    def use(name):
        CONF.set_override('compute_driver', name)
    yield use
    CONF.clear_override('compute_driver')


def send(app, method, path, body, project_id='p1'):
    request = webob.Request.blank(f'/v1.0/{project_id}{path}', method=method,
                                  headers={'Accept': 'application/json'})
    request.body = json.dumps(body).encode()
    request.content_type = 'application/json'
    return request.get_response(app)


def create(app, **extra):
    return send(app, 'POST', '/instances', {'instance': dict({
        'name': 'db', 'flavorRef': 1, 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}}, **extra)})


def test_access_is_checked_and_spelled_canonically():
    assert validation.access({'is_public': True, 'allowed_cidrs': [
        '192.0.2.9/24', '2001:DB8::1/32', '198.51.100.7']}, 'access') == {
        'is_public': True, 'allowed_cidrs': [
            '192.0.2.0/24', '2001:db8::/32', '198.51.100.7/32']}
    assert validation.access({}, 'access') == {}


@pytest.mark.parametrize('bad', [
    [], {'is_public': 1}, {'allowed_cidrs': None},
    {'allowed_cidrs': [10]}, {'allowed_cidrs': ['10.0.0.0/8 ']},
    {'allowed_cidrs': ['10.0.0.256/8']}, {'allowed_cidrs': ['::/129']},
    {'allowed_cidrs': ['10.0.0.0/8', '10.0.0.0/8']},
    {'allowed_cidrs': [f'10.0.{n}.0/24' for n in range(65)]},
    {'public': True},
])
def test_bad_access_is_a_validation_error(bad):
    with pytest.raises(exceptions.ValidationError):
        validation.access(bad, 'access')


def test_created_access_is_stored_and_echoed(app, casts):
    response = create(app, access={'is_public': False,
                                   'allowed_cidrs': ['10.1.2.3/8']})
    assert response.status_int == 200, response.text
    instance = response.json['instance']
    assert instance['access'] == {'is_public': False,
                                  'allowed_cidrs': ['10.0.0.0/8']}
    assert db_fixtures.get_instance(instance['id']).access == \
        instance['access']
    listed = send(app, 'GET', '/instances', None).json['instances']
    assert listed[0]['access'] == instance['access']


def test_a_driver_that_cannot_limit_access_refuses_allowed_cidrs(
        app, casts, driver):
    driver('qemu')
    response = create(app, access={'allowed_cidrs': ['10.0.0.0/8']})
    assert response.status_int == 400
    assert 'cannot limit access' in response.json['badRequest']['message']
    assert casts == [] and db_fixtures.list_instances('p1', 10) == []
    # What OSC always sends still works there.
    assert create(app, access={'is_public': False}).status_int == 200


def ready_instance(catalogue, task=InstanceTasks.NONE):
    row = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p1', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})
    db_fixtures.update_instance(row.id, task=task, server_status='ACTIVE',
                                compute_instance_id='srv')
    db_fixtures.set_service_status(row.id, ServiceStatuses.HEALTHY)
    return row.id


def test_put_access_sets_updating_and_casts_the_new_access(
        app, casts, catalogue):
    instance_id = ready_instance(catalogue)
    response = send(app, 'PUT', f'/instances/{instance_id}', {
        'instance': {'access': {'allowed_cidrs': ['192.0.2.0/24']}}})
    assert response.status_int == 202, response.text
    assert casts == [('update_access', instance_id,
                      {'allowed_cidrs': ['192.0.2.0/24']})]
    instance = db_fixtures.get_instance(instance_id)
    # Stored by the taskmanager once applied; the instance stays ACTIVE.
    assert (instance.task, instance.access) == (InstanceTasks.UPDATING, None)
    shown = send(app, 'GET', f'/instances/{instance_id}', None)
    assert shown.json['instance']['status'] == 'ACTIVE'


def test_put_access_on_a_busy_instance_is_422(app, casts, catalogue):
    instance_id = ready_instance(catalogue, InstanceTasks.RESIZING)
    response = send(app, 'PUT', f'/instances/{instance_id}', {
        'instance': {'access': {'is_public': True}}})
    assert response.status_int == 422
    assert casts == []


def test_a_failed_access_change_may_be_sent_again(app, casts, catalogue):
    instance_id = ready_instance(catalogue,
                                 InstanceTasks.UPDATING_ERROR_ACCESS)
    response = send(app, 'PUT', f'/instances/{instance_id}', {
        'instance': {'access': {'is_public': True}}})
    assert response.status_int == 202, response.text
    assert casts == [('update_access', instance_id, {'is_public': True})]
