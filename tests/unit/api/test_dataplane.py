"""Databases, users, root and actions through the API pipeline with a
fake guest and taskmanager: Trove's paths, codes and fault bodies, and
nothing sent to a guest for a bad request."""

import datetime
import json

import pytest
import webob

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from trove_lite.api import app as api_app
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.conductor import manager as conductor_manager
from trove_lite.db import engine
from trove_lite.db import models
from trove_lite.db.repositories import backup_policies
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.records.status import ServiceStatuses as Services
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi


@pytest.fixture
def guest(monkeypatch):
    FakeGuest.install(monkeypatch, guest_rpcapi)
    FakeGuest.databases = {'app': objects.DatabaseSpec(name='app')}
    FakeGuest.users = {('bob', '%'): objects.UserSpec(
        name='bob', host='%', databases=['app'])}
    return FakeGuest


@pytest.fixture
def casts(monkeypatch):
    sent = []
    for method in ('restart', 'resize_flavor', 'resize_volume'):
        monkeypatch.setattr(
            taskmanager_rpcapi.API, method,
            lambda self, ctx, *args, method=method: sent.append(
                (method, args)))
    return sent


@pytest.fixture
def app(catalogue, guest, casts):
    catalogue_api.save_flavor('2', 'small', 512, 1, disk=2)
    catalogue_api.save_flavor('9', 'ephemeral', 512, 1, disk=2, ephemeral=1)
    return api_app.setup_app()


def make_instance(catalogue, task=Tasks.NONE, server='ACTIVE',
                  service=Services.HEALTHY, volume_size=1):
    row = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p1', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': volume_size})
    db_fixtures.update_instance(row.id, task=task, server_status=server)
    db_fixtures.set_service_status(row.id, service)
    return row.id


@pytest.fixture
def instance(app, catalogue):
    return make_instance(catalogue)


def call(app, method, path, body=None, **headers):
    request = webob.Request.blank(path, method=method, headers=headers)
    request.accept = 'application/json'  # as python-troveclient sends
    if body is not None:
        request.body = json.dumps(body).encode()
        request.content_type = 'application/json'
    return request.get_response(app)


def url(instance_id, rest=''):
    return f'/v1.0/p1/instances/{instance_id}{rest}'


def fault(response, code, name):
    assert response.status_int == code, response.text
    assert list(response.json) == [name]
    assert response.json[name]['code'] == code
    return response.json[name]['message']


def sent_methods():
    return FakeGuest.methods()


# --- databases ----------------------------------------------------------

def test_databases_listed_created_and_deleted(app, instance):
    assert call(app, 'GET', url(instance, '/databases')).json == {
        'databases': [{'name': 'app'}]}
    response = call(app, 'POST', url(instance, '/databases'), {
        'databases': [{'name': 'shop', 'character_set': 'utf8mb4'}]})
    assert response.status_int == 202 and response.body == b''
    assert response.content_type == 'application/json'
    _instance, method, created = FakeGuest.sent[-1]
    assert method == 'create_database'
    assert created['databases'][0].character_set == 'utf8mb4'
    response = call(app, 'DELETE', url(instance, '/databases/shop'))
    assert response.status_int == 202
    assert sent_methods()[-1] == 'delete_database'


def test_database_pages_carry_a_next_link(app, instance):
    FakeGuest.databases['zoo'] = objects.DatabaseSpec(name='zoo')
    page = call(app, 'GET', url(instance, '/databases?limit=1')).json
    assert page['databases'] == [{'name': 'app'}]
    assert page['links'][0]['rel'] == 'next'
    assert 'marker=app' in page['links'][0]['href']
    rest = call(app, 'GET', url(instance, '/databases?marker=app')).json
    assert rest == {'databases': [{'name': 'zoo'}]}


def test_existing_database_is_400_and_not_sent(app, instance):
    message = fault(call(app, 'POST', url(instance, '/databases'), {
        'databases': [{'name': 'app'}]}), 400, 'badRequest')
    assert message == 'A database with the name "app" already exists.'
    assert 'create_database' not in sent_methods()


