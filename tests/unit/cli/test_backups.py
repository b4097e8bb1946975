"""``trove-lite backup ...`` and ``instance create --backup`` against a
fake API: the requests each command sends, what it prints, and how
``--wait`` ends."""

import json

import pytest

from tests.unit import cli_fixtures as fx
from trove_lite.cli import backups

BACKUP_ID = '0b6c3c52-8a43-4d3e-9f5e-2b1d7c9e4a10'
PARENT_ID = '5f0e9d7a-1c2b-4e3f-8a9b-6c7d8e9f0a1b'


def backup(status='COMPLETED', **extra):
    return dict({
        'id': BACKUP_ID, 'name': 'nightly', 'description': None,
        'locationRef': f'local://database_backups/p1/{BACKUP_ID}.xbstream',
        'instance_id': fx.INSTANCE_ID, 'created': '2026-12-06T10:00:00',
        'updated': '2026-12-06T10:00:05', 'size': 0.0001,
        'status': status, 'parent_id': None, 'project_id': 'p1',
        'datastore': {'type': 'mariadb', 'version': '10.11',
                      'version_id': 'v-1'}}, **extra)


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    fx.no_sleeping(monkeypatch, backups)


@pytest.fixture
def api(requests_mock):
    requests_mock.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}',
                      json={'instance': fx.instance()})
    requests_mock.get(f'{fx.BASE}/instances/shop', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/instances',
                      json={'instances': [fx.instance()]})
    requests_mock.get(f'{fx.BASE}/backups/{BACKUP_ID}',
                      json={'backup': backup()})
    requests_mock.get(f'{fx.BASE}/backups/nightly', **fx.not_found())
    requests_mock.get(f'{fx.BASE}/backups',
                      json={'backups': [backup()]})
    return requests_mock


def posted(api, path):
    return [request.json() for request in api.request_history
            if request.method == 'POST' and request.path == path]


def test_create_sends_trove_body_and_waits_with_progress(api):
    api.post(f'{fx.BASE}/backups', json={'backup': backup('NEW')})
    api.get(f'{fx.BASE}/backups/{BACKUP_ID}', [
        {'json': {'backup': backup('NEW')}},
        {'json': {'backup': backup('BUILDING')}},
        {'json': {'backup': backup()}}])
    result = fx.run('backup', 'create', 'nightly', '--instance', 'shop',
                    '--description', 'before the upgrade', '--wait', '-f',
                    'json')
    assert result.code == 0, result.stderr
    assert posted(api, '/v1.0/p1/backups') == [{'backup': {
        'name': 'nightly', 'instance': fx.INSTANCE_ID,
        'description': 'before the upgrade'}}]
    assert json.loads(result.stdout)['status'] == 'COMPLETED'
    assert result.stderr.splitlines() == [
        'Backup nightly: NEW after 0.0s',
        'Backup nightly: BUILDING after 0.5s',
        'Backup nightly: COMPLETED after 1.0s']


def test_create_incremental_from_a_parent_by_name(api):
    parent = backup(id=PARENT_ID, name='full')
    api.get(f'{fx.BASE}/backups/full', **fx.not_found())
    api.get(f'{fx.BASE}/backups', json={'backups': [parent]})
    api.post(f'{fx.BASE}/backups', json={'backup': backup('NEW')})
    assert fx.run('backup', 'create', 'inc', '--instance', fx.INSTANCE_ID,
                  '--parent', 'full', '--swift-container', 'mine').code == 0
    assert fx.run('backup', 'create', 'inc2', '--instance', fx.INSTANCE_ID,
                  '--incremental').code == 0
    assert posted(api, '/v1.0/p1/backups') == [
        {'backup': {'name': 'inc', 'instance': fx.INSTANCE_ID,
                    'parent_id': PARENT_ID, 'swift_container': 'mine'}},
        {'backup': {'name': 'inc2', 'instance': fx.INSTANCE_ID,
                    'incremental': 1}}]
    both = fx.run('backup', 'create', 'x', '--instance', 'shop', '--parent',
                  'full', '--incremental')
    assert both.code == 2


def test_wait_ending_failed_exits_1_with_the_fault(api):
    api.post(f'{fx.BASE}/backups', json={'backup': backup('NEW')})
    api.get(f'{fx.BASE}/backups/{BACKUP_ID}', json={'backup': backup(
        'FAILED', fault='The backup failed: Backup storage is '
                        'unavailable: timed out')})
    result = fx.run('backup', 'create', 'nightly', '--instance', 'shop',
                    '--wait')
    assert (result.code, result.stdout) == (1, '')
    assert result.stderr.splitlines()[-1] == (
        'Backup nightly is FAILED: The backup failed: Backup storage is '
        'unavailable: timed out')
    assert 'Traceback' not in result.stderr


