"""An instance's database logs through the real API, guest and local
backup storage: the slow query log enabled live, a slow query run,
published and read back from the storage, with python-troveclient's
log calls and the CLI; discard; the error log after a restart."""

import os
import uuid

import pytest
from oslo_config import cfg

from tests.functional import clients
from tests.functional.stack import connect
from trove_lite import storage
from trove_lite.conf import storage as storage_conf

pytestmark = pytest.mark.functional

APP_PASSWORD = 'logs-app-pass-1'


@pytest.fixture(scope='module')
def instance(stack):
    api = stack.api('demo')
    created = api.create_instance(
        name='logs', users=[{'name': 'app', 'password': APP_PASSWORD}])
    return api.wait_active(created['id'])


@pytest.fixture(scope='module')
def store(stack):
    """The demo project's backup storage, as the guests write it."""
    conf = cfg.ConfigOpts()
    storage_conf.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('storage_local_path',
                      os.path.join(stack.state_path, 'storage'))
    return storage.get_storage('demo', conf)


def published(store, log):
    """The text of the published parts of ``log`` (its description), in
    order."""
    container = log['container']
    project, prefix = log['prefix'].split('/', 1)
    assert project == 'demo'
    text = b''
    for info in store.list(container, prefix):
        with store.load(info.location) as reader:
            text += b''.join(reader)
    return text.decode()


def action(api, instance, **body):
    response = api.post(f'/instances/{instance["id"]}/log', body)
    assert response.status_code == 200, response.text
    return response.json()['log']


def test_logs_are_listed_with_trove_fields(api, instance):
    response = api.get(f'/instances/{instance["id"]}/log')
    assert response.status_code == 200, response.text
    logs = {log['name']: log for log in response.json()['logs']}
    assert set(logs) == {'general', 'slow_query', 'error'}
    assert logs['slow_query']['status'] == 'Disabled'
    assert logs['error']['type'] == 'SYS'
    assert logs['slow_query']['prefix'] == \
        f'demo/{instance["id"]}/mariadb-slow_query/'


def test_slow_query_log_is_enabled_published_and_read_back(
        stack, api, instance, store):
    client = clients.troveclient(stack, 'demo')
    log = client.instances.log_action(instance['id'], 'slow_query',
                                      enable=True)
    assert log.status == 'Enabled'
    needle = f'needle_{uuid.uuid4().hex}'
    with connect(instance['ip'][0], 'app', APP_PASSWORD) as connection:
        cursor = connection.cursor()
        cursor.execute('SET SESSION long_query_time = 0')
        cursor.execute(f'SELECT SLEEP(0.01) AS {needle}')

    shown = client.instances.log_show(instance['id'], 'slow_query')
    assert shown.pending > 0 and shown.status == 'Enabled'
    log = client.instances.log_action(instance['id'], 'slow_query',
                                      publish=True)
    assert (log.status, log.pending) == ('Published', 0)
    assert needle in published(store, log._info)
    names = [item.name for item in client.instances.log_list(
        instance['id'])]
    assert sorted(names) == ['error', 'general', 'slow_query']

    # Only what is new goes out on the next publish.
    before = published(store, log._info)
    with connect(instance['ip'][0], 'app', APP_PASSWORD) as connection:
        cursor = connection.cursor()
        cursor.execute('SET SESSION long_query_time = 0')
        cursor.execute(f'SELECT 2 AS second_{needle}')
    log = action(api, instance, name='slow_query', publish=1)
    after = published(store, log)
    assert after.startswith(before) and f'second_{needle}' in after[
        len(before):]

    discarded = action(api, instance, name='slow_query', discard=1)
    assert discarded['status'] == 'Enabled'
    assert published(store, discarded) == ''

    disabled = action(api, instance, name='slow_query', disable=1)
    assert disabled['status'] == 'Disabled'


def test_the_cli_lists_enables_and_publishes(stack, instance):
    listed = clients.trove_lite(stack, 'demo', 'log', 'list',
                                instance['name'], '-f', 'json')
    assert listed.code == 0, listed.stderr
    assert {log['name'] for log in listed.json()} == {
        'general', 'slow_query', 'error'}
    for command, status in (('enable', 'Enabled'), ('publish', 'Published'),
                            ('disable', 'Disabled')):
        result = clients.trove_lite(stack, 'demo', 'log', command,
                                    instance['id'], 'general', '-f', 'json')
        assert result.code == 0, result.stderr
        assert result.json()['status'] == status


def test_the_error_log_tells_of_the_restart(api, instance, store):
    path = f'/instances/{instance["id"]}/action'
    assert api.post(path, {'restart': {}}).status_code == 202
    api.wait_active(instance['id'])
    log = action(api, instance, name='error', publish=1)
    assert log['type'] == 'SYS' and log['status'] == 'Published'
    text = published(store, log)
    assert text.count('ready for connections') >= 2


@pytest.mark.parametrize('body, code', [
    ({'name': 'audit'}, 400), ({'name': 'error', 'disable': 1}, 400),
    ({'name': 'general', 'enable': 1, 'publish': 1}, 400),
    ({'nom': 'general'}, 400),
])
def test_bad_log_requests_are_4xx(api, instance, body, code):
    response = api.post(f'/instances/{instance["id"]}/log', body)
    assert response.status_code == code, response.text
    assert list(response.json()) == ['badRequest']


def test_another_projects_instance_has_no_logs(stack, instance):
    response = stack.api('other').get(f'/instances/{instance["id"]}/log')
    assert response.status_code == 404