def test_missing_database_is_404(app, instance):
    message = fault(call(app, 'DELETE', url(instance, '/databases/nope')),
                    404, 'itemNotFound')
    assert message == 'Database nope cannot be found on the instance.'


def test_showing_one_database_is_501_as_in_trove(app, instance):
    fault(call(app, 'GET', url(instance, '/databases/app')), 501,
          'notImplemented')


def test_names_that_are_controller_attributes_are_just_names(app, instance):
    for name in ('_custom_actions', 'get_all', 'delete', 'post'):
        message = fault(call(app, 'DELETE', url(instance,
                                                f'/databases/{name}')),
                        404, 'itemNotFound')
        assert message == f'Database {name} cannot be found on the instance.'
        message = fault(call(app, 'GET', url(instance, f'/users/{name}')),
                        404, 'itemNotFound')
        assert message == f'User {name}@% cannot be found on the instance.'


# --- users ------------------------------------------------------------------

def test_user_views_never_carry_a_password(app, instance):
    FakeGuest.users[('bob', '%')].password = 'leak1'
    listed = call(app, 'GET', url(instance, '/users')).json
    assert listed == {'users': [{'name': 'bob', 'host': '%',
                                 'databases': [{'name': 'app'}]}]}
    shown = call(app, 'GET', url(instance, '/users/bob')).json
    assert shown == {'user': listed['users'][0]}


def test_cidr_host_keeps_working_although_its_slash_splits_the_path(
        app, instance):
    FakeGuest.users[('amy', '10.0.0.0/8')] = objects.UserSpec(
        name='amy', host='10.0.0.0/8', databases=['app'])
    # python-troveclient's quoting: "." as %2e, "/" left as it is.
    user = 'amy@10%2e0%2e0%2e0/8'
    assert call(app, 'GET', url(instance, f'/users/{user}')).json[
        'user']['host'] == '10.0.0.0/8'
    assert call(app, 'GET', url(instance, f'/users/{user}/databases')
                ).json == {'databases': [{'name': 'app'}]}
    assert call(app, 'DELETE', url(instance, f'/users/{user}/databases/app')
                ).status_int == 202
    assert FakeGuest.sent[-1][1:] == ('revoke_access', {
        'username': 'amy', 'hostname': '10.0.0.0/8', 'database': 'app'})
    assert call(app, 'DELETE', url(instance, f'/users/{user}')
                ).status_int == 202


def test_user_create_refuses_an_existing_user(app, instance):
    message = fault(call(app, 'POST', url(instance, '/users'), {
        'users': [{'name': 'bob', 'password': 'pw1'}]}), 400, 'badRequest')
    assert message == 'A user with the name "bob" already exists.'
    assert 'create_user' not in sent_methods()


def test_missing_user_is_404_for_every_user_operation(app, instance):
    for method, rest, body in (
            ('GET', '/users/ghost', None),
            ('GET', '/users/ghost@10.0.%25/databases', None),
            ('PUT', '/users/ghost', {'user': {'password': 'pw2'}}),
            ('PUT', '/users/ghost/databases', {'databases': [
                {'name': 'app'}]}),
            ('DELETE', '/users/ghost/databases/app', None),
            ('DELETE', '/users/ghost', None),
            ('PUT', '/users', {'users': [{'name': 'ghost',
                                          'password': 'pw2'}]})):
        message = fault(call(app, method, url(instance, rest), body), 404,
                        'itemNotFound')
        assert message.startswith('User ghost@')
    assert set(sent_methods()) == {'get_user'}


def test_revoking_a_database_the_user_lacks_is_404(app, instance):
    message = fault(call(app, 'DELETE', url(
        instance, '/users/bob/databases/other')), 404, 'itemNotFound')
    assert message == 'Database other cannot be found on the instance.'
    assert 'revoke_access' not in sent_methods()


def test_rename_onto_an_existing_user_is_400(app, instance):
    FakeGuest.users[('amy', '%')] = objects.UserSpec(name='amy')
    fault(call(app, 'PUT', url(instance, '/users/bob'), {
        'user': {'name': 'amy'}}), 400, 'badRequest')
    assert call(app, 'PUT', url(instance, '/users/bob'), {
        'user': {'name': 'rob', 'password': 'pw3'}}).status_int == 202
    assert FakeGuest.sent[-1][1:] == ('update_attributes', {
        'username': 'bob', 'hostname': '%',
        'user_attrs': {'name': 'rob', 'password': 'pw3'}})


