"""``trove-lite instance ...`` against a fake API: the requests each
command sends and what it prints."""

import json

import pytest
import yaml

from tests.unit import cli_fixtures as fx
from trove_lite.cli import waiting


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    fx.no_sleeping(monkeypatch, waiting)


@pytest.fixture
def api(requests_mock):
    requests_mock.get(f'{fx.BASE}/flavors/small', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/flavors/tiny', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/flavors', json={'flavors': fx.FLAVORS})
    requests_mock.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}',
                      json={'instance': fx.instance()})
    requests_mock.get(f'{fx.BASE}/instances/shop', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/instances',
                      json={'instances': [fx.instance()]})
    return requests_mock


def posted(api, path):
    return [request.json() for request in api.request_history
            if request.method == 'POST' and request.path == path]


def test_create_sends_trove_body_and_prints_the_instance(api):
    api.post(f'{fx.BASE}/instances',
             json={'instance': fx.instance('BUILD', '')})
    result = fx.run('instance', 'create', 'shop', '--flavor', 'small',
                    '--size', '2', '--datastore', 'mariadb',
                    '--datastore-version', '10.11', '--database', 'shop',
                    '--user', 'shop:p@ss:w0rd',
                    '--user', 'app@10.0.0.%:pw2', '-f', 'json')
    assert result.code == 0, result.stderr
    shop = [{'name': 'shop'}]
    assert posted(api, '/v1.0/p1/instances') == [{'instance': {
        'name': 'shop', 'flavorRef': '2', 'volume': {'size': 2},
        'datastore': {'type': 'mariadb', 'version': '10.11'},
        'databases': shop,
        'users': [
            {'name': 'shop', 'password': 'p@ss:w0rd', 'databases': shop},
            {'name': 'app', 'host': '10.0.0.%', 'password': 'pw2',
             'databases': shop}]}}]
    shown = json.loads(result.stdout)
    assert shown['status'] == 'BUILD' and shown['id'] == fx.INSTANCE_ID
    assert 'p@ss' not in result.stdout + result.stderr


def test_create_with_a_flavor_id_and_no_optional_parts(api):
    api.get(f'{fx.BASE}/flavors/big-one', json={'flavor': fx.FLAVORS[2]})
    api.post(f'{fx.BASE}/instances',
             json={'instance': fx.instance('BUILD', '')})
    assert fx.run('instance', 'create', 'x', '--flavor', 'big-one').code == 0
    assert posted(api, '/v1.0/p1/instances') == [
        {'instance': {'name': 'x', 'flavorRef': 'big-one'}}]


def test_create_wait_shows_progress_and_prints_the_ready_instance(api):
    api.post(f'{fx.BASE}/instances',
             json={'instance': fx.instance('BUILD', '')})
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', [
        {'json': {'instance': fx.instance('BUILD', '')}},
        {'json': {'instance': fx.instance()}}])
    result = fx.run('instance', 'create', 'shop', '--flavor', 'small',
                    '--size', '1', '--wait', '-f', 'value', '-c', 'status',
                    '-c', 'ip')
    assert result.code == 0
    assert result.stdout == 'ACTIVE\n127.0.2.7\n'
    assert result.stderr.splitlines() == [
        'Instance shop: BUILD after 0.0s',
        'Instance shop: ACTIVE HEALTHY after 0.5s']


def test_create_wait_ending_in_error_exits_1_with_the_fault(api):
    api.post(f'{fx.BASE}/instances',
             json={'instance': fx.instance('BUILD', '')})
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', json={
        'instance': fx.instance('ERROR', 'ERROR', fault={
            'message': 'The guest did not report healthy within 400 '
                       'seconds.', 'created': 'x', 'details': None})})
    result = fx.run('instance', 'create', 'shop', '--flavor', 'small',
                    '--size', '1', '--wait')
    assert result.code == 1
    assert result.stdout == ''
    assert result.stderr.splitlines()[-1] == (
        'Instance shop went to ERROR during the build: The guest did not '
        'report healthy within 400 seconds.')
    assert 'Traceback' not in result.stderr


def test_create_refused_by_the_api_prints_the_fault_in_one_line(api):
    api.post(f'{fx.BASE}/instances', status_code=400, json={
        'badRequest': {'code': 400, 'message': 'Volume size was not '
                                               'specified.'}})
    result = fx.run('instance', 'create', 'shop', '--flavor', 'small')
    assert (result.code, result.stdout) == (1, '')
    assert result.stderr == 'Volume size was not specified. (HTTP 400)\n'


