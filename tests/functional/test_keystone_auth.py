"""Keystone mode: a real Keystone, tokens validated by keystonemiddleware,
projects kept apart on every endpoint, admin-only calls refused to
members, and policy.yaml overrides taking effect."""

import json
import time
import uuid

import pytest
import requests

pytestmark = pytest.mark.functional

SILENT = {'datastore': 'mysql', 'version': 'silent'}

# Every endpoint of the API, with a body that would succeed if the request
# were let through.
ENDPOINTS = [
    ('GET', '/instances'),
    ('GET', '/instances/detail'),
    ('POST', '/instances'),
    ('GET', '/instances/{instance}'),
    ('DELETE', '/instances/{instance}'),
    ('GET', '/flavors'),
    ('GET', '/flavors/1'),
    ('GET', '/datastores'),
    ('GET', '/datastores/mariadb'),
    ('GET', '/datastores/mariadb/versions'),
    ('GET', '/datastores/mariadb/versions/{version}'),
    ('GET', '/datastores/versions/{version_id}'),
    ('GET', '/limits'),
    ('GET', '/mgmt/quotas/{project}'),
    ('PUT', '/mgmt/quotas/{project}'),
]

BODIES = {
    'POST': {'instance': {'name': 'intruder', 'flavorRef': '1',
                          'volume': {'size': 1},
                          'datastore': {'type': 'mysql',
                                        'version': 'silent'}}},
    'PUT': {'quotas': {'instances': 0}},
}


@pytest.fixture(scope='module')
def alice(caller):
    return caller('alice', 'alpha')


@pytest.fixture(scope='module')
def bob(caller):
    return caller('bob', 'beta')


@pytest.fixture(scope='module')
def admin(caller):
    return caller('admin', 'admin')


@pytest.fixture(scope='module')
def alice_instance(alice):
    """An instance of alice's in ERROR (the silent image never answers),
    so it can be shown and deleted."""
    created = alice.api.create_instance(name='alices', **SILENT)
    return alice.api.wait_build_failed(created['id'])


def fill(path, keystone_stack, project):
    version = keystone_stack.query(
        'SELECT id, name FROM datastore_versions WHERE datastore_id = '
        '(SELECT id FROM datastores WHERE name = %s) AND manager = %s',
        'mariadb', 'mariadb')[0]
    return path.format(instance=uuid.uuid4(), version=version[1],
                       version_id=version[0], project=project)


def send(client, method, path):
    return client.request(method, path, json=BODIES.get(method))


def footprint(keystone_stack):
    """What a request that got through could have changed."""
    return (keystone_stack.query('SELECT COUNT(*) FROM instances'),
            keystone_stack.query('SELECT tenant_id, resource, hard_limit '
                                 'FROM quotas ORDER BY 1, 2'))


@pytest.mark.parametrize('method, path', ENDPOINTS)
def test_every_endpoint_refuses_a_missing_or_invalid_token(
        keystone_stack, alice, method, path):
    before = footprint(keystone_stack)
    url_path = fill(path, keystone_stack, alice.project_id)
    for token in (None, 'not-a-token'):
        client = keystone_stack.api(alice.project_id, token)
        response = send(client, method, url_path)
        assert response.status_code == 401, response.text
        assert response.headers['WWW-Authenticate'].startswith('Keystone')
    assert footprint(keystone_stack) == before


@pytest.mark.parametrize('method, path', ENDPOINTS)
def test_every_endpoint_refuses_a_token_of_another_project(
        keystone_stack, alice, bob, admin, method, path):
    before = footprint(keystone_stack)
    url_path = fill(path, keystone_stack, bob.project_id)
    for intruder in (alice, admin):  # admins too, as in Trove
        response = send(intruder.on(bob.project_id), method, url_path)
        assert response.status_code == 403, response.text
        assert response.json() == {'forbidden': {
            'code': 403,
            'message': f'User with tenant id {intruder.project_id} cannot '
                       f'access this resource.'}}
    assert footprint(keystone_stack) == before


def test_identity_headers_sent_by_the_client_are_ignored(alice, bob):
    spoofed = {'X-Project-Id': bob.project_id,
               'X-Tenant-Id': bob.project_id, 'X-Roles': 'admin',
               'X-Role': 'admin', 'X-User-Id': bob.account.user_id}
    response = alice.on(bob.project_id).get('/instances', headers=spoofed)
    assert response.status_code == 403
    response = alice.api.put(f'/mgmt/quotas/{alice.project_id}',
                             {'quotas': {'instances': 99}}, headers=spoofed)
    assert response.status_code == 401
    assert response.json()['unauthorized']['message'] == (
        'User does not have admin privileges.')


def test_version_documents_need_no_token(keystone_stack):
    for path in ('/', '/v1.0', '/v1.0/'):
        response = requests.get(keystone_stack.url + path, timeout=30)
        assert response.status_code == 200, path
    assert 'versions' in requests.get(keystone_stack.url, timeout=30).json()


