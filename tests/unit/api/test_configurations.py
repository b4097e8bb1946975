"""Configuration groups through the API pipeline with a fake guest:
Trove's paths, status codes (create 200, PUT 202, PATCH 200 without a
body), fault bodies, and what reaches the guest (nothing for a bad
request)."""

import json

import pytest
import webob

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from trove_lite.api import app as api_app
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.datastore import parameters
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.records.status import ServiceStatuses as Services
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi
from trove_lite.taskmanager import claims
from trove_lite.taskmanager import overrides


@pytest.fixture
def guest(monkeypatch):
    return FakeGuest.install(monkeypatch, guest_rpcapi)


@pytest.fixture
def builds(monkeypatch):
    sent = []
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda self, context, spec: sent.append(spec))
    return sent


@pytest.fixture
def tasks(monkeypatch):
    """The taskmanager: it runs each update_overrides cast at once."""
    casts = []
    instance_claims = claims.Claims()

    def update_overrides(self, context, instance_id, configuration_id,
                         changed):
        casts.append((instance_id, configuration_id, changed))
        overrides.update_overrides(context, instance_claims, instance_id,
                                   configuration_id, changed)
    monkeypatch.setattr(taskmanager_rpcapi.API, 'update_overrides',
                        update_overrides)
    return casts


@pytest.fixture
def app(catalogue, guest, builds):
    catalogue_api.save_datastore('mysql')
    mysql = catalogue_api.save_version('mysql', '10.11', 'mysql',
                                            version='10.11.19')
    catalogue_api.save_datastore('mysql', '10.11')
    for version in (catalogue, mysql):
        catalogue_api.load_parameters(version.id,
                                      parameters.shipped(version.manager))
    return api_app.setup_app()


def call(app, method, path, body=None, **headers):
    request = webob.Request.blank(f'/v1.0/p1{path}', method=method,
                                  headers=headers)
    request.accept = 'application/json'
    if body is not None:
        request.body = json.dumps(body).encode()
        request.content_type = 'application/json'
    return request.get_response(app)


def fault(response, code, name):
    assert response.status_int == code, response.text
    assert list(response.json) == [name]
    assert response.json[name]['code'] == code
    return response.json[name]['message']


def create(app, values, name='tuned', datastore='mariadb'):
    response = call(app, 'POST', '/configurations', {'configuration': {
        'name': name, 'values': values, 'datastore': {'type': datastore}}})
    assert response.status_int == 200, response.text
    return response.json['configuration']


def make_instance(catalogue, task=Tasks.NONE, group_id=None,
                  service=Services.HEALTHY):
    row = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p1', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1,
        'configuration_id': group_id})
    db_fixtures.update_instance(row.id, task=task, server_status='ACTIVE')
    db_fixtures.set_service_status(row.id, service)
    return row.id


def attach(app, instance_id, group_id):
    return call(app, 'PUT', f'/instances/{instance_id}',
                {'instance': {'configuration': group_id}})


def task_of(instance_id):
    return db_fixtures.get_instance(instance_id).task


# --- groups -----------------------------------------------------------------

def test_create_answers_200_with_the_detailed_group(app, catalogue):
    group = create(app, {'max_connections': 200, 'back_log': 70})
    assert group['values'] == {'max_connections': 200, 'back_log': 70}
    assert group['instance_count'] == 0
    assert (group['datastore_name'], group['datastore_version_id'],
            group['datastore_version_name'],
            group['datastore_version_number']) == (
        'mariadb', catalogue.id, '10.11', '10.11.19')
    shown = call(app, 'GET', f'/configurations/{group["id"]}')
    assert shown.json == {'configuration': group}
    listed = call(app, 'GET', '/configurations').json['configurations']
    assert listed == [{key: group[key] for key in (
        'id', 'name', 'description', 'created', 'updated',
        'datastore_version_id', 'datastore_name',
        'datastore_version_name')}]