@pytest.mark.parametrize('argv, message', [
    (['--user', 'emptypassword:'], 'expected NAME[@HOST][:PASSWORD]'),
    (['--user', 'name@:pw'], 'expected NAME[@HOST][:PASSWORD]'),
    (['--size', '0'], 'must be at least 1'),
    (['--timeout', 'soon'], 'not a number of seconds'),
])
def test_create_argument_errors_exit_2_before_any_request(api, argv,
                                                          message):
    result = fx.run('instance', 'create', 'shop', '--flavor', 'small',
                    *argv)
    assert result.code == 2
    assert message in result.stderr
    assert api.request_history == []


def test_create_reads_passwords_from_a_file_not_the_command_line(
        api, tmp_path):
    api.post(f'{fx.BASE}/instances',
             json={'instance': fx.instance('BUILD', '')})
    password_file = tmp_path / 'password'
    password_file.write_text('s3cret:from@file\n')
    result = fx.run('instance', 'create', 'shop', '--flavor', 'small',
                    '--size', '1', '--database', 'shop', '--user', 'shop',
                    '--user', 'app@10.0.0.%:pw2',
                    '--user-password-file', str(password_file))
    assert result.code == 0, result.stderr
    shop = [{'name': 'shop'}]
    assert posted(api, '/v1.0/p1/instances')[0]['instance']['users'] == [
        {'name': 'shop', 'password': 's3cret:from@file', 'databases': shop},
        {'name': 'app', 'host': '10.0.0.%', 'password': 'pw2',
         'databases': shop}]
    assert 's3cret' not in result.stdout + result.stderr


@pytest.mark.parametrize('argv, message', [
    ([], 'needs --user-password-file'),
    (['--user-password-file', '/nonexistent/pw'], 'Cannot read'),
    (['--user-password-file', '/dev/null'], 'is empty'),
])
def test_a_user_without_a_password_needs_a_readable_password_file(
        api, argv, message):
    result = fx.run('instance', 'create', 'shop', '--flavor', 'small',
                    '--size', '1', '--user', 'shop', *argv)
    assert result.code == 1
    assert message in result.stderr
    assert posted(api, '/v1.0/p1/instances') == []


def test_list_follows_next_links_and_prints_a_table(api):
    second = fx.instance(id='7e2bd2e6-0000-4000-8000-000000000002',
                         name='blog', status='BUILD', operating_status='')
    api.get(f'{fx.BASE}/instances', [
        {'json': {'instances': [fx.instance()], 'links': [{
            'rel': 'next',
            'href': f'https://trove.test/v1.0/p1/instances?marker='
                    f'{fx.INSTANCE_ID}'}]}},
        {'json': {'instances': [second]}}])
    result = fx.run('instance', 'list')
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert [cell.strip() for cell in lines[1].split('|')[1:-1]] == [
        'id', 'name', 'datastore', 'datastore_version', 'status',
        'operating_status', 'ip', 'flavor', 'volume']
    assert 'shop' in lines[3] and '127.0.2.7' in lines[3]
    assert 'blog' in lines[4] and 'BUILD' in lines[4]
    assert api.request_history[-1].qs == {'marker': [fx.INSTANCE_ID]}


def test_show_finds_an_instance_by_name(api):
    result = fx.run('instance', 'show', 'shop', '-f', 'yaml')
    assert result.code == 0
    shown = yaml.safe_load(result.stdout)
    assert shown['id'] == fx.INSTANCE_ID and shown['flavor'] == '2'
    assert shown['volume'] == 1 and shown['ip'] == '127.0.2.7'
    assert [request.path for request in api.request_history] == [
        '/v1.0/p1/instances/shop', '/v1.0/p1/instances',
        f'/v1.0/p1/instances/{fx.INSTANCE_ID}']


def test_show_of_an_unknown_instance_exits_1(api):
    api.get(f'{fx.BASE}/instances/nope', **fx.not_found())
    result = fx.run('instance', 'show', 'nope')
    assert result.code == 1
    assert result.stderr == "No instance with a name or ID of 'nope' " \
                            "exists.\n"


def test_show_refuses_an_ambiguous_name(api):
    api.get(f'{fx.BASE}/instances', json={'instances': [
        fx.instance(), fx.instance(id='other')]})
    result = fx.run('instance', 'show', 'shop')
    assert result.code == 1
    assert "2 instances are named 'shop'; give the ID." in result.stderr


def test_show_includes_the_fault_of_a_failed_instance(api):
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', json={
        'instance': fx.instance('ERROR', 'ERROR', fault={
            'message': 'boom', 'created': 'x', 'details': None})})
    result = fx.run('instance', 'show', fx.INSTANCE_ID, '-f', 'value',
                    '-c', 'fault')
    assert (result.code, result.stdout) == (0, 'boom\n')


def test_delete_wait_until_gone(api):
    api.delete(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', status_code=202)
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', [
        {'json': {'instance': fx.instance()}},
        {'json': {'instance': fx.instance('SHUTDOWN', '')}},
        fx.not_found()])
    result = fx.run('instance', 'delete', fx.INSTANCE_ID, '--wait')
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines() == [
        'Instance shop: SHUTDOWN after 0.0s',
        'Instance shop: DELETED after 0.5s']
    assert [r.method for r in api.request_history].count('DELETE') == 1


