"""The API reference against the running API: every documented call is
made, in an order that lets each one succeed, with its request sample as
the body; the answer must have a documented status and the structure of
its response sample (see tests/functional/api_ref.py). A sample that
drifts from the API, or a documented call this test does not make, fails.

Everything happens in a project of its own, so the quota changed here and
the instance made here touch no other test.
"""

import contextlib
import copy

import pytest
import requests

from tests.functional import api_ref
from tests.functional.stack import wait_until

pytestmark = pytest.mark.functional

PROJECT = 'api-ref'
ADMIN = {'X-Roles': 'admin'}
# Objects whose keys are data (parameter names, server settings).
FREE_FORM = ('$.configuration.values', '$.instance.configuration')
# A parameter the mgmt calls add and remove; not in the shipped catalogue.
NEW_PARAMETER = 'eq_range_index_dive_limit'


class SampleRun:
    """Makes documented calls and collects how the answers differ from
    their samples."""

    def __init__(self, stack):
        self.stack = stack
        self.calls = api_ref.documented_calls()
        self.made = set()
        self.problems = []
        self.path_values = {'project_id': PROJECT}

    def call(self, title, admin=False, changes=None, **path_values):
        """Make the documented call ``title``; its JSON answer (or None).
        ``changes`` replaces values of the request sample (dotted keys
        that the sample has) with ones valid on this stack."""
        documented = self.calls[title]
        self.made.add(title)
        self.path_values.update(path_values)
        body = None
        if documented.request:
            body = _changed(api_ref.load_sample(documented.request),
                            changes or {})
        response = requests.request(
            documented.method,
            self.stack.url + documented.path.format(**self.path_values),
            json=body, headers=ADMIN if admin else {}, timeout=60)
        self._check(documented, response)
        return response.json() if response.content else None

    def _check(self, documented, response):
        where = f'{documented.title} ({documented.method} ' \
                f'{documented.path})'
        if response.status_code not in documented.codes:
            self.problems.append(
                f'{where}: HTTP {response.status_code}, documented '
                f'{documented.codes}: {response.text[:300]}')
            return
        if documented.response is None:
            if response.content:
                self.problems.append(f'{where}: a body, none documented: '
                                     f'{response.text[:300]}')
            return
        self.problems += [
            f'{where} vs samples/{documented.response}: {difference}'
            for difference in api_ref.differences(
                api_ref.load_sample(documented.response), response.json(),
                free_form=FREE_FORM)]


def _changed(sample, changes):
    body = copy.deepcopy(sample)
    for dotted, value in changes.items():
        *parents, last = dotted.split('.')
        target = body
        for key in parents:
            target = target[key]
        assert last in target, f'the sample has no {dotted}'
        target[last] = value
    return body


def _users(api, instance_id):
    return {(user['name'], user['host']) for user in
            api.get(f'/instances/{instance_id}/users').json()['users']}


def _databases(api, instance_id):
    return {database['name'] for database in
            api.get(f'/instances/{instance_id}/databases').json()[
                'databases']}


def _wait_backup(api, instance_id, backup_id):
    wait_until(lambda: api.get(f'/backups/{backup_id}').json()['backup'][
        'status'] in ('COMPLETED', 'FAILED'), timeout=120, interval=0.2)
    assert api.get(f'/backups/{backup_id}').json()['backup'][
        'status'] == 'COMPLETED'
    api.wait_active(instance_id)


def _backups(run, api, instance_id, version):
    """The backup calls: a full backup (the sample's, with a description)
    and an incremental one without (the list samples show both shapes),
    a restore from the chain, then the deletes, children first."""
    full = run.call('Create backup', changes={
        'backup.instance': instance_id})['backup']
    run.path_values['backupId'] = full['id']
    _wait_backup(api, instance_id, full['id'])
    incremental = api.post('/backups', {'backup': {
        'name': 'hourly', 'instance': instance_id,
        'incremental': 1}}).json()['backup']
    _wait_backup(api, instance_id, incremental['id'])
    run.call('List backups')
    run.call('Show backup')
    run.call('List instance backups')
    restored = run.call('Create instance from a backup', changes={
        'instance.datastore.version': version,
        'instance.restorePoint.backupRef': incremental['id']})['instance']
    api.wait_active(restored['id'], timeout=120)
    api.delete(f'/instances/{restored["id"]}')
    assert api.delete(f'/backups/{incremental["id"]}').status_code == 202
    run.call('Delete backup')