def test_a_bad_value_is_422_and_stores_nothing(app):
    message = fault(call(app, 'POST', '/configurations', {'configuration': {
        'name': 'x', 'values': {'max_connections': 200, 'nope': 1},
        'datastore': {'type': 'mariadb'}}}), 422, 'unprocessableEntity')
    assert message == ('The configuration parameter nope is not supported '
                       'for this datastore: mariadb 10.11.')
    assert call(app, 'GET', '/configurations').json == {
        'configurations': []}


@pytest.mark.parametrize('body, message', [
    ({}, "'configuration' is a required property"),
    ({'configuration': {'values': {}}}, "configuration['name']"),
    ({'configuration': {'name': 'x'}}, "'values' is a required property"),
    ({'configuration': {'name': 'x', 'values': [1]}},
     "configuration['values'] [1] is not of type 'object'"),
    ({'configuration': {'name': 'x', 'values': {}, 'description': ''}},
     "configuration['description']"),
])
def test_malformed_bodies_are_400(app, body, message):
    assert message in fault(call(app, 'POST', '/configurations', body), 400,
                            'badRequest')


def test_unknown_group_is_404(app):
    for method in ('GET', 'DELETE'):
        assert fault(call(app, method, '/configurations/nope'), 404,
                     'itemNotFound') == \
            'Configuration group with ID nope could not be found.'
    assert call(app, 'GET', '/configurations/nope/instances').status_int == \
        404


def test_other_projects_cannot_see_a_group(app):
    group = create(app, {'wait_timeout': 60})
    other = webob.Request.blank(f'/v1.0/p2/configurations/{group["id"]}')
    other.accept = 'application/json'
    assert other.get_response(app).status_int == 404
    admin = webob.Request.blank(f'/v1.0/p2/configurations/{group["id"]}',
                                headers={'X-Roles': 'admin'})
    admin.accept = 'application/json'
    assert admin.get_response(app).status_int == 200


def test_groups_are_paged_by_id(app):
    ids = sorted(create(app, {}, name=f'g{n}')['id'] for n in range(3))
    first = call(app, 'GET', '/configurations?limit=2').json
    assert [g['id'] for g in first['configurations']] == ids[:2]
    assert f'marker={ids[1]}' in first['links'][0]['href']
    rest = call(app, 'GET', f'/configurations?limit=2&marker={ids[1]}').json
    assert [g['id'] for g in rest['configurations']] == ids[2:]
    assert 'links' not in rest


def test_patch_merges_and_answers_200_without_a_body(app):
    group = create(app, {'max_connections': 200, 'wait_timeout': 60})
    response = call(app, 'PATCH', f'/configurations/{group["id"]}',
                    {'configuration': {'values': {'max_connections': 300}}})
    assert (response.status_int, response.body) == (200, b'')
    assert response.content_type == 'application/json'
    assert db_fixtures.group_values(group['id']) == {
        'max_connections': 300, 'wait_timeout': 60}


def test_put_replaces_values_and_renames_with_202(app):
    group = create(app, {'max_connections': 200, 'wait_timeout': 60})
    response = call(app, 'PUT', f'/configurations/{group["id"]}', {
        'configuration': {'values': {'back_log': 70}, 'name': 'renamed',
                          'description': 'for tests'}})
    assert (response.status_int, response.body) == (202, b'')
    shown = call(app, 'GET', f'/configurations/{group["id"]}').json[
        'configuration']
    assert (shown['values'], shown['name'], shown['description']) == (
        {'back_log': 70}, 'renamed', 'for tests')


def test_a_bad_update_changes_nothing(app, catalogue, guest):
    group = create(app, {'max_connections': 200})
    make_instance(catalogue, group_id=group['id'])
    for method in ('PUT', 'PATCH'):
        fault(call(app, method, f'/configurations/{group["id"]}', {
            'configuration': {'values': {'max_connections': 5},
                              'name': 'other'}}), 422,
              'unprocessableEntity')
    shown = call(app, 'GET', f'/configurations/{group["id"]}').json[
        'configuration']
    assert (shown['values'], shown['name']) == ({'max_connections': 200},
                                                'tuned')
    assert guest.sent == []


