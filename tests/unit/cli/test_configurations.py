"""``trove-lite configuration ...`` against a fake API speaking Trove's
contract (trove-api.md 2.8 and the instance update of 2.1)."""

import json

import pytest

from tests.unit import cli_fixtures as fx

GROUP_ID = 'c0c0a000-1111-4222-8333-944455556666'
VERSION_ID = '57a6d79c-9b59-4cb1-bb59-87267c448898'
GROUP = {'id': GROUP_ID, 'name': 'tuned', 'description': 'for shop',
         'values': {'max_connections': 200, 'slow_query_log': True},
         'created': '2026-01-02T03:04:05', 'updated': '2026-01-02T03:04:06',
         'instance_count': 1, 'datastore_name': 'mariadb',
         'datastore_version_id': VERSION_ID,
         'datastore_version_name': '10.11',
         'datastore_version_number': '10.11.19'}
LISTED = {key: value for key, value in GROUP.items()
          if key not in ('values', 'instance_count',
                         'datastore_version_number')}
INSTANCE = f'{fx.BASE}/instances/{fx.INSTANCE_ID}'
PARAMETERS = [
    {'name': 'max_connections', 'datastore_version_id': VERSION_ID,
     'restart_required': False, 'type': 'integer', 'min': 10,
     'max': 100000},
    {'name': 'sql_mode', 'datastore_version_id': VERSION_ID,
     'restart_required': False, 'type': 'string',
     'values': ['ANSI', 'TRADITIONAL'], 'multiple': True},
]


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    fx.clean_environment(monkeypatch, TROVE_LITE_URL=f'{fx.API}/v1.0/p1')


@pytest.fixture
def api(requests_mock):
    requests_mock.get(f'{fx.BASE}/configurations/{GROUP_ID}',
                      json={'configuration': GROUP})
    requests_mock.get(f'{fx.BASE}/configurations/tuned', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/configurations',
                      json={'configurations': [LISTED]})
    requests_mock.get(INSTANCE, json={'instance': fx.instance()})
    return requests_mock


def sent(api, method):
    return [(request.path, request.json() if request.body else None)
            for request in api.request_history if request.method == method]


def test_create_posts_name_values_datastore_and_description(api):
    api.post(f'{fx.BASE}/configurations', json={'configuration': GROUP})
    result = fx.run('configuration', 'create', 'tuned',
                    '{"max_connections": 200, "slow_query_log": true}',
                    '--datastore', 'mariadb', '--datastore-version',
                    '10.11', '--description', 'for shop', '-f', 'json')
    assert result.code == 0, result.stderr
    assert sent(api, 'POST') == [('/v1.0/p1/configurations', {
        'configuration': {
            'name': 'tuned', 'values': {'max_connections': 200,
                                        'slow_query_log': True},
            'datastore': {'type': 'mariadb', 'version': '10.11'},
            'description': 'for shop'}})]
    shown = json.loads(result.stdout)
    assert shown['values'] == ('{"max_connections": 200, '
                               '"slow_query_log": true}')
    assert (shown['datastore'], shown['datastore_version']) == ('mariadb',
                                                                '10.11')


@pytest.mark.parametrize('values', ['max_connections=200', '[1, 2]', '{'])
def test_values_must_be_a_json_object(api, values):
    result = fx.run('configuration', 'create', 'tuned', values)
    assert result.code == 2
    assert 'expected a JSON object' in result.stderr
    assert sent(api, 'POST') == []


def test_a_422_is_one_line_and_exit_1(api):
    api.post(f'{fx.BASE}/configurations', status_code=422, json={
        'unprocessableEntity': {'code': 422, 'message': 'The value for the '
                                'configuration parameter max_connections '
                                'is less than the minimum allowed: 10'}})
    result = fx.run('configuration', 'create', 'tuned',
                    '{"max_connections": 1}')
    assert result.code == 1
    assert result.stderr == ('The value for the configuration parameter '
                             'max_connections is less than the minimum '
                             'allowed: 10 (HTTP 422)\n')


def test_list_and_show_by_name(api):
    result = fx.run('configuration', 'list', '-f', 'json')
    assert json.loads(result.stdout) == [{
        'id': GROUP_ID, 'name': 'tuned', 'description': 'for shop',
        'datastore': 'mariadb', 'datastore_version': '10.11'}]
    result = fx.run('configuration', 'show', 'tuned', '-f', 'value', '-c',
                    'id', '-c', 'instance_count')
    assert (result.code, result.stdout) == (0, f'{GROUP_ID}\n1\n')


