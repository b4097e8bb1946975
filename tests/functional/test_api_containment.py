"""Issue 16 items 5 and 7 against the real stack: a URL without a project
(which once skipped the project check and the rate limits and listed
every tenant's configuration groups), and the odd bodies and ids that
once gave a 500. Each is refused with Trove's fault body, in both auth
modes where the mode matters, and nothing is written."""

import json

import pytest
import requests

pytestmark = pytest.mark.functional

ADMIN = {'X-Roles': 'admin'}


def create_body(name='ok', **extra):
    body = {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'mysql', 'version': 'silent'}}
    body.update(extra)
    return {'instance': body}


def assert_fault(response, code, fault):
    assert response.status_code == code, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    (name, detail), = response.json().items()
    assert name == fault and detail['code'] == code and detail['message']


@pytest.fixture(scope='module')
def rows(stack):
    """Counts of every table a request could write."""
    def read():
        return stack.query(
            'SELECT (SELECT COUNT(*) FROM instances), '
            '(SELECT COUNT(*) FROM configurations), '
            '(SELECT COUNT(*) FROM quotas), '
            '(SELECT COUNT(*) FROM quota_usages)')[0]
    return read


@pytest.fixture(scope='module')
def victim_group(stack):
    response = stack.api('victim').post('/configurations', {
        'configuration': {'name': 'victim-group', 'values': {},
                          'datastore': {'type': 'mysql',
                                        'version': 'silent'}}})
    assert response.status_code == 200, response.text
    return response.json()['configuration']['id']


@pytest.mark.parametrize('method, path, body', [
    ('GET', '//instances', None),
    ('GET', '//instances/detail', None),
    ('GET', '//configurations', None),
    ('GET', '//limits', None),
    ('GET', '//mgmt/quotas/victim', None),
    ('POST', '//instances', create_body()),
    ('POST', '//configurations', {'configuration': {
        'name': 'g', 'values': {}}}),
])
@pytest.mark.parametrize('headers', [{}, ADMIN, {'X-Project-Id': 'victim'}],
                         ids=['anonymous', 'admin', 'project-header'])
def test_noauth_empty_project_is_404_and_shows_nothing(
        stack, rows, victim_group, method, path, body, headers):
    before = rows()
    response = requests.request(method, f'{stack.url}/v1.0{path}',
                                json=body, headers=headers, timeout=30)
    assert_fault(response, 404, 'itemNotFound')
    assert victim_group not in response.text
    assert rows() == before


def test_keystone_empty_project_is_404_and_shows_nothing(
        keystone_stack, caller):
    victim = caller('dora', 'delta')
    admin = caller('admin', 'admin')
    response = victim.api.post('/configurations', {'configuration': {
        'name': 'delta-group', 'values': {},
        'datastore': {'type': 'mysql', 'version': 'silent'}}})
    assert response.status_code == 200, response.text
    group_id = response.json()['configuration']['id']
    for who in (victim, admin):
        for path in ('//configurations', '//instances', '//limits'):
            response = requests.get(
                f'{keystone_stack.url}/v1.0{path}', timeout=30,
                headers={'X-Auth-Token': who.token})
            assert_fault(response, 404, 'itemNotFound')
            assert group_id not in response.text


def test_empty_project_requests_are_not_a_way_around_rate_limits(stack):
    """Every one of a burst of them is refused the same way (there is no
    project whose limit they could be counted against, and nothing
    behind the refusal)."""
    codes = {requests.get(f'{stack.url}/v1.0//instances',
                          timeout=30).status_code for _ in range(50)}
    assert codes == {404}


def test_noauth_project_id_over_36_characters_is_400(stack, rows):
    before = rows()
    long_project = 'p' * 37
    response = requests.post(f'{stack.project_url(long_project)}/instances',
                             json=create_body(), timeout=30)
    assert_fault(response, 400, 'badRequest')
    response = requests.put(
        f'{stack.project_url(long_project)}/mgmt/quotas/{long_project}',
        json={'quotas': {'instances': 1}}, headers=ADMIN, timeout=30)
    assert_fault(response, 400, 'badRequest')
    assert rows() == before


@pytest.mark.parametrize('label, body', [
    ('arrays 50k deep', b'[' * 50_000 + b']' * 50_000),
    ('objects 20k deep', b'{"":' * 20_000 + b'1' + b'}' * 20_000),
    ('instance 50k deep', b'{"instance": ' + b'[' * 50_000 + b']' * 50_000
     + b'}'),
    ('lone surrogate name', json.dumps(create_body()).replace(
        '"ok"', '"db\\ud800"').encode()),
    ('lone surrogate database', json.dumps(create_body(
        databases=[{'name': 'x'}])).replace('"x"', '"db\\udfff"').encode()),
    ('lone surrogate user', json.dumps(create_body(
        users=[{'name': 'x', 'password': 'p4ssw0rd'}])).replace(
            '"x"', '"\\udc00"').encode()),
])
def test_unreadable_bodies_are_400(stack, rows, label, body):
    before = rows()
    response = requests.post(f'{stack.project_url("odd")}/instances',
                             data=body, timeout=30,
                             headers={'Content-Type': 'application/json'})
    assert_fault(response, 400, 'badRequest')
    assert rows() == before


def test_lone_surrogate_in_a_configuration_name_is_400(stack, rows):
    before = rows()
    body = json.dumps({'configuration': {
        'name': 'x', 'values': {},
        'datastore': {'type': 'mysql', 'version': 'silent'}}}).replace(
            '"x"', '"g\\ud800"')
    response = requests.post(f'{stack.project_url("odd")}/configurations',
                             data=body, timeout=30,
                             headers={'Content-Type': 'application/json'})
    assert_fault(response, 400, 'badRequest')
    assert rows() == before


@pytest.mark.parametrize('limit', [10 ** 30, 2 ** 31, 2 ** 63])
def test_admin_quota_put_too_large_to_store_is_400(stack, rows, limit):
    before = rows()
    response = requests.put(
        f'{stack.project_url("odd")}/mgmt/quotas/odd',
        json={'quotas': {'instances': limit}}, headers=ADMIN, timeout=30)
    assert_fault(response, 400, 'badRequest')
    assert rows() == before
    quotas = requests.get(f'{stack.project_url("odd")}/mgmt/quotas/odd',
                          timeout=30).json()['quotas']
    assert all(item['limit'] < 2 ** 31 for item in quotas)


def test_api_still_serves_after_the_odd_requests(stack):
    response = requests.get(f'{stack.project_url("odd")}/instances',
                            timeout=10)
    assert response.status_code == 200
    assert response.json() == {'instances': []}