def test_wait_times_out(api):
    api.post(f'{fx.BASE}/backups', json={'backup': backup('NEW')})
    api.get(f'{fx.BASE}/backups/{BACKUP_ID}',
            json={'backup': backup('BUILDING')})
    result = fx.run('backup', 'create', 'nightly', '--instance', 'shop',
                    '--wait', '--timeout', '3')
    assert result.code == 1
    assert result.stderr.splitlines()[-1] == (
        'Timed out after 3s waiting for backup nightly (last status '
        'BUILDING).')


def test_list_filters_and_follows_next_links(api):
    second = backup(id=PARENT_ID, name='older')
    api.get(f'{fx.BASE}/instances/{fx.INSTANCE_ID}/backups', [
        {'json': {'backups': [backup()], 'links': [{
            'rel': 'next', 'href': f'{fx.BASE}/instances/{fx.INSTANCE_ID}'
                                   f'/backups?marker=1'}]}},
        {'json': {'backups': [second]}}])
    result = fx.run('backup', 'list', '--instance', 'shop', '--datastore',
                    'mariadb', '-f', 'value', '-c', 'name', '-c', 'status')
    assert result.code == 0, result.stderr
    assert result.stdout == 'nightly COMPLETED\nolder COMPLETED\n'
    queries = [request.qs for request in api.request_history
               if request.path.endswith('/backups')]
    assert queries == [{'datastore': ['mariadb']},
                       {'datastore': ['mariadb'], 'marker': ['1']}]


def test_show_by_name_and_unknown(api):
    result = fx.run('backup', 'show', 'nightly', '-f', 'json')
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)['id'] == BACKUP_ID
    api.get(f'{fx.BASE}/backups/nope', **fx.not_found())
    missing = fx.run('backup', 'show', 'nope')
    assert (missing.code, missing.stderr) == (
        1, "No backup with a name or ID of 'nope' exists.\n")


def test_delete_waits_until_gone(api):
    api.delete(f'{fx.BASE}/backups/{BACKUP_ID}', status_code=202)
    api.get(f'{fx.BASE}/backups/{BACKUP_ID}', [
        {'json': {'backup': backup()}}, {'json': {'backup': backup()}},
        fx.not_found()])
    result = fx.run('backup', 'delete', 'nightly', '--wait')
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == \
        'Backup nightly: DELETED after 1.0s'


def test_delete_refused_prints_the_fault(api):
    api.delete(f'{fx.BASE}/backups/{BACKUP_ID}', status_code=409, json={
        'conflict': {'code': 409, 'message': 'Backup has children.'}})
    result = fx.run('backup', 'delete', BACKUP_ID)
    assert (result.code, result.stderr) == (
        1, 'Backup has children. (HTTP 409)\n')


def test_instance_create_from_a_backup_takes_its_datastore(api):
    api.get(f'{fx.BASE}/flavors/tiny', **fx.not_found())
    api.get(f'{fx.BASE}/flavors', json={'flavors': fx.FLAVORS})
    api.post(f'{fx.BASE}/instances',
             json={'instance': fx.instance('BUILD', '')})
    assert fx.run('instance', 'create', 'copy', '--flavor', 'tiny',
                  '--size', '1', '--backup', 'nightly').code == 0
    assert fx.run('instance', 'create', 'copy', '--flavor', 'tiny',
                  '--size', '1', '--backup', BACKUP_ID, '--datastore',
                  'mysql').code == 0
    first, second = posted(api, '/v1.0/p1/instances')
    assert first['instance']['restorePoint'] == {'backupRef': BACKUP_ID}
    assert first['instance']['datastore'] == {'type': 'mariadb',
                                              'version': '10.11'}
    assert second['instance']['datastore'] == {'type': 'mysql'}


def test_list_of_every_project_asks_for_all_projects(api):
    result = fx.run('backup', 'list', '--all-projects', '-f', 'value', '-c',
                    'id')
    assert (result.code, result.stdout) == (0, f'{BACKUP_ID}\n')
    (request,) = [request for request in api.request_history
                  if request.path == '/v1.0/p1/backups']
    assert request.qs == {'all_projects': ['true']}