def test_members_see_only_their_own_project(alice, bob, alice_instance):
    instance_id = alice_instance['id']
    assert alice.api.get(f'/instances/{instance_id}').status_code == 200
    for path in ('/instances', '/instances/detail'):
        listed = [i['id'] for i in alice.api.get(path).json()['instances']]
        assert instance_id in listed
        listed = [i['id'] for i in bob.api.get(path).json()['instances']]
        assert instance_id not in listed

    response = bob.api.get(f'/instances/{instance_id}')
    assert response.status_code == 404
    assert response.json()['itemNotFound']['message'] == (
        f'Resource {instance_id} cannot be found.')
    response = bob.api.delete(f'/instances/{instance_id}')
    assert response.status_code == 404
    assert alice.api.instance(instance_id)['status'] == 'ERROR'
    # Not even an admin view leaks to members.
    assert 'tenant_id' not in alice.api.instance(instance_id)


def test_members_create_only_in_their_own_project(keystone_stack, bob,
                                                  admin):
    created = bob.api.create_instance(name='bobs', **SILENT)
    assert keystone_stack.query(
        'SELECT tenant_id FROM instances WHERE id = %s',
        created['id']) == ((bob.project_id,),)
    shown = admin.api.get(f'/instances/{created["id"]}').json()['instance']
    assert shown['tenant_id'] == bob.project_id


def test_admin_reaches_other_projects_instances_by_id(alice, admin,
                                                      alice_instance):
    instance_id = alice_instance['id']
    response = admin.api.get(f'/instances/{instance_id}')
    assert response.status_code == 200
    assert response.json()['instance']['tenant_id'] == alice.project_id
    # Listing shows the admin's own project only, as Trove's does.
    listed = [i['id'] for i in admin.api.get('/instances').json()[
        'instances']]
    assert instance_id not in listed


def test_admin_deletes_another_projects_instance_and_frees_its_quota(
        alice, admin):
    created = alice.api.create_instance(name='doomed', **SILENT)
    alice.api.wait_build_failed(created['id'])
    before = usage(admin, alice.project_id)
    assert admin.api.delete(f'/instances/{created["id"]}').status_code == 202
    alice.api.wait_gone(created['id'])
    after = usage(admin, alice.project_id)
    assert after['instances'] == before['instances'] - 1
    assert after['ram'] == before['ram'] - 256
    assert after['volumes'] == before['volumes'] - 1


def usage(client, project_id):
    quotas = client.api.get(f'/mgmt/quotas/{project_id}').json()['quotas']
    return {item['resource']: item['in_use'] for item in quotas}


def test_quota_management_is_for_admins(alice, bob, admin):
    own = alice.api.get(f'/mgmt/quotas/{alice.project_id}')
    assert own.status_code == 200
    assert [item['resource'] for item in own.json()['quotas']] == [
        'instances', 'ram', 'backups', 'volumes']

    response = alice.api.get(f'/mgmt/quotas/{bob.project_id}')
    assert response.status_code == 403
    assert response.json()['forbidden']['message'] == (
        f'Operation not allowed for tenant {alice.project_id}.')

    for target in (alice.project_id, bob.project_id):
        response = alice.api.put(f'/mgmt/quotas/{target}',
                                 {'quotas': {'instances': 50}})
        assert response.status_code == 401
        assert response.json() == {'unauthorized': {
            'code': 401, 'message': 'User does not have admin privileges.'}}

    response = admin.api.put(f'/mgmt/quotas/{bob.project_id}',
                             {'quotas': {'backups': 7, 'ram': None}})
    assert response.status_code == 200
    assert response.json() == {'quotas': {'backups': 7}}
    shown = admin.api.get(f'/mgmt/quotas/{bob.project_id}').json()
    assert {'resource': 'backups', 'in_use': 0, 'reserved': 0,
            'limit': 7} in shown['quotas']
    assert bob.api.get('/limits').json()['limits'][0]['max_backups'] == 7


def answer(request, code, timeout=15):
    """Repeat ``request()`` until it answers ``code`` (each API worker
    looks at the policy file at most once a second); the last response."""
    deadline = time.monotonic() + timeout
    while True:
        response = request()
        if response.status_code == code or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_policy_file_overrides_take_effect_without_restart(
        keystone_stack, alice, admin):
    path = keystone_stack.policy_file
    try:
        with open(path, 'w') as policy:
            json.dump({'instance:index': 'role:admin',
                       'flavor:show': '!'}, policy)
        response = answer(lambda: alice.api.get('/instances'), 403)
        assert response.json() == {'forbidden': {
            'code': 403,
            'message': "Policy doesn't allow instance:index to be "
                       "performed."}}
        assert answer(lambda: admin.api.get('/flavors/1'),
                      403).status_code == 403
        assert admin.api.get('/instances').status_code == 200
        assert alice.api.get('/flavors').status_code == 200
    finally:
        with open(path, 'w') as policy:
            policy.write('{}')
    assert answer(lambda: alice.api.get('/instances'),
                  200).status_code == 200
    assert answer(lambda: alice.api.get('/flavors/1'),
                  200).status_code == 200