def test_a_group_in_use_cannot_be_deleted(app, catalogue):
    group = create(app, {'max_connections': 200})
    instance_id = make_instance(catalogue, group_id=group['id'])
    assert 'cannot be deleted' in fault(
        call(app, 'DELETE', f'/configurations/{group["id"]}'), 400,
        'badRequest')
    assert call(app, 'GET', f'/configurations/{group["id"]}/instances'
                ).json == {'instances': [{'id': instance_id, 'name': 'i'}]}
    db_fixtures.soft_delete_instance(instance_id)
    response = call(app, 'DELETE', f'/configurations/{group["id"]}')
    assert (response.status_int, response.body) == (202, b'')
    assert call(app, 'GET', f'/configurations/{group["id"]}'
                ).status_int == 404


# --- re-applying a changed group ------------------------------------------

def test_a_change_only_casts_one_task_per_attached_instance(
        app, catalogue, guest, monkeypatch):
    casts = []
    monkeypatch.setattr(
        taskmanager_rpcapi.API, 'update_overrides',
        lambda self, context, *args: casts.append(args))
    group = create(app, {'max_connections': 200, 'wait_timeout': 60})
    first = make_instance(catalogue, group_id=group['id'])
    second = make_instance(catalogue, group_id=group['id'])
    make_instance(catalogue, task=Tasks.BUILDING, group_id=group['id'])
    response = call(app, 'PATCH', f'/configurations/{group["id"]}',
                    {'configuration': {'values': {'max_connections': 300}}})
    assert response.status_int == 200
    # The request thread waited on no guest.
    assert guest.sent == []
    assert sorted(casts) == sorted([
        (first, group['id'], ['max_connections']),
        (second, group['id'], ['max_connections'])])


def test_an_instance_the_cast_misses_gets_the_change_at_its_restart(
        app, catalogue, guest, monkeypatch):
    def broker_away(self, context, *args):
        raise exceptions.ServiceUnavailable()
    monkeypatch.setattr(taskmanager_rpcapi.API, 'update_overrides',
                        broker_away)
    group = create(app, {'max_connections': 200})
    instance_id = make_instance(catalogue, group_id=group['id'])
    response = call(app, 'PATCH', f'/configurations/{group["id"]}',
                    {'configuration': {'values': {'max_connections': 300}}})
    assert response.status_int == 200
    assert task_of(instance_id) == Tasks.RESTART_REQUIRED


def test_a_task_for_a_detached_group_does_nothing(app, catalogue, guest,
                                                  tasks):
    group = create(app, {'max_connections': 200})
    instance_id = make_instance(catalogue)
    overrides.update_overrides(None, claims.Claims(), instance_id,
                               group['id'], ['max_connections'])
    assert guest.sent == []
    assert task_of(instance_id) == Tasks.NONE


def test_a_change_reaches_every_attached_instance(app, catalogue, guest,
                                                  tasks):
    group = create(app, {'max_connections': 200, 'wait_timeout': 60})
    first = make_instance(catalogue, group_id=group['id'])
    second = make_instance(catalogue, group_id=group['id'])
    building = make_instance(catalogue, task=Tasks.BUILDING,
                             group_id=group['id'])
    call(app, 'PUT', f'/configurations/{group["id"]}', {'configuration': {
        'values': {'max_connections': 300}}})
    new = {'max_connections': 300}
    # Dropped values go back to the defaults (None) live.
    live = {'max_connections': 300, 'wait_timeout': None}
    assert sorted(guest.sent) == sorted([
        (first, 'update_overrides', {'overrides': new}),
        (first, 'apply_overrides', {'overrides': live}),
        (second, 'update_overrides', {'overrides': new}),
        (second, 'apply_overrides', {'overrides': live})])
    assert building not in {instance for instance, _m, _v in guest.sent}
    assert task_of(first) == task_of(second) == Tasks.NONE