def test_password_change_and_grant(app, instance):
    assert call(app, 'PUT', url(instance, '/users'), {'users': [
        {'name': 'bob', 'password': 'pw9'}]}).status_int == 202
    assert FakeGuest.sent[-1][1] == 'change_passwords'
    assert call(app, 'PUT', url(instance, '/users/bob%40%25/databases'), {
        'databases': [{'name': 'x1'}, {'name': 'x2'}]}).status_int == 202
    assert FakeGuest.sent[-1][1:] == ('grant_access', {
        'username': 'bob', 'hostname': '%', 'databases': ['x1', 'x2']})


@pytest.mark.parametrize('method, rest, body', [
    ('POST', '/databases', {'databases': [{'name': 'mysql'}]}),
    ('POST', '/databases', {'databases': [{'name': 'a;drop'}]}),
    ('POST', '/databases', {'databases': [{'name': 'x' * 65}]}),
    ('POST', '/databases', {'databases': [{'name': 'a',
                                           'collate': 'nope'}]}),
    ('POST', '/databases', {'databases': {'name': 'a'}}),
    ('POST', '/databases', {'database': [{'name': 'a'}]}),
    ('DELETE', '/databases/information_schema', None),
    ('DELETE', '/databases/a%60b', None),
    ('POST', '/users', {'users': [{'name': 'os_admin', 'password': 'x1'}]}),
    ('POST', '/users', {'users': [{'name': 'root', 'password': 'x1'}]}),
    ('POST', '/users', {'users': [{'name': 'amy', 'password': "x'1"}]}),
    ('POST', '/users', {'users': [{'name': 'x' * 17, 'password': 'x1'}]}),
    ('POST', '/users', {'users': [{'name': 'amy', 'password': 'x1',
                                   'host': 'evil.example.com'}]}),
    ('POST', '/users', {'users': [{'name': 'amy', 'password': 'x1',
                                   'host': '10.0.0.1/8'}]}),
    ('POST', '/users', {'users': [{'name': 'amy'}]}),
    ('DELETE', '/users/os_admin', None),
    ('DELETE', '/users/os_admin@localhost', None),
    ('GET', '/users/root', None),
    ('PUT', '/users/bob', {'user': {'name': 'os_admin'}}),
    ('PUT', '/users/bob', {'user': {}}),
    ('PUT', '/users/bob', {'user': {'host': 'db.example.com'}}),
    ('PUT', '/users', {'users': [{'name': 'root', 'password': 'x1'}]}),
    ('PUT', '/users/bob/databases', {'databases': [{'name': 'mysql'}]}),
    ('PUT', '/users/bob/databases', {'databases': ['app']}),
    ('DELETE', '/users/bob/databases/sys', None),
    ('POST', '/root', {'password': "quo'te"}),
    ('POST', '/root', {'password': ''}),
])
def test_bad_input_is_400_and_reaches_no_guest(app, instance, method, rest,
                                               body):
    fault(call(app, method, url(instance, rest), body), 400, 'badRequest')
    assert FakeGuest.sent == []


# --- the datastore must be running ------------------------------------------

def test_data_operations_need_a_running_datastore(app, catalogue):
    stopped = make_instance(catalogue, service=Services.SHUTDOWN)
    message = fault(call(app, 'GET', url(stopped, '/databases')), 422,
                    'unprocessableEntity')
    assert message == (f'Instance {stopped} is not ready, status: '
                       f'shutdown.')
    building = make_instance(catalogue, task=Tasks.BUILDING,
                             server='BUILD', service=Services.NEW)
    for rest in ('/users', '/root', '/databases'):
        fault(call(app, 'GET', url(building, rest)), 422,
              'unprocessableEntity')
    assert FakeGuest.sent == []


