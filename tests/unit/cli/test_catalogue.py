"""``trove-lite flavor/datastore ...`` against a fake API."""

import json

from tests.unit import cli_fixtures as fx

VERSION_ID = '57a6d79c-9b59-4cb1-bb59-87267c448898'
VERSION = {'id': VERSION_ID, 'name': '10.11', 'version': '10.11.19',
           'links': []}
DATASTORES = [
    {'id': 'ds-1', 'name': 'mariadb', 'links': [], 'versions': [VERSION],
     'default_version': VERSION_ID},
    {'id': 'ds-2', 'name': 'mysql', 'links': [], 'versions': []},
]


def test_flavor_list_uses_str_id_when_id_is_null(requests_mock):
    requests_mock.get(f'{fx.BASE}/flavors', json={'flavors': fx.FLAVORS})
    result = fx.run('flavor', 'list', '-f', 'json')
    assert result.code == 0
    assert json.loads(result.stdout) == [
        {'id': '1', 'name': 'tiny', 'ram': 256, 'vcpus': 1, 'disk': 1,
         'ephemeral': 0},
        {'id': '2', 'name': 'small', 'ram': 512, 'vcpus': 1, 'disk': 2,
         'ephemeral': 0},
        {'id': 'big-one', 'name': 'big', 'ram': 4096, 'vcpus': 4,
         'disk': 8, 'ephemeral': 0}]


def test_flavor_show_by_name(requests_mock):
    requests_mock.get(f'{fx.BASE}/flavors/small', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/flavors', json={'flavors': fx.FLAVORS})
    result = fx.run('flavor', 'show', 'small', '-f', 'value', '-c', 'id',
                    '-c', 'ram')
    assert (result.code, result.stdout) == (0, '2\n512\n')


def test_datastore_list_names_default_and_versions(requests_mock):
    requests_mock.get(f'{fx.BASE}/datastores',
                      json={'datastores': DATASTORES})
    result = fx.run('datastore', 'list', '-f', 'json')
    assert json.loads(result.stdout) == [
        {'id': 'ds-1', 'name': 'mariadb', 'default_version': '10.11',
         'versions': '10.11'},
        {'id': 'ds-2', 'name': 'mysql', 'default_version': '',
         'versions': ''}]


def test_datastore_show(requests_mock):
    requests_mock.get(f'{fx.BASE}/datastores/mariadb',
                      json={'datastore': DATASTORES[0]})
    result = fx.run('datastore', 'show', 'mariadb', '-f', 'json')
    assert json.loads(result.stdout)['default_version'] == '10.11'


def test_datastore_show_unknown_exits_1(requests_mock):
    requests_mock.get(f'{fx.BASE}/datastores/nope', **fx.not_found(
        'Datastore nope cannot be found.'))
    result = fx.run('datastore', 'show', 'nope')
    assert (result.code, result.stderr) == (
        1, 'Datastore nope cannot be found. (HTTP 404)\n')


def test_datastore_version_list(requests_mock):
    requests_mock.get(f'{fx.BASE}/datastores/mariadb/versions',
                      json={'versions': [dict(VERSION, datastore='ds-1')]})
    result = fx.run('datastore', 'version', 'list', 'mariadb', '-f',
                    'value')
    assert result.stdout == f'{VERSION_ID} 10.11 10.11.19\n'


def test_datastore_version_show_by_name_or_id(requests_mock):
    version = dict(VERSION, datastore='ds-1')
    requests_mock.get(f'{fx.BASE}/datastores/mariadb/versions/10.11',
                      json={'version': version})
    requests_mock.get(f'{fx.BASE}/datastores/versions/{VERSION_ID}',
                      json={'version': version})
    by_name = fx.run('datastore', 'version', 'show', '10.11',
                     '--datastore', 'mariadb', '-f', 'json')
    by_id = fx.run('datastore', 'version', 'show', VERSION_ID, '-f', 'json')
    assert json.loads(by_name.stdout) == json.loads(by_id.stdout) == {
        'id': VERSION_ID, 'name': '10.11', 'version': '10.11.19',
        'datastore': 'ds-1'}


def test_datastore_version_by_name_needs_the_datastore(requests_mock):
    result = fx.run('datastore', 'version', 'show', '10.11')
    assert (result.code, result.stderr) == (
        1, 'Give --datastore to find a version by name.\n')
    assert requests_mock.request_history == []