def test_a_static_change_needs_a_restart(app, catalogue, guest, tasks):
    group = create(app, {'max_connections': 200, 'back_log': 70})
    instance_id = make_instance(catalogue, group_id=group['id'])
    call(app, 'PATCH', f'/configurations/{group["id"]}', {'configuration': {
        'values': {'back_log': 80, 'wait_timeout': 60}}})
    assert guest.sent[-1] == (instance_id, 'apply_overrides',
                              {'overrides': {'wait_timeout': 60}})
    assert task_of(instance_id) == Tasks.RESTART_REQUIRED
    status = call(app, 'GET', f'/instances/{instance_id}').json['instance']
    assert (status['status'], status['operating_status']) == (
        'RESTART_REQUIRED', '')


def test_a_value_the_server_refuses_live_needs_a_restart(app, catalogue,
                                                         guest, tasks):
    group = create(app, {'max_connections': 200})
    instance_id = make_instance(catalogue, group_id=group['id'])
    guest.refuse_live = ('max_connections',)
    call(app, 'PATCH', f'/configurations/{group["id"]}', {'configuration': {
        'values': {'max_connections': 300}}})
    assert task_of(instance_id) == Tasks.RESTART_REQUIRED


def test_a_guest_that_cannot_take_the_change_gets_it_at_its_restart(
        app, catalogue, guest, tasks):
    group = create(app, {'max_connections': 200})
    failing = make_instance(catalogue, group_id=group['id'])
    silent = make_instance(catalogue, group_id=group['id'],
                           service=Services.UNKNOWN)
    guest.fail = {'update_overrides': exceptions.GuestTimeout()}
    response = call(app, 'PATCH', f'/configurations/{group["id"]}',
                    {'configuration': {'values': {'max_connections': 300}}})
    assert response.status_int == 200
    assert task_of(failing) == task_of(silent) == Tasks.RESTART_REQUIRED
    assert silent not in {instance for instance, _m, _v in guest.sent}
    assert db_fixtures.group_values(group['id']) == {
        'max_connections': 300}


# --- attach and detach ------------------------------------------------------

def test_attach_writes_then_applies_the_dynamic_values(app, catalogue,
                                                       guest):
    group = create(app, {'max_connections': 200, 'wait_timeout': 60})
    instance_id = make_instance(catalogue)
    response = attach(app, instance_id, group['id'])
    assert (response.status_int, response.body) == (202, b'')
    values = {'max_connections': 200, 'wait_timeout': 60}
    assert guest.sent == [
        (instance_id, 'update_overrides', {'overrides': values}),
        (instance_id, 'apply_overrides', {'overrides': values})]
    assert task_of(instance_id) == Tasks.NONE
    view = call(app, 'GET', f'/instances/{instance_id}').json['instance']
    assert view['configuration']['id'] == group['id']
    assert view['configuration']['name'] == 'tuned'
    assert view['configuration']['links'][0]['href'] == (
        f'http://localhost/v1.0/p1/configurations/{group["id"]}')
    assert 'configuration' not in call(app, 'GET', '/instances').json[
        'instances'][0]
    assert fault(attach(app, instance_id, group['id']), 400, 'badRequest') \
        == (f'Instance {instance_id} already has a Configuration Group '
            f'attached: {group["id"]}.')


def test_attach_with_a_static_value_marks_restart_required(app, catalogue,
                                                           guest):
    group = create(app, {'back_log': 70})
    instance_id = make_instance(catalogue)
    assert attach(app, instance_id, group['id']).status_int == 202
    assert [method for _i, method, _v in guest.sent] == ['update_overrides']
    assert task_of(instance_id) == Tasks.RESTART_REQUIRED