@pytest.fixture
def sample_run(stack):
    run = SampleRun(stack)
    yield run
    api, admin = stack.api(PROJECT), stack.api(PROJECT)
    admin.session.headers.update(ADMIN)
    version_id = run.path_values.get('datastore_version_id')
    if version_id:
        admin.delete(f'/mgmt/datastores/versions/{version_id}/parameters/'
                     f'{NEW_PARAMETER}')
    for instance in api.get('/instances').json()['instances']:
        api.delete(f'/instances/{instance["id"]}')
        with contextlib.suppress(AssertionError):
            api.wait_gone(instance['id'])
    for group in api.get('/configurations').json()['configurations']:
        api.delete(f'/configurations/{group["id"]}')


def test_every_documented_call_answers_as_its_samples(stack, sample_run):
    run = sample_run
    api = stack.api(PROJECT)
    version = stack.version_name

    run.call('List API versions')
    run.call('Show API version')
    run.call('List flavors')
    run.call('Show flavor', flavorId='2')

    run.call('List datastores')
    run.call('Show datastore', datastore_name='mariadb')
    run.call('List datastore versions')
    shown = run.call('Show datastore version', version=version)
    version_id = shown['version']['id']
    run.call('Show datastore version by id', datastore_version_id=version_id)
    run.call('List configuration parameters')
    run.call('Show configuration parameter', parameter_name='max_connections')
    run.call('List configuration parameters by version id')
    run.call('Show configuration parameter by version id',
             parameter_name='sql_mode')

    run.call('List parameters (administration)', admin=True)
    run.call('Show parameter (administration)', admin=True,
             parameter_name='max_connections')
    run.call('Create parameter', admin=True)
    run.call('Update parameter', admin=True, parameter_name=NEW_PARAMETER)
    run.call('Delete parameter', admin=True)

    run.call('List limits')
    run.call('Show project quotas', user_project=PROJECT)
    run.call('Update project quotas', admin=True)

    group = run.call('Create configuration group', changes={
        'configuration.datastore.version': version})['configuration']
    run.call('List configuration groups')
    run.call('Show configuration group', configId=group['id'])

    created = run.call('Create instance', changes={
        'instance.datastore.version': version,
        'instance.configuration': group['id']})['instance']
    api.wait_active(created['id'])
    run.path_values['instanceId'] = created['id']
    run.call('List instances')
    run.call('List instances with details')
    run.call('Show instance')
    run.call('Show instance configuration')
    run.call('List configuration group instances')
    run.call('Patch configuration group')
    run.call('Update configuration group')
    run.call('Detach configuration group')
    run.call('Attach configuration group',
             changes={'instance.configuration': group['id']})
    run.call('Rename instance')
    run.call('Update instance access')
    api.wait_for(created['id'], lambda i: i['access'].get('allowed_cidrs')
                 and i['operating_status'] == 'HEALTHY')
    run.call('Set instance backup policy')

    run.call('Create databases')
    wait_until(lambda: 'orders' in _databases(api, created['id']))
    run.call('List databases')
    run.call('Create users')
    wait_until(lambda: ('bob', '10.0.0.0/8') in _users(api, created['id']))
    run.call('List users')
    run.call('Show user', user_name='shop')
    run.call('List user access')
    run.call('Grant user access')
    run.call('Revoke user access', databaseName='orders')
    run.call('Change user passwords')
    run.call('Update user attributes', user_name='bob@10.0.0.0/8')
    wait_until(lambda: ('robert', '10.0.0.0/8') in _users(api,
                                                           created['id']))
    run.call('Delete user', user_name='robert@10.0.0.0/8')
    run.call('Delete database')

    run.call('List instance logs')
    run.call('Act on an instance log')

    run.call('Show root status')
    run.call('Enable root')
    run.call('Disable root')

    _backups(run, api, created['id'], version)

    run.call('Restart instance')
    api.wait_active(created['id'])
    run.call('Resize instance flavor')
    api.wait_for(created['id'], lambda i: i['flavor']['id'] == '3' and
                 i['status'] == 'ACTIVE')
    api.wait_active(created['id'])
    run.call('Resize instance volume')
    api.wait_for(created['id'], lambda i: i['volume']['size'] == 2 and
                 i['status'] == 'ACTIVE')
    run.call('Reset instance status', admin=True)

    run.call('Delete instance')
    api.wait_gone(created['id'])
    run.call('Delete configuration group')

    assert sorted(set(run.calls) - run.made -
                  set(api_ref.CHECKED_ELSEWHERE)) == [], \
        'documented calls this test does not make'
    assert not run.problems, '\n'.join(run.problems)


def test_the_fault_sample_is_what_a_refused_create_answers(stack):
    response = stack.api(PROJECT).post(
        '/instances', api_ref.load_sample('fault-request.json'))
    sample = api_ref.load_sample('fault-response.json')
    assert response.status_code == sample['badRequest']['code']
    assert api_ref.differences(sample, response.json()) == []
    assert response.json() == sample
