"""The trove-lite application: where the endpoint and credentials come
from, how errors look, help and completion."""

import importlib.metadata

import pytest
import requests
from keystoneauth1 import fixture as ksa_fixture

from tests.unit import cli_fixtures as fx
from trove_lite.cli import main

KEYSTONE = 'http://keystone.test/v3'
TOKEN = 'token-abc'


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    fx.clean_environment(monkeypatch)


@pytest.fixture
def flavors(requests_mock):
    def register(base):
        requests_mock.get(f'{base}/flavors', json={'flavors': fx.FLAVORS})
    return register


@pytest.fixture
def keystone(requests_mock):
    """A Keystone v3 whose catalogue has trove for project proj-1."""
    token = ksa_fixture.V3Token(project_id='proj-1', project_name='demo',
                                project_domain_id='default',
                                user_name='alice', user_domain_id='default')
    token.add_service('database').add_standard_endpoints(
        public='http://trove.test:8779/v1.0/proj-1', region='RegionOne')
    requests_mock.get(KEYSTONE, json={
        'version': ksa_fixture.V3Discovery(KEYSTONE)})
    requests_mock.post(f'{KEYSTONE}/auth/tokens', json=token,
                       headers={'X-Subject-Token': TOKEN})
    return requests_mock


def api_requests(mock):
    return [request for request in mock.request_history
            if request.netloc.startswith('trove.test')]