def test_set_patches_and_update_puts(api):
    api.patch(f'{fx.BASE}/configurations/{GROUP_ID}', status_code=200)
    api.put(f'{fx.BASE}/configurations/{GROUP_ID}', status_code=202)
    assert fx.run('configuration', 'set', 'tuned',
                  '{"wait_timeout": 60}').code == 0
    assert fx.run('configuration', 'update', GROUP_ID,
                  '{"back_log": 70}', '--name', 'retuned').code == 0
    path = f'/v1.0/p1/configurations/{GROUP_ID}'
    assert sent(api, 'PATCH') == [
        (path, {'configuration': {'values': {'wait_timeout': 60}}})]
    assert sent(api, 'PUT') == [(path, {'configuration': {
        'values': {'back_log': 70}, 'name': 'retuned'}})]


def test_delete_and_instances(api):
    api.delete(f'{fx.BASE}/configurations/{GROUP_ID}', status_code=202)
    api.get(f'{fx.BASE}/configurations/{GROUP_ID}/instances', json={
        'instances': [{'id': fx.INSTANCE_ID, 'name': 'shop'}]})
    result = fx.run('configuration', 'instances', 'tuned', '-f', 'value')
    assert result.stdout == f'{fx.INSTANCE_ID} shop\n'
    assert fx.run('configuration', 'delete', 'tuned').code == 0
    assert sent(api, 'DELETE') == [
        (f'/v1.0/p1/configurations/{GROUP_ID}', None)]


def test_attach_and_detach_put_the_instance(api):
    api.put(INSTANCE, status_code=202)
    result = fx.run('configuration', 'attach', fx.INSTANCE_ID, 'tuned')
    assert result.code == 0
    assert result.stderr == ('Attached configuration group tuned to '
                             'instance shop.\n')
    assert fx.run('configuration', 'detach', fx.INSTANCE_ID).code == 0
    path = f'/v1.0/p1/instances/{fx.INSTANCE_ID}'
    assert sent(api, 'PUT') == [
        (path, {'instance': {'configuration': GROUP_ID}}),
        (path, {'instance': {'configuration': None}})]


def test_default_shows_the_instances_settings(api):
    api.get(f'{INSTANCE}/configuration', json={'instance': {
        'configuration': {'max_connections': '200', 'back_log': '70'}}})
    result = fx.run('configuration', 'default', fx.INSTANCE_ID, '-f',
                    'json')
    assert json.loads(result.stdout) == {'back_log': '70',
                                         'max_connections': '200'}


def test_parameters_by_version_name_or_id(api):
    api.get(f'{fx.BASE}/datastores/mariadb/versions/10.11/parameters',
            json={'configuration-parameters': PARAMETERS})
    api.get(f'{fx.BASE}/datastores/versions/{VERSION_ID}/parameters/'
            f'sql_mode', json=PARAMETERS[1])
    result = fx.run('configuration', 'parameter', 'list', '10.11',
                    '--datastore', 'mariadb', '-f', 'json')
    assert json.loads(result.stdout) == [
        {'name': 'max_connections', 'type': 'integer', 'min': 10,
         'max': 100000, 'restart_required': False},
        {'name': 'sql_mode', 'type': 'string', 'min': '', 'max': '',
         'restart_required': False}]
    result = fx.run('configuration', 'parameter', 'show', VERSION_ID,
                    'sql_mode', '-f', 'json')
    assert json.loads(result.stdout)['values'] == \
        'ANSI, TRADITIONAL (comma-separated list)'
    result = fx.run('configuration', 'parameter', 'list', '10.11')
    assert result.code == 1
    assert 'Give --datastore' in result.stderr


def test_instance_create_names_a_group(api):
    api.post(f'{fx.BASE}/instances', json={'instance': fx.instance(
        status='BUILD', configuration={'id': GROUP_ID, 'name': 'tuned',
                                       'links': []})})
    api.get(f'{fx.BASE}/flavors/tiny', **fx.not_found())
    api.get(f'{fx.BASE}/flavors', json={'flavors': fx.FLAVORS})
    result = fx.run('instance', 'create', 'shop', '--flavor', 'tiny',
                    '--size', '1', '--configuration', 'tuned', '-f', 'json')
    assert result.code == 0, result.stderr
    assert sent(api, 'POST')[0][1]['instance']['configuration'] == GROUP_ID
    assert json.loads(result.stdout)['configuration'] == GROUP_ID