@pytest.mark.parametrize('task, server, message', [
    (Tasks.REBOOTING, 'ACTIVE', 'REBOOTING'),
    (Tasks.NONE, 'SHUTDOWN', 'SHUTDOWN'),
])
def test_attach_needs_an_idle_instance(app, catalogue, guest, task, server,
                                       message):
    group = create(app, {'wait_timeout': 60})
    instance_id = make_instance(catalogue, task=task)
    db_fixtures.update_instance(instance_id, server_status=server)
    assert fault(attach(app, instance_id, group['id']), 400,
                 'badRequest') == (
        f'The operation you have requested cannot be executed because the '
        f'instance status is currently: {message}.')
    assert guest.sent == []


def test_attach_needs_a_running_datastore(app, catalogue, guest):
    group = create(app, {'wait_timeout': 60})
    instance_id = make_instance(catalogue, service=Services.SHUTDOWN)
    fault(attach(app, instance_id, group['id']), 422, 'unprocessableEntity')
    assert guest.sent == []


def test_attach_refuses_other_versions_and_unknown_groups(app, catalogue,
                                                          guest):
    mysql_group = create(app, {'wait_timeout': 60}, datastore='mysql')
    instance_id = make_instance(catalogue)
    assert 'does not match the Datastore Version on the instance' in fault(
        attach(app, instance_id, mysql_group['id']), 400, 'badRequest')
    fault(attach(app, instance_id, 'nope'), 404, 'itemNotFound')
    assert db_fixtures.get_instance(instance_id).configuration_id is None
    assert guest.sent == []


def test_a_guest_that_cannot_write_leaves_the_group_detached(app, catalogue,
                                                             guest):
    group = create(app, {'wait_timeout': 60})
    instance_id = make_instance(catalogue)
    guest.fail = {'update_overrides': exceptions.GuestTimeout()}
    fault(attach(app, instance_id, group['id']), 400, 'badRequest')
    assert db_fixtures.get_instance(instance_id).configuration_id is None


def test_detach_sets_the_values_back_to_defaults(app, catalogue, guest):
    group = create(app, {'wait_timeout': 60, 'back_log': 70})
    instance_id = make_instance(catalogue, group_id=group['id'])
    response = call(app, 'PUT', f'/instances/{instance_id}',
                    {'instance': {'configuration': None}})
    assert response.status_int == 202
    assert guest.sent == [
        (instance_id, 'update_overrides', {'overrides': {}}),
        (instance_id, 'apply_overrides',
         {'overrides': {'wait_timeout': None}})]
    assert task_of(instance_id) == Tasks.RESTART_REQUIRED
    assert db_fixtures.get_instance(instance_id).configuration_id is None
    # Nothing attached: nothing to do (an empty object detaches too).
    assert call(app, 'PATCH', f'/instances/{instance_id}',
                {'instance': {}}).status_int == 202
    assert len(guest.sent) == 2


@pytest.mark.parametrize('body, code, message', [
    ({'instance': {'configuration': 'c', 'access': {}}}, 400,
     "Only one attribute (except 'name') is allowed to update."),
    ({'instance': {'flavorRef': '2'}}, 400, "'flavorRef' was unexpected"),
    ({'instance': {'replica_of': None}}, 400, 'is not a replica'),
    ({'instance': {'slave_of': 'i2'}}, 400, 'only an empty value'),
    ({'instance': []}, 400, "is not of type 'object'"),
])
def test_bad_updates_are_refused(app, catalogue, guest, body, code,
                                 message):
    instance_id = make_instance(catalogue)
    response = call(app, 'PUT', f'/instances/{instance_id}', body)
    assert response.status_int == code
    assert message in response.text
    assert guest.sent == []


def test_rename_alone_touches_no_guest(app, catalogue, guest):
    instance_id = make_instance(catalogue)
    assert call(app, 'PUT', f'/instances/{instance_id}',
                {'instance': {'name': 'renamed'}}).status_int == 202
    assert db_fixtures.get_instance(instance_id).name == 'renamed'
    assert guest.sent == []
    assert call(app, 'PUT', '/instances').status_int == 405


