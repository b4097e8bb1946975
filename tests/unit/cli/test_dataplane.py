"""``trove-lite db/user/root ...`` against a fake API speaking Trove's
contract (paths and bodies of trove-api.md 2.2-2.4)."""

import getpass
import io

import pytest

from tests.unit import cli_fixtures as fx

INSTANCE = f'/v1.0/p1/instances/{fx.INSTANCE_ID}'


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    fx.clean_environment(monkeypatch, TROVE_LITE_URL=f'{fx.API}/v1.0/p1')


@pytest.fixture
def api(requests_mock):
    requests_mock.get(f'{fx.API}{INSTANCE}',
                      json={'instance': fx.instance()})
    return requests_mock


def sent(api, method):
    return [(request.path, request.json() if request.body else None)
            for request in api.request_history if request.method == method]


def test_db_create_posts_a_database_list(api):
    api.post(f'{fx.API}{INSTANCE}/databases', status_code=202)
    result = fx.run('db', 'create', fx.INSTANCE_ID, 'shop',
                    '--character-set', 'utf8mb4', '--collate',
                    'utf8mb4_bin')
    assert (result.code, result.stdout, result.stderr) == (0, '', '')
    assert sent(api, 'POST') == [(f'{INSTANCE}/databases', {
        'databases': [{'name': 'shop', 'character_set': 'utf8mb4',
                       'collate': 'utf8mb4_bin'}]})]


def test_db_list_follows_pages(api):
    api.get(f'{fx.API}{INSTANCE}/databases', [
        {'json': {'databases': [{'name': 'a'}], 'links': [
            {'rel': 'next', 'href': 'https://x/databases?limit=1&marker=a'}
        ]}},
        {'json': {'databases': [{'name': 'b'}]}}])
    result = fx.run('db', 'list', fx.INSTANCE_ID, '-f', 'value')
    assert (result.code, result.stdout) == (0, 'a\nb\n')
    assert api.request_history[-1].qs == {'marker': ['a']}


def test_db_delete_quotes_the_name(api):
    api.delete(f'{fx.API}{INSTANCE}/databases/my%20db', status_code=202)
    assert fx.run('db', 'delete', fx.INSTANCE_ID, 'my db').code == 0
    assert sent(api, 'DELETE') == [(f'{INSTANCE}/databases/my%20db', None)]


def test_db_delete_of_a_missing_database_exits_1(api):
    api.delete(f'{fx.API}{INSTANCE}/databases/nope', status_code=404, json={
        'itemNotFound': {'code': 404, 'message': 'Database nope cannot be '
                                                 'found on the instance.'}})
    result = fx.run('db', 'delete', fx.INSTANCE_ID, 'nope')
    assert result.code == 1
    assert result.stderr == ('Database nope cannot be found on the '
                             'instance. (HTTP 404)\n')


def test_user_create_posts_name_password_host_and_databases(api):
    api.post(f'{fx.API}{INSTANCE}/users', status_code=202)
    result = fx.run('user', 'create', fx.INSTANCE_ID, 'shop', '--password',
                    's3cret', '--host', '10.0.0.%', '--database', 'a',
                    '--database', 'b')
    assert result.code == 0
    assert sent(api, 'POST') == [(f'{INSTANCE}/users', {'users': [{
        'name': 'shop', 'password': 's3cret', 'host': '10.0.0.%',
        'databases': [{'name': 'a'}, {'name': 'b'}]}]})]


def test_user_create_asks_for_the_password_on_a_terminal(api, monkeypatch):
    api.post(f'{fx.API}{INSTANCE}/users', status_code=202)
    answers = iter(['typed-pw', 'typed-pw'])
    monkeypatch.setattr(getpass, 'getpass', lambda prompt: next(answers))
    result = fx.run('user', 'create', fx.INSTANCE_ID, 'shop',
                    stdin=fx.Terminal())
    assert result.code == 0
    assert sent(api, 'POST')[0][1]['users'][0]['password'] == 'typed-pw'


def test_user_create_with_mismatched_passwords_sends_nothing(api,
                                                             monkeypatch):
    answers = iter(['one', 'two'])
    monkeypatch.setattr(getpass, 'getpass', lambda prompt: next(answers))
    result = fx.run('user', 'create', fx.INSTANCE_ID, 'shop',
                    stdin=fx.Terminal())
    assert result.code == 1
    assert result.stderr == 'The passwords do not match.\n'
    assert sent(api, 'POST') == []


def test_user_create_without_password_or_terminal_exits_1(api):
    result = fx.run('user', 'create', fx.INSTANCE_ID, 'shop',
                    stdin=io.StringIO())
    assert result.code == 1
    assert 'pass --password' in result.stderr
    assert sent(api, 'POST') == []