def test_endpoint_and_project_from_the_environment(monkeypatch, flavors,
                                                   requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', fx.API)
    monkeypatch.setenv('OS_PROJECT_ID', 'p1')
    flavors(fx.BASE)
    assert fx.run('flavor', 'list').code == 0
    request = requests_mock.request_history[0]
    assert request.url == f'{fx.BASE}/flavors'
    assert request.headers['Accept'] == 'application/json'
    assert 'X-Auth-Token' not in request.headers


def test_flags_override_the_environment(monkeypatch, flavors,
                                        requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', 'http://elsewhere:1')
    monkeypatch.setenv('OS_PROJECT_ID', 'other')
    flavors('http://flag.test:8779/v1.0/p9')
    result = fx.run('--url', 'http://flag.test:8779', '--os-project-id',
                    'p9', 'flavor', 'list')
    assert result.code == 0, result.stderr


def test_url_may_name_the_project(monkeypatch, flavors):
    monkeypatch.setenv('TROVE_LITE_URL', f'{fx.API}/v1.0/p1/')
    flavors(fx.BASE)
    assert fx.run('flavor', 'list').code == 0


def test_default_url_is_the_local_api(monkeypatch, flavors):
    monkeypatch.setenv('OS_PROJECT_ID', 'p1')
    flavors('http://127.0.0.1:8779/v1.0/p1')
    assert fx.run('flavor', 'list').code == 0


def test_missing_project_is_a_one_line_error(requests_mock):
    result = fx.run('flavor', 'list')
    assert (result.code, result.stdout) == (1, '')
    assert result.stderr == ('No project: pass --os-project-id or set '
                             'OS_PROJECT_ID (or give a URL ending in '
                             '/v1.0/<project>).\n')
    assert requests_mock.request_history == []


def test_a_token_without_keystone_is_sent_as_it_is(monkeypatch, flavors,
                                                   requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    monkeypatch.setenv('OS_TOKEN', 'given-token')
    flavors(fx.BASE)
    assert fx.run('flavor', 'list').code == 0
    assert requests_mock.request_history[0].headers['X-Auth-Token'] == \
        'given-token'


def test_keystone_password_auth_uses_token_and_catalogue(monkeypatch,
                                                         keystone, flavors):
    for name, value in {'OS_AUTH_URL': KEYSTONE, 'OS_USERNAME': 'alice',
                        'OS_PASSWORD': 'pw', 'OS_PROJECT_NAME': 'demo',
                        'OS_USER_DOMAIN_ID': 'default',
                        'OS_PROJECT_DOMAIN_ID': 'default'}.items():
        monkeypatch.setenv(name, value)
    flavors('http://trove.test:8779/v1.0/proj-1')
    result = fx.run('flavor', 'list', '-f', 'value', '-c', 'name')
    assert result.code == 0, result.stderr
    assert result.stdout == 'tiny\nsmall\nbig\n'
    auth = keystone.request_history[1].json()['auth']
    assert auth['identity']['password']['user']['name'] == 'alice'
    assert auth['scope']['project']['name'] == 'demo'
    (request,) = api_requests(keystone)
    assert request.headers['X-Auth-Token'] == TOKEN


def test_keystone_with_url_uses_the_tokens_project(monkeypatch, keystone,
                                                   flavors):
    flavors('http://other.test:8779/v1.0/proj-1')
    result = fx.run('--os-auth-url', KEYSTONE, '--os-username', 'alice',
                    '--os-password', 'pw', '--os-project-name', 'demo',
                    '--os-user-domain-id', 'default',
                    '--os-project-domain-id', 'default',
                    '--url', 'http://other.test:8779', 'flavor', 'list')
    assert result.code == 0, result.stderr
    assert keystone.request_history[-1].headers['X-Auth-Token'] == TOKEN


def test_keystone_token_auth(monkeypatch, keystone, flavors):
    monkeypatch.setenv('OS_AUTH_URL', KEYSTONE)
    monkeypatch.setenv('OS_TOKEN', 'user-token')
    monkeypatch.setenv('OS_PROJECT_ID', 'proj-1')
    flavors('http://trove.test:8779/v1.0/proj-1')
    assert fx.run('flavor', 'list').code == 0
    auth = keystone.request_history[1].json()['auth']
    assert auth['identity']['token']['id'] == 'user-token'


def test_keystone_refusing_the_credentials_is_one_line(monkeypatch,
                                                       requests_mock):
    requests_mock.get(KEYSTONE, json={
        'version': ksa_fixture.V3Discovery(KEYSTONE)})
    requests_mock.post(f'{KEYSTONE}/auth/tokens', status_code=401, json={
        'error': {'code': 401, 'message': 'The request you have made '
                                          'requires authentication.'}})
    result = fx.run('--os-auth-url', KEYSTONE, '--os-username', 'alice',
                    '--os-password', 'wrong', '--os-project-name', 'demo',
                    'flavor', 'list')
    assert result.code == 1
    assert result.stderr.startswith('Keystone: ')
    assert len(result.stderr.splitlines()) == 1
    assert 'wrong' not in result.stderr


def test_keystone_without_a_password_names_the_missing_option(monkeypatch):
    monkeypatch.setenv('OS_AUTH_URL', KEYSTONE)
    result = fx.run('flavor', 'list')
    assert result.code == 1
    assert result.stderr == ('Keystone authentication (password) needs '
                             '--os-password.\n')


def test_catalogue_without_trove_says_so(monkeypatch, requests_mock):
    token = ksa_fixture.V3Token(project_id='proj-1')
    requests_mock.get(KEYSTONE, json={
        'version': ksa_fixture.V3Discovery(KEYSTONE)})
    requests_mock.post(f'{KEYSTONE}/auth/tokens', json=token,
                       headers={'X-Subject-Token': TOKEN})
    result = fx.run('--os-auth-url', KEYSTONE, '--os-token', 't',
                    '--os-project-id', 'proj-1', 'flavor', 'list')
    assert result.code == 1
    assert result.stderr.startswith(
        "The Keystone catalogue has no 'database' endpoint")


def test_auth_type_none_ignores_keystone_variables(monkeypatch, flavors,
                                                   requests_mock):
    monkeypatch.setenv('OS_AUTH_URL', KEYSTONE)
    monkeypatch.setenv('OS_AUTH_TYPE', 'none')
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    flavors(fx.BASE)
    assert fx.run('flavor', 'list').code == 0
    assert [r.netloc for r in requests_mock.request_history] == [
        'trove.test:8779']


def test_unknown_auth_type(monkeypatch):
    result = fx.run('--os-auth-type', 'kerberos-magic', '--os-auth-url',
                    KEYSTONE, 'flavor', 'list')
    assert result.code == 1
    assert result.stderr.startswith("Unknown --os-auth-type "
                                    "'kerberos-magic'")


def test_unreachable_api_is_one_line(monkeypatch, requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    requests_mock.get(f'{fx.BASE}/flavors',
                      exc=requests.exceptions.ConnectionError(
                          ConnectionRefusedError(111, 'Connection refused')))
    result = fx.run('flavor', 'list')
    assert result.code == 1
    assert result.stderr == (f'Cannot reach the trove-lite API at '
                             f'{fx.BASE}: Connection refused\n')


def test_errors_without_fault_bodies(monkeypatch, requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    requests_mock.get(f'{fx.BASE}/flavors', status_code=502,
                      text='<html><body>Bad   gateway</body></html>')
    result = fx.run('flavor', 'list')
    assert result.stderr == ('HTTP 502: <html><body>Bad gateway</body>'
                             '</html>\n')


def test_debug_shows_the_traceback(monkeypatch, requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    requests_mock.get(f'{fx.BASE}/flavors', status_code=500, json={
        'instanceFault': {'code': 500, 'message': 'Internal Server Error.'}})
    quiet = fx.run('flavor', 'list')
    debug = fx.run('--debug', 'flavor', 'list')
    assert quiet.stderr == 'Internal Server Error. (HTTP 500)\n'
    assert 'Traceback' in debug.stderr and debug.code == 1


def test_debug_logs_requests_without_passwords(monkeypatch, requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    requests_mock.get(f'{fx.BASE}/instances/i1',
                      json={'instance': fx.instance(id='i1')})
    requests_mock.post(f'{fx.BASE}/instances/i1/users', status_code=202)
    result = fx.run('--debug', 'user', 'create', 'i1', 'bob', '--password',
                    'Sup3rSecret')
    assert result.code == 0
    assert 'POST' in result.stderr and '/users' in result.stderr
    assert 'Sup3rSecret' not in result.stderr


COMMANDS = sorted(
    name for name, _ in main.TroveLiteApp().command_manager)


def test_the_issue_command_set_is_there():
    assert set(COMMANDS) >= {
        'instance create', 'instance list', 'instance show',
        'instance delete', 'instance restart', 'instance resize flavor',
        'instance resize volume', 'instance reset-status',
        'instance connect', 'db create', 'db list', 'db delete',
        'user create', 'user list', 'user show', 'user delete',
        'user grant-access', 'user revoke-access', 'user show-access',
        'user set', 'root enable', 'root show', 'root disable',
        'flavor list', 'flavor show', 'datastore list', 'datastore show',
        'datastore version list', 'datastore version show', 'complete',
        'help'}


@pytest.mark.parametrize('name', COMMANDS)
def test_every_command_has_help(name):
    result = fx.run(*name.split(), '--help')
    assert result.code == 0
    assert f'usage: trove-lite {name}' in result.stdout


def test_bash_completion_knows_the_commands():
    result = fx.run('complete')
    assert result.code == 0
    assert '_trove_lite()' in result.stdout
    assert 'instance' in result.stdout and 'grant-access' in result.stdout


def test_version():
    result = fx.run('--version')
    assert result.code == 0
    assert result.stdout.split()[-1] == importlib.metadata.version(
        'trove-lite')


def test_unreachable_keystone_is_one_line(monkeypatch, requests_mock):
    requests_mock.get(KEYSTONE, exc=requests.exceptions.ConnectionError(
        ConnectionRefusedError(111, 'Connection refused')))
    requests_mock.post(f'{KEYSTONE}/auth/tokens',
                       exc=requests.exceptions.ConnectionError(
                           ConnectionRefusedError(111, 'Connection '
                                                       'refused')))
    result = fx.run('--os-auth-url', KEYSTONE, '--os-username', 'alice',
                    '--os-password', 'pw', 'flavor', 'list')
    assert (result.code, result.stderr) == (
        1, f'Cannot reach Keystone at {KEYSTONE}: Connection refused\n')


def test_a_url_that_is_not_the_api_is_one_line(monkeypatch, requests_mock):
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    requests_mock.get(f'{fx.BASE}/flavors', text='<html>hello</html>')
    result = fx.run('flavor', 'list')
    assert (result.code, result.stderr) == (
        1, 'GET /flavors answered HTTP 200 with a body that is not JSON: '
           'is --url a trove-lite API?\n')


def test_a_shell_set_up_for_openstack_auth_type_none_works(monkeypatch,
                                                           flavors):
    monkeypatch.setenv('OS_AUTH_TYPE', 'none')
    monkeypatch.setenv('OS_ENDPOINT', fx.BASE)
    flavors(fx.BASE)
    assert fx.run('flavor', 'list').code == 0


def test_trove_lite_url_wins_over_os_endpoint(monkeypatch, flavors):
    monkeypatch.setenv('OS_ENDPOINT', 'http://elsewhere:1/v1.0/x')
    monkeypatch.setenv('TROVE_LITE_URL', fx.BASE)
    flavors(fx.BASE)
    assert fx.run('flavor', 'list').code == 0