def test_a_silent_guest_is_not_ready(app, catalogue, conf):
    silent = make_instance(catalogue)
    old = models.utcnow() - datetime.timedelta(seconds=300)
    with engine.get_engine().begin() as connection:
        connection.execute(models.InstanceServiceStatus.__table__.update()
                           .values(updated_at=old))
    message = fault(call(app, 'GET', url(silent, '/users')), 422,
                    'unprocessableEntity')
    assert message.endswith('status: guestagent error.')


def test_a_guest_timeout_is_a_clear_400(app, instance):
    FakeGuest.fail_every = exceptions.GuestTimeout()
    message = fault(call(app, 'GET', url(instance, '/databases')), 400,
                    'badRequest')
    assert message == 'Timeout trying to connect to the Guest Agent.'


def test_unknown_instance_is_404(app):
    missing = '00000000-0000-0000-0000-000000000000'
    for rest in ('/databases', '/users', '/root', '/users/bob'):
        fault(call(app, 'GET', url(missing, rest)), 404, 'itemNotFound')


# --- root -------------------------------------------------------------------

def test_root_enable_show_disable_with_history(app, instance):
    assert call(app, 'GET', url(instance, '/root')).json == {
        'rootEnabled': False}
    message = fault(call(app, 'DELETE', url(instance, '/root')), 404,
                    'itemNotFound')
    assert message == 'Root user has never been enabled on the instance.'
    response = call(app, 'POST', url(instance, '/root'))
    assert response.status_int == 200
    assert response.json == {'user': {'name': 'root',
                                      'password': 'generated1'}}
    assert call(app, 'GET', url(instance, '/root')).json == {
        'rootEnabled': True}
    response = call(app, 'DELETE', url(instance, '/root'))
    assert response.status_int == 204 and response.body == b''
    assert call(app, 'GET', url(instance, '/root')).json == {
        'rootEnabled': False}
    response = call(app, 'POST', url(instance, '/root'),
                    {'password': 'mine-1'})
    assert response.json['user']['password'] == 'mine-1'
    assert sent_methods().count('disable_root') == 1


# --- actions ----------------------------------------------------------------

def record(instance_id):
    return db_fixtures.get_instance(instance_id)


def test_restart_sets_reboot_and_casts_once(app, instance, casts):
    response = call(app, 'POST', url(instance, '/action'), {'restart': {}})
    assert response.status_int == 202 and response.body == b''
    assert casts == [('restart', (instance,))]
    assert record(instance).task == Tasks.REBOOTING
    assert record(instance).service_status == Services.RESTARTING
    message = fault(call(app, 'POST', url(instance, '/action'),
                         {'restart': {}}), 422, 'unprocessableEntity')
    assert message == (f'Instance {instance} is not currently available '
                       f'for an action to be performed (task status was '
                       f'REBOOTING).')
    assert len(casts) == 1


def test_action_on_a_building_instance_is_422(app, catalogue, casts):
    building = make_instance(catalogue, task=Tasks.BUILDING, server='BUILD',
                             service=Services.NEW)
    for body in ({'restart': {}}, {'resize': {'flavorRef': '2'}},
                 {'resize': {'volume': {'size': 2}}}):
        message = fault(call(app, 'POST', url(building, '/action'), body),
                        422, 'unprocessableEntity')
        assert message.endswith('(instance status was BUILD).')
    assert casts == []


def test_resize_flavor_casts_both_flavors(app, instance, casts):
    assert call(app, 'POST', url(instance, '/action'), {
        'resize': {'flavorRef': 'http://h/v1.0/p1/flavors/2'}}
    ).status_int == 202
    [(method, (instance_id, old, new))] = casts
    assert (method, instance_id) == ('resize_flavor', instance)
    assert (old['id'], old['ram'], new['id'], new['ram']) == (
        '1', 256, '2', 512)
    assert record(instance).task == Tasks.RESIZING


def test_resize_volume_casts_the_new_size(app, instance, casts):
    assert call(app, 'POST', url(instance, '/action'), {
        'resize': {'volume': {'size': '3'}}}).status_int == 202
    assert casts == [('resize_volume', (instance, 3))]
    assert record(instance).task == Tasks.RESIZING


