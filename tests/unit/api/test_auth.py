"""Who the API lets in: the context built from keystonemiddleware's
headers (its documented AuthTokenFixture stands in for Keystone here; the
functional tests use a real one), the URL project check, and admins
reaching other projects' instances as in Trove."""

import uuid

import pytest
from keystonemiddleware import fixture as auth_fixture

from tests.unit import db_fixtures
from tests.unit.api.test_app import call
from tests.unit.api.test_app import create_body
from trove_lite.api import app as api_app
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi


@pytest.fixture
def quiet_rpc(monkeypatch):
    monkeypatch.setattr(taskmanager_rpcapi.API, 'create_instance',
                        lambda *args: None)
    monkeypatch.setattr(taskmanager_rpcapi.API, 'delete_instance',
                        lambda *args: None)


@pytest.fixture
def tokens(conf):
    fixture = auth_fixture.AuthTokenFixture()
    fixture.setUp()
    yield fixture
    fixture.cleanUp()


@pytest.fixture
def keystone_app(catalogue, quiet_rpc, tokens, conf):
    conf.config(auth_strategy='keystone')
    conf.config(www_authenticate_uri='http://keystone.invalid',
                group='keystone_authtoken')
    return api_app.setup_app()


@pytest.fixture
def noauth_app(catalogue, quiet_rpc):
    return api_app.setup_app()


def token(tokens, project, *roles):
    token_id = uuid.uuid4().hex
    tokens.add_token_data(token_id=token_id, project_id=project,
                          user_id=f'u-{project}',
                          role_list=list(roles) or ['member'])
    return {'X-Auth-Token': token_id}


def test_a_token_is_required_except_for_version_documents(keystone_app):
    response = call(keystone_app, 'GET', '/v1.0/p1/instances')
    assert response.status_int == 401
    assert 'WWW-Authenticate' in response.headers
    assert call(keystone_app, 'GET', '/v1.0/p1/instances',
                **{'X-Auth-Token': 'bogus'}).status_int == 401
    assert call(keystone_app, 'GET', '/').status_int == 200
    assert call(keystone_app, 'GET', '/v1.0').status_int == 200


def test_the_url_project_must_be_the_token_s(keystone_app, tokens):
    mine = token(tokens, 'p1')
    assert call(keystone_app, 'GET', '/v1.0/p1/instances',
                **mine).status_int == 200
    response = call(keystone_app, 'GET', '/v1.0/p2/instances', **mine)
    assert response.status_int == 403
    assert response.json['forbidden']['message'] == (
        'User with tenant id p1 cannot access this resource.')
    admin = token(tokens, 'adm', 'admin')
    assert call(keystone_app, 'GET', '/v1.0/p2/instances',
                **admin).status_int == 403


def test_a_token_without_project_reaches_no_project(keystone_app, tokens):
    unscoped = token(tokens, None)
    response = call(keystone_app, 'GET', '/v1.0/p1/instances', **unscoped)
    assert response.status_int == 403
    assert response.json['forbidden']['message'] == (
        'User with tenant id None cannot access this resource.')


def test_roles_come_from_the_token_not_the_client(keystone_app, tokens):
    spoofed = dict(token(tokens, 'p1'), **{'X-Roles': 'admin',
                                          'X-Project-Id': 'p2'})
    assert call(keystone_app, 'GET', '/v1.0/p1/mgmt/quotas/p2',
                **spoofed).status_int == 403
    admin = token(tokens, 'adm', 'admin')
    assert call(keystone_app, 'GET', '/v1.0/adm/mgmt/quotas/p2',
                **admin).status_int == 200


def test_admins_reach_other_projects_instances_by_id(noauth_app):
    created = call(noauth_app, 'POST', '/v1.0/p1/instances',
                   create_body()).json['instance']
    db_fixtures.update_instance(created['id'], task=InstanceTasks.NONE)
    path = f'/v1.0/adm/instances/{created["id"]}'
    assert call(noauth_app, 'GET', path).status_int == 404
    assert call(noauth_app, 'DELETE', path).status_int == 404
    shown = call(noauth_app, 'GET', path, **{'X-Roles': 'admin'})
    assert shown.status_int == 200
    assert shown.json['instance']['tenant_id'] == 'p1'
    listed = call(noauth_app, 'GET', '/v1.0/adm/instances',
                  **{'X-Roles': 'admin'}).json['instances']
    assert listed == []
    assert call(noauth_app, 'DELETE', path,
                **{'X-Roles': 'admin'}).status_int == 202


def test_creating_with_databases_or_users_needs_their_rules(
        noauth_app, conf, tmp_path):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"instance:extension:user:create": "!"\n')
    conf.config(policy_file=str(policy_file), group='oslo_policy')
    assert call(noauth_app, 'POST', '/v1.0/p1/instances',
                create_body(databases=[{'name': 'd'}])).status_int == 200
    response = call(noauth_app, 'POST', '/v1.0/p1/instances', create_body(
        users=[{'name': 'u', 'password': 'pw1'}]))
    assert response.status_int == 403
    assert response.json['forbidden']['message'] == (
        "Policy doesn't allow instance:extension:user:create to be "
        "performed.")
