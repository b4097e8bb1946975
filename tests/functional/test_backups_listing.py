"""Listing backups as Trove does: ``GET /backups`` newest first in pages
(``limit``, ``marker`` an offset, a ``next`` link), filtered by
``?instance_id=`` and ``?datastore=``, every project's with
``?all_projects`` for administrators only; ``GET
/instances/{id}/backups``. Another project's backups never show."""


import pytest

from tests.functional.backup_helpers import backup_completed
from tests.functional.backup_helpers import make_instance
from tests.functional.backup_helpers import next_second
from tests.functional.backup_helpers import remove_instances

pytestmark = pytest.mark.functional

PROJECT = 'bk-list'
OTHER = 'bk-list-other'
ADMIN = {'X-Roles': 'admin'}


@pytest.fixture(scope='module', autouse=True)
def cleanup(stack):
    yield
    remove_instances(stack, PROJECT, OTHER)


@pytest.fixture(scope='module')
def backups(stack):
    """{'a': instance, 'b': instance, 'other': instance, 'a_ids': [newest
    first], 'b_ids': [...], 'other_ids': [...]}."""
    api, other = stack.api(PROJECT), stack.api(OTHER)
    found = {'a': make_instance(api, 'list-a'),
             'b': make_instance(api, 'list-b'),
             'other': make_instance(other, 'list-other')}
    full = backup_completed(api, found['a'], 'a-full')
    next_second()
    incremental = backup_completed(api, found['a'], 'a-inc', incremental=1)
    next_second()
    found['a_ids'] = [incremental['id'], full['id']]
    found['b_ids'] = [backup_completed(api, found['b'], 'b-full')['id']]
    found['other_ids'] = [backup_completed(other, found['other'],
                                           'other-full')['id']]
    return found


def listed(api, path, headers=None, **params):
    response = api.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page):
    return [backup['id'] for backup in page['backups']]


def test_pages_follow_the_next_link(stack, backups):
    api = stack.api(PROJECT)
    everything = backups['b_ids'] + backups['a_ids']
    assert ids(listed(api, '/backups')) == everything
    first = listed(api, '/backups', limit=2)
    assert ids(first) == everything[:2]
    (link,) = [link for link in first['links'] if link['rel'] == 'next']
    assert 'marker=2' in link['href']
    second = listed(api, '/backups', limit=2, marker=2)
    assert ids(second) == everything[2:]
    assert 'links' not in second or not [
        link for link in second['links'] if link['rel'] == 'next']
    response = api.get('/backups', params={'marker': 'x'})
    assert response.status_code == 400, response.text
    assert 'badRequest' in response.json()


def test_filters_by_instance_and_datastore(stack, backups):
    api = stack.api(PROJECT)
    assert ids(listed(api, '/backups', instance_id=backups['a']['id'])) == \
        backups['a_ids']
    assert ids(listed(api, '/backups', instance_id=backups['b']['id'])) == \
        backups['b_ids']
    # Another project's instance lists nothing.
    assert ids(listed(api, '/backups',
                      instance_id=backups['other']['id'])) == []
    assert ids(listed(api, '/backups', datastore='mariadb')) == \
        backups['b_ids'] + backups['a_ids']
    assert ids(listed(api, '/backups', datastore='mysql')) == []
    response = api.get('/backups', params={'datastore': 'nosuch'})
    assert response.status_code == 404, response.text


def test_instance_backups(stack, backups):
    api = stack.api(PROJECT)
    path = f'/instances/{backups["a"]["id"]}/backups'
    assert ids(listed(api, path)) == backups['a_ids']
    first = listed(api, path, limit=1)
    assert ids(first) == backups['a_ids'][:1]
    assert ids(listed(api, path, limit=1, marker=1)) == backups['a_ids'][1:]
    response = api.get(f'/instances/{backups["other"]["id"]}/backups')
    assert response.status_code == 404, response.text


def test_all_projects_is_for_administrators(stack, backups):
    api = stack.api(PROJECT)
    response = api.get('/backups', params={'all_projects': 'true'})
    assert response.status_code == 403, response.text
    everything = ids(listed(api, '/backups', all_projects='true',
                            headers=ADMIN))
    assert set(backups['a_ids'] + backups['b_ids'] +
               backups['other_ids']) <= set(everything)
    # Without it, an administrator too sees its own project's.
    assert ids(listed(api, '/backups', headers=ADMIN)) == \
        backups['b_ids'] + backups['a_ids']
    # Another project never sees these.
    assert ids(listed(stack.api(OTHER), '/backups')) == \
        backups['other_ids']
    for backup_id in backups['a_ids']:
        response = stack.api(OTHER).get(f'/backups/{backup_id}')
        assert response.status_code == 404, response.text