@pytest.mark.parametrize('body, code, name, message', [
    ({'resize': {'flavorRef': '1'}}, 400, 'badRequest',
     "The new flavor id must be different than the current flavor id of "
     "'1'."),
    ({'resize': {'flavorRef': '77'}}, 400, 'badRequest',
     'Resource 77 cannot be found.'),
    ({'resize': {'flavorRef': '9'}}, 501, 'notImplemented',
     'Local storage support is not enabled.'),
    ({'resize': {'volume': {'size': 1}}}, 400, 'badRequest',
     "The new volume 'size' must be larger than the current volume size "
     "of '1'."),
    ({'resize': {'volume': {'size': 11}}}, 413, 'overLimit', None),
    ({'resize': {'volume': {'size': 0}}}, 400, 'badRequest', None),
    ({'resize': {'volume': {}}}, 400, 'badRequest',
     'Volume size was not specified.'),
    ({'resize': {}}, 400, 'badRequest', None),
    ({'resize': 'big'}, 400, 'badRequest', None),
    ({'restart': []}, 400, 'badRequest', None),
    ({}, 400, 'badRequest', 'Invalid request body.'),
    ({'reboot': {}}, 400, 'badRequest', None),
    ({'restart': {}, 'resize': {'flavorRef': '2'}}, 400, 'badRequest',
     None),
])
def test_bad_actions_change_nothing(app, instance, casts, body, code, name,
                                    message):
    got = fault(call(app, 'POST', url(instance, '/action'), body), code,
                name)
    if message:
        assert got == message
    assert casts == [] and record(instance).task == Tasks.NONE


def test_reset_status_is_for_admins(app, catalogue):
    stuck = make_instance(catalogue, task=Tasks.RESIZING)
    message = fault(call(app, 'POST', url(stuck, '/action'),
                         {'reset_status': {}}), 403, 'forbidden')
    assert message == ("Policy doesn't allow instance:reset_status to be "
                       "performed.")
    assert record(stuck).task == Tasks.RESIZING
    response = call(app, 'POST', url(stuck, '/action'),
                    {'reset_status': {}}, **{'X-Roles': 'member,admin'})
    assert response.status_int == 202
    assert record(stuck).task == Tasks.NONE
    assert record(stuck).service_status == Services.UNKNOWN
    view = call(app, 'GET', url(stuck)).json['instance']
    assert (view['status'], view['operating_status']) == ('ACTIVE', 'ERROR')
    missing = '00000000-0000-0000-0000-000000000000'
    fault(call(app, 'POST', url(missing, '/action'), {'reset_status': {}}),
          404, 'itemNotFound')


# --- the detail view shows the usage the guest reported ---------------------

def test_show_reports_the_volume_usage_of_the_last_heartbeat(app, instance):
    FakeGuest.sent = []
    assert call(app, 'GET', url(instance)).json['instance']['volume'] == {
        'size': 1}
    conductor_manager.apply_heartbeat(
        instance, Services.HEALTHY, 100.0,
        {'used': 0.25, 'used_percent': 25.0})
    volume = call(app, 'GET', url(instance)).json['instance']['volume']
    assert volume == {'size': 1, 'used': 0.25, 'used_percent': 25.0}
    listed = call(app, 'GET', '/v1.0/p1/instances').json['instances']
    assert listed[0]['volume'] == {'size': 1}
    # The API never asked the guest.
    assert FakeGuest.sent == []
    # A report without usage does not leave an older one as its own.
    conductor_manager.apply_heartbeat(instance, Services.HEALTHY, 101.0)
    assert call(app, 'GET', url(instance)).json['instance']['volume'] == {
        'size': 1}


def test_show_carries_the_current_backup_policy_only(app, instance):
    assert 'backup_policy' not in call(app, 'GET', url(instance)).json[
        'instance']
    with engine.transaction() as tx:
        backup_policies.put(tx, instance, 'p1', 7, 60, 120)
    shown = call(app, 'GET', url(instance)).json['instance']
    assert (shown['backup_policy'], shown['restorable']) == (
        {'retention_days': 7, 'window': '01:00-02:00'}, None)
    with engine.transaction() as tx:
        backup_policies.end(tx, instance)
    assert 'backup_policy' not in call(app, 'GET', url(instance)).json[
        'instance']