def test_delete_without_wait_says_it_was_accepted(api):
    api.delete(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', status_code=202)
    result = fx.run('instance', 'delete', 'shop')
    assert (result.code, result.stdout) == (0, '')
    assert result.stderr == 'Accepted the deletion of instance shop.\n'


@pytest.mark.parametrize('argv, body', [
    (['restart'], {'restart': {}}),
    (['resize', 'flavor', 'shop', 'tiny'], {'resize': {'flavorRef': '1'}}),
    (['resize', 'volume', 'shop', '3'], {'resize': {'volume': {'size': 3}}}),
    (['reset-status'], {'reset_status': {}}),
])
def test_actions_post_trove_action_bodies(api, argv, body):
    api.post(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/action',
             status_code=202)
    if len(argv) == 1:
        argv = argv + ['shop']
    result = fx.run('instance', *argv)
    assert result.code == 0, result.stderr
    assert posted(api, f'/v1.0/p1/instances/{fx.INSTANCE_ID}/action') == [
        body]


def test_restart_wait_follows_reboot_to_ready(api):
    api.post(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/action',
             status_code=202)
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', [
        {'json': {'instance': fx.instance()}},
        {'json': {'instance': fx.instance('REBOOT', '')}},
        {'json': {'instance': fx.instance()}}])
    result = fx.run('instance', 'restart', fx.INSTANCE_ID, '--wait')
    assert result.code == 0
    assert result.stderr.splitlines()[-1].startswith(
        'Instance shop: ACTIVE HEALTHY after')


def test_resize_volume_wait_ends_when_the_new_size_is_reported(api):
    api.post(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/action',
             status_code=202)
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', [
        {'json': {'instance': fx.instance()}},
        {'json': {'instance': fx.instance('RESIZE', '')}},
        {'json': {'instance': fx.instance(volume={'size': 3})}}])
    result = fx.run('instance', 'resize', 'volume', fx.INSTANCE_ID, '3',
                    '--wait')
    assert result.code == 0, result.stderr
    assert len([r for r in api.request_history if r.method == 'GET']) == 3


def test_resize_that_the_api_refuses_exits_1(api):
    api.post(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/action',
             status_code=422, json={'unprocessableEntity': {
                 'code': 422, 'message': 'Instance is not currently '
                                         'available for an action.'}})
    result = fx.run('instance', 'resize', 'volume', 'shop', '3')
    assert result.code == 1
    assert result.stderr == ('Instance is not currently available for an '
                             'action. (HTTP 422)\n')


def test_connect_prints_the_mariadb_command_without_a_password(api):
    result = fx.run('instance', 'connect', 'shop', '--user', 'shop',
                    '--database', 'shop')
    assert (result.code, result.stderr) == (0, '')
    assert result.stdout == 'mariadb -h 127.0.2.7 -P 3306 -u shop -p shop\n'


def test_connect_prints_a_line_per_user_of_the_instance(api):
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/users', json={
        'users': [
            {'name': 'shop', 'host': '%',
             'databases': [{'name': 'shop'}, {'name': 'b'}]},
            {'name': "o'brien", 'host': '%', 'databases': []}]})
    result = fx.run('instance', 'connect', 'shop')
    assert result.code == 0
    assert result.stdout.splitlines() == [
        'mariadb -h 127.0.2.7 -P 3306 -u shop -p shop',
        "mariadb -h 127.0.2.7 -P 3306 -u 'o'\"'\"'brien' -p"]


def test_connect_needs_an_address(api):
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}',
            json={'instance': fx.instance('BUILD', '')})
    result = fx.run('instance', 'connect', fx.INSTANCE_ID, '--user', 'u')
    assert result.code == 1
    assert result.stderr == ('Instance shop has no address yet (status '
                             'BUILD).\n')


def test_connect_without_user_when_users_cannot_be_listed(api):
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/users',
            status_code=501, json={'notImplemented': {
                'code': 501, 'message': 'Not supported.'}})
    result = fx.run('instance', 'connect', 'shop')
    assert result.code == 1
    assert result.stderr == ('Cannot list the users of instance shop (Not '
                             'supported. (HTTP 501)); pass --user.\n')


def test_delete_wait_of_a_failed_instance_waits_until_gone(api):
    api.delete(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', status_code=202)
    failed = fx.instance('ERROR', '', fault={'message': 'x', 'created': 'x',
                                             'details': None})
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}', [
        {'json': {'instance': failed}}, {'json': {'instance': failed}},
        fx.not_found()])
    result = fx.run('instance', 'delete', fx.INSTANCE_ID, '--wait')
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        'Instance shop: DELETED after')