def test_user_list_shows_hosts_and_databases(api):
    api.get(f'{fx.API}{INSTANCE}/users', json={'users': [
        {'name': 'shop', 'host': '%',
         'databases': [{'name': 'a'}, {'name': 'b'}]}]})
    result = fx.run('user', 'list', fx.INSTANCE_ID, '-f', 'csv')
    assert result.code == 0
    assert result.stdout.splitlines() == ['"name","host","databases"',
                                          '"shop","%","a, b"']


@pytest.mark.parametrize('argv, path', [
    (['shop'], 'shop'),
    (['shop', '--host', '%'], 'shop%40%25'),
    (['a.b', '--host', '10.0.0.%'], 'a.b%4010.0.0.%25'),
    (['a/b'], 'a%2Fb'),
])
def test_user_show_quotes_name_and_host_like_troveclient(api, argv, path):
    api.get(f'{fx.API}{INSTANCE}/users/{path}', json={'user': {
        'name': 'x', 'host': '%', 'databases': [{'name': 'a'}]}})
    result = fx.run('user', 'show', fx.INSTANCE_ID, *argv, '-f', 'json')
    assert result.code == 0, result.stderr
    # requests_mock reports paths in lower case.
    assert api.request_history[-1].path == \
        f'{INSTANCE}/users/{path}'.lower()


def test_user_delete(api):
    api.delete(f'{fx.API}{INSTANCE}/users/shop%40%25', status_code=202)
    assert fx.run('user', 'delete', fx.INSTANCE_ID, 'shop', '--host',
                  '%').code == 0
    assert sent(api, 'DELETE') == [(f'{INSTANCE}/users/shop%40%25', None)]


def test_user_set_puts_the_changed_attributes(api):
    api.put(f'{fx.API}{INSTANCE}/users/shop', status_code=202)
    assert fx.run('user', 'set', fx.INSTANCE_ID, 'shop', '--new-name',
                  'shop2', '--new-password', 'n3w').code == 0
    assert sent(api, 'PUT') == [(f'{INSTANCE}/users/shop', {
        'user': {'name': 'shop2', 'password': 'n3w'}})]


def test_user_set_with_nothing_to_change_exits_1(api):
    result = fx.run('user', 'set', fx.INSTANCE_ID, 'shop')
    assert result.code == 1
    assert result.stderr.startswith('Nothing to change')
    assert sent(api, 'PUT') == []


def test_user_grant_revoke_and_show_access(api):
    access = f'{INSTANCE}/users/shop/databases'
    api.put(f'{fx.API}{access}', status_code=202)
    api.delete(f'{fx.API}{access}/b', status_code=202)
    api.get(f'{fx.API}{access}', json={'databases': [{'name': 'a'}]})
    assert fx.run('user', 'grant-access', fx.INSTANCE_ID, 'shop', 'a',
                  'b').code == 0
    assert fx.run('user', 'revoke-access', fx.INSTANCE_ID, 'shop',
                  'b').code == 0
    shown = fx.run('user', 'show-access', fx.INSTANCE_ID, 'shop', '-f',
                   'value')
    assert (shown.code, shown.stdout) == (0, 'a\n')
    assert sent(api, 'PUT') == [(access, {'databases': [{'name': 'a'},
                                                        {'name': 'b'}]})]
    assert sent(api, 'DELETE') == [(f'{access}/b', None)]


def test_root_enable_prints_the_password_once(api):
    api.post(f'{fx.API}{INSTANCE}/root', json={
        'user': {'name': 'root', 'password': 'generated-pw'}})
    result = fx.run('root', 'enable', fx.INSTANCE_ID, '-f', 'json')
    assert result.code == 0
    assert '"password": "generated-pw"' in result.stdout
    assert sent(api, 'POST') == [(f'{INSTANCE}/root', None)]


def test_root_enable_with_a_chosen_password(api):
    api.post(f'{fx.API}{INSTANCE}/root', json={
        'user': {'name': 'root', 'password': 'chosen'}})
    assert fx.run('root', 'enable', fx.INSTANCE_ID, '--password',
                  'chosen').code == 0
    assert sent(api, 'POST') == [(f'{INSTANCE}/root',
                                  {'password': 'chosen'})]


def test_root_show_and_disable(api):
    api.get(f'{fx.API}{INSTANCE}/root', json={'rootEnabled': True})
    api.delete(f'{fx.API}{INSTANCE}/root', status_code=204)
    shown = fx.run('root', 'show', fx.INSTANCE_ID, '-f', 'value')
    assert (shown.code, shown.stdout) == (0, 'True\n')
    assert fx.run('root', 'disable', fx.INSTANCE_ID).code == 0
    assert sent(api, 'DELETE') == [(f'{INSTANCE}/root', None)]


def test_root_disable_when_never_enabled_exits_1(api):
    api.delete(f'{fx.API}{INSTANCE}/root', status_code=404, json={
        'itemNotFound': {'code': 404, 'message': 'Root user has never been '
                                                 'enabled on the instance.'}})
    result = fx.run('root', 'disable', fx.INSTANCE_ID)
    assert result.code == 1
    assert 'never been enabled' in result.stderr