# --- policy and quotas -----------------------------------------------------

@pytest.mark.parametrize('method, rest, body, rule', [
    ('GET', '/databases', None, 'instance:extension:database:index'),
    ('POST', '/databases', {'databases': [{'name': 'x1'}]},
     'instance:extension:database:create'),
    ('DELETE', '/databases/app', None, 'instance:extension:database:delete'),
    ('GET', '/users', None, 'instance:extension:user:index'),
    ('GET', '/users/bob', None, 'instance:extension:user:show'),
    ('PUT', '/users', {'users': [{'name': 'bob', 'password': 'pw2'}]},
     'instance:extension:user:update_all'),
    ('PUT', '/users/bob', {'user': {'password': 'pw2'}},
     'instance:extension:user:update'),
    ('DELETE', '/users/bob', None, 'instance:extension:user:delete'),
    ('GET', '/users/bob/databases', None,
     'instance:extension:user_access:index'),
    ('PUT', '/users/bob/databases', {'databases': [{'name': 'app'}]},
     'instance:extension:user_access:update'),
    ('DELETE', '/users/bob/databases/app', None,
     'instance:extension:user_access:delete'),
    ('GET', '/root', None, 'instance:extension:root:index'),
    ('POST', '/root', None, 'instance:extension:root:create'),
    ('DELETE', '/root', None, 'instance:extension:root:delete'),
    ('POST', '/action', {'restart': {}}, 'instance:restart'),
    ('POST', '/action', {'resize': {'flavorRef': '2'}},
     'instance:resize_flavor'),
    ('POST', '/action', {'resize': {'volume': {'size': 2}}},
     'instance:resize_volume'),
])
def test_each_call_is_decided_by_its_trove_policy_rule(
        app, instance, casts, conf, tmp_path, method, rest, body, rule):
    path = tmp_path / 'policy.yaml'
    path.write_text(json.dumps({rule: 'role:admin'}))
    conf.config(policy_file=str(path), group='oslo_policy')
    message = fault(call(app, method, url(instance, rest), body), 403,
                    'forbidden')
    assert message == f"Policy doesn't allow {rule} to be performed."
    assert FakeGuest.sent == [] and casts == []
    assert record(instance).task == Tasks.NONE


def test_admins_reach_other_projects_instances(app, instance):
    listed = call(app, 'GET', '/v1.0/p2/instances/' + instance + '/users',
                  **{'X-Roles': 'admin'})
    assert listed.status_int == 200
    fault(call(app, 'GET', '/v1.0/p2/instances/' + instance + '/users'),
          404, 'itemNotFound')


def usage(resource):
    return db_fixtures.quota_usages('p1').get(resource, 0)


def test_resizes_are_charged_to_the_quota(app, instance, casts, conf):
    assert call(app, 'POST', url(instance, '/action'), {
        'resize': {'flavorRef': '2'}}).status_int == 202
    assert usage('ram') == 512 - 256
    db_fixtures.update_instance(instance, task=Tasks.NONE)
    assert call(app, 'POST', url(instance, '/action'), {
        'resize': {'volume': {'size': 4}}}).status_int == 202
    assert usage('volumes') == 3


def test_resize_past_the_quota_is_413_and_changes_nothing(app, instance,
                                                         casts, conf):
    conf.config(max_ram_per_tenant=200)  # the resize adds 256 MB
    message = fault(call(app, 'POST', url(instance, '/action'), {
        'resize': {'flavorRef': '2'}}), 413, 'overLimit')
    assert 'ram' in message
    assert casts == [] and record(instance).task == Tasks.NONE
    assert usage('ram') == 0


def test_a_resize_that_cannot_be_sent_gives_its_quota_back(
        app, instance, monkeypatch):
    def broker_gone(*args):
        raise RuntimeError('broker gone')
    monkeypatch.setattr(taskmanager_rpcapi.API, 'resize_volume', broker_gone)
    fault(call(app, 'POST', url(instance, '/action'), {
        'resize': {'volume': {'size': 5}}}), 503, 'serviceUnavailable')
    assert usage('volumes') == 0
    assert record(instance).task == Tasks.NONE