def test_a_refused_attach_renames_nothing(app, catalogue, guest):
    instance_id = make_instance(catalogue)
    fault(call(app, 'PUT', f'/instances/{instance_id}', {'instance': {
        'name': 'renamed', 'configuration': 'nope'}}), 404, 'itemNotFound')
    assert db_fixtures.get_instance(instance_id).name == 'i'
    assert guest.sent == []


# --- create with a group, the instance's configuration ----------------------

def create_instance(app, **extra):
    return call(app, 'POST', '/instances', {'instance': dict({
        'name': 'db', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}}, **extra)})


def test_create_with_a_group_attaches_it(app, builds):
    group = create(app, {'max_connections': 200})
    response = create_instance(app, configuration=group['id'])
    assert response.status_int == 200, response.text
    view = response.json['instance']
    assert view['configuration']['id'] == group['id']
    assert db_fixtures.instance_overrides(view['id']) == {
        'max_connections': 200}
    assert len(builds) == 1


@pytest.mark.parametrize('configuration, code', [
    ('nope', 404),
    ('mysql', 400),
])
def test_create_with_a_bad_group_builds_nothing(app, builds, configuration,
                                                code):
    if configuration == 'mysql':
        configuration = create(app, {'max_connections': 200},
                               datastore='mysql')['id']
    assert create_instance(app, configuration=configuration).status_int == \
        code
    assert builds == [] and db_fixtures.list_instances('p1', 10) == []


def test_an_instance_shows_the_settings_it_runs_with(app, catalogue):
    group = create(app, {'max_connections': 200, 'slow_query_log': True})
    instance_id = make_instance(catalogue, group_id=group['id'])
    settings = call(app, 'GET', f'/instances/{instance_id}/configuration'
                    ).json['instance']['configuration']
    assert settings['max_connections'] == '200'
    assert settings['slow_query_log'] == 'ON'
    assert settings['innodb_buffer_pool_size'] == '32M'  # flavor tiny
    assert settings['skip-name-resolve'] == 'ON'
    assert 'datadir' not in settings


# --- the catalogue ----------------------------------------------------------

def test_parameters_by_datastore_and_by_version(app, catalogue):
    listed = call(app, 'GET', '/datastores/mariadb/versions/10.11/'
                              'parameters')
    assert listed.status_int == 200
    names = [p['name'] for p in listed.json['configuration-parameters']]
    assert names == sorted(names) and len(names) >= 40
    assert call(app, 'GET', f'/datastores/versions/{catalogue.id}/'
                            f'parameters').json == listed.json
    shown = call(app, 'GET', f'/datastores/versions/{catalogue.id}/'
                             f'parameters/long_query_time').json
    assert shown == {'name': 'long_query_time',
                     'datastore_version_id': catalogue.id,
                     'restart_required': False, 'type': 'float',
                     'max': 31536000}
    event = call(app, 'GET', '/datastores/mariadb/versions/10.11/'
                             'parameters/event_scheduler').json
    assert event['values'] == ['ON', 'OFF']
    fault(call(app, 'GET', '/datastores/mariadb/versions/10.11/parameters/'
                           'nope'), 404, 'itemNotFound')
    fault(call(app, 'GET', '/datastores/versions/nope/parameters'), 400,
          'badRequest')


def test_management_of_the_catalogue_is_for_admins(app, catalogue):
    base = f'/mgmt/datastores/versions/{catalogue.id}/parameters'
    body = {'configuration-parameter': {
        'name': 'innodb_stats_transient_sample_pages',
        'restart_required': 0, 'data_type': 'integer', 'min_size': '1',
        'max_size': '1000'}}
    assert fault(call(app, 'POST', base, body), 401, 'unauthorized') == \
        'User does not have admin privileges.'
    admin = {'X-Roles': 'admin'}
    created = call(app, 'POST', base, body, **admin)
    assert created.json == {
        'name': 'innodb_stats_transient_sample_pages',
        'datastore_version_id': catalogue.id, 'restart_required': False,
        'type': 'integer', 'max_size': 1000, 'min_size': 1}
    assert 'already exists' in fault(call(app, 'POST', base, body, **admin),
                                     400, 'badRequest')
    body['configuration-parameter'].pop('max_size')
    assert fault(call(app, 'PUT', f'{base}/innodb_stats_transient_sample_'
                                  f'pages', body, **admin), 400,
                 'badRequest') == \
        'max_size is required for integer data type.'
    listed = call(app, 'GET', base, **admin).json['configuration-parameters']
    assert len(listed) == len(parameters.shipped('mariadb')) + 1
    # Allowed values survive an update through the management API.
    call(app, 'PUT', f'{base}/event_scheduler', {'configuration-parameter': {
        'name': 'event_scheduler', 'restart_required': 1,
        'data_type': 'string'}}, **admin)
    assert catalogue_api.get_parameter(catalogue.id, 'event_scheduler') == \
        parameters.Parameter(name='event_scheduler', data_type='string',
                             restart_required=True,
                             allowed_values=('ON', 'OFF'))
    response = call(app, 'DELETE', f'{base}/innodb_stats_transient_sample_'
                                   f'pages', **admin)
    assert response.status_int == 204
    assert fault(call(app, 'DELETE', f'{base}/innodb_stats_transient_sample'
                                     f'_pages', **admin), 400,
                 'badRequest') == ('Parameter innodb_stats_transient_sample_'
                                   'pages does not exist in the database.')


@pytest.mark.parametrize('name, bounds, problem', [
    ('x_pages', {'min_size': 1.5, 'max_size': 10}, 'must be whole numbers'),
    (123, {'min_size': 1, 'max_size': 10}, 'must be a lower-case word'),
])
def test_a_bad_catalogue_entry_is_400_and_writes_nothing(
        app, catalogue, name, bounds, problem):
    base = f'/mgmt/datastores/versions/{catalogue.id}/parameters'
    body = {'configuration-parameter': dict({
        'name': name, 'restart_required': 0, 'data_type': 'integer'},
        **bounds)}
    before = catalogue_api.parameters_by_name(catalogue.id)
    assert problem in fault(call(app, 'POST', base, body,
                                 **{'X-Roles': 'admin'}), 400, 'badRequest')
    assert catalogue_api.parameters_by_name(catalogue.id) == before


def test_whole_float_bounds_of_an_integer_are_integers(app, catalogue):
    base = f'/mgmt/datastores/versions/{catalogue.id}/parameters'
    created = call(app, 'POST', base, {'configuration-parameter': {
        'name': 'max_seeks_for_key', 'restart_required': 0,
        'data_type': 'integer', 'min_size': 2.0, 'max_size': 10}},
        **{'X-Roles': 'admin'})
    assert (created.json['min_size'], created.json['max_size']) == (2, 10)
    assert call(app, 'GET', f'{base}/max_seeks_for_key',
                **{'X-Roles': 'admin'}
                ).json['min_size'] == 2


def test_values_named_like_passwords_are_masked(app, catalogue):
    catalogue_api.load_parameters(catalogue.id, [parameters.Parameter(
        name='repl_password', data_type='string', restart_required=True)])
    group = create(app, {'repl_password': 'hunter2-x', 'wait_timeout': 60})
    assert group['values'] == {'repl_password': '***', 'wait_timeout': 60}
    assert 'hunter2' not in call(app, 'GET',
                                 f'/configurations/{group["id"]}').text
    instance_id = make_instance(catalogue, group_id=group['id'])
    assert 'hunter2' not in call(app, 'GET', f'/instances/{instance_id}/'
                                             f'configuration').text
