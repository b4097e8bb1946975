"""Quotas through a real Keystone: limits an admin sets, creates past a
limit refused with Trove's 413 and nothing left behind, concurrent creates
that never pass a limit, and usage freed by deletes."""

import concurrent.futures
import re
import threading

import pytest

pytestmark = pytest.mark.functional

SILENT = {'type': 'mysql', 'version': 'silent'}
TINY_RAM = 256


@pytest.fixture(scope='module')
def carol(caller):
    return caller('carol', 'gamma')


@pytest.fixture(scope='module')
def admin(caller):
    return caller('admin', 'admin')


def usage(admin, project_id):
    quotas = admin.api.get(f'/mgmt/quotas/{project_id}').json()['quotas']
    return {item['resource']: item['in_use'] for item in quotas}


def set_quota(admin, project_id, **limits):
    response = admin.api.put(f'/mgmt/quotas/{project_id}',
                             {'quotas': limits})
    assert response.status_code == 200, response.text
    assert response.json() == {'quotas': limits}


def create_body(name, size=1):
    return {'instance': {'name': name, 'flavorRef': '1',
                         'volume': {'size': size}, 'datastore': SILENT}}


def live_instances(stack, project_id):
    return stack.query('SELECT COUNT(*) FROM instances WHERE tenant_id = %s '
                       'AND deleted = 0', project_id)[0][0]


def create_at_once(caller, count, size=1):
    """``count`` creates released together from their own connections."""
    start = threading.Barrier(count)

    def create(index):
        client = caller.api
        start.wait()
        return client.post('/instances', create_body(f'race{index}', size))
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(create, range(count)))


def delete_all(caller):
    """Delete the caller's instances once their builds failed (the silent
    image never reports healthy)."""
    for item in caller.api.get('/instances').json()['instances']:
        caller.api.wait_build_failed(item['id'])
        assert caller.api.delete(f'/instances/{item["id"]}').status_code \
            == 202
    for item in caller.api.get('/instances').json()['instances']:
        caller.api.wait_gone(item['id'])


@pytest.mark.parametrize('resource, headroom, size, allowed', [
    ('instances', 2, 1, 2),
    ('volumes', 5, 2, 2),
    ('ram', 3 * TINY_RAM, 1, 3),
])
def test_concurrent_creates_never_pass_a_quota(keystone_stack, carol, admin,
                                               resource, headroom, size,
                                               allowed):
    project = carol.project_id
    before = usage(admin, project)
    limits = {'instances': -1, 'ram': -1, 'volumes': -1}
    limits[resource] = before[resource] + headroom
    set_quota(admin, project, **limits)
    rows_before = live_instances(keystone_stack, project)
    try:
        responses = create_at_once(carol, 8, size)
        codes = sorted(response.status_code for response in responses)
        assert codes == [200] * allowed + [413] * (8 - allowed)
        for response in responses:
            if response.status_code == 413:
                assert response.json() == {'overLimit': {
                    'code': 413,
                    'message': f"Quota exceeded for resources: "
                               f"['{resource}']."}}
        assert live_instances(keystone_stack, project) == \
            rows_before + allowed
        after = usage(admin, project)
        assert after['instances'] == before['instances'] + allowed
        assert after['volumes'] == before['volumes'] + allowed * size
        assert after['ram'] == before['ram'] + allowed * TINY_RAM
        assert after[resource] <= limits[resource]
    finally:
        delete_all(carol)
    assert usage(admin, project) == before


def test_create_over_quota_leaves_nothing_behind(keystone_stack, carol,
                                                 admin):
    project = carol.project_id
    before = usage(admin, project)
    set_quota(admin, project, instances=before['instances'], volumes=-1,
              ram=-1)
    rows_before = keystone_stack.query('SELECT COUNT(*) FROM instances')
    response = carol.api.post('/instances', create_body('one-too-many'))
    assert response.status_code == 413
    assert response.json()['overLimit']['message'] == (
        "Quota exceeded for resources: ['instances'].")
    assert keystone_stack.query('SELECT COUNT(*) FROM instances') == \
        rows_before
    assert usage(admin, project) == before


def test_a_delete_frees_the_quota_for_the_next_create(carol, admin):
    project = carol.project_id
    before = usage(admin, project)
    set_quota(admin, project, instances=before['instances'] + 1,
              volumes=-1, ram=-1)
    first = carol.api.post('/instances', create_body('first'))
    assert first.status_code == 200
    assert carol.api.post('/instances', create_body('second')
                          ).status_code == 413
    delete_all(carol)
    assert usage(admin, project) == before
    third = carol.api.post('/instances', create_body('third'))
    assert third.status_code == 200, third.text
    delete_all(carol)


def test_quota_updates_are_validated_before_anything_is_stored(
        keystone_stack, carol, admin):
    path = f'/mgmt/quotas/{carol.project_id}'
    stored = keystone_stack.query('SELECT resource, hard_limit FROM quotas '
                                  'WHERE tenant_id = %s ORDER BY 1',
                                  carol.project_id)
    cases = [
        ({'quotas': {'backups': 3, 'instances': -2}}, 400, 'badRequest',
         "Quota limit '-2' for 'instances' is too small - must be at least "
         "'-1'."),
        ({'quotas': {'backups': 3, 'nosuch': 1}}, 404, 'itemNotFound',
         'Unknown quota resources nosuch.'),
        ({'quotas': {'instances': 'many'}}, 400, 'badRequest', None),
        ({'quotas': {'instances': True}}, 400, 'badRequest', None),
        ({'quotas': [1]}, 400, 'badRequest', None),
        ({}, 400, 'badRequest', 'Invalid request body.'),
    ]
    for body, code, fault, message in cases:
        response = admin.api.put(path, body)
        assert response.status_code == code, (body, response.text)
        assert response.json()[fault]['code'] == code
        if message:
            assert response.json()[fault]['message'] == message
    assert keystone_stack.query('SELECT resource, hard_limit FROM quotas '
                                'WHERE tenant_id = %s ORDER BY 1',
                                carol.project_id) == stored


def test_limits_show_the_absolute_limits_first_then_the_rates(carol, admin):
    set_quota(admin, carol.project_id, instances=4, ram=2048, volumes=9,
              backups=2)
    limits = carol.api.get('/limits').json()['limits']
    assert limits[0] == {'verb': 'ABSOLUTE', 'max_instances': 4,
                         'max_ram': 2048, 'max_backups': 2,
                         'max_volumes': 9}
    rates = limits[1:]
    assert [(rate['verb'], rate['uri'], rate['regex']) for rate in rates] \
        == [('POST', '*', '.*'), ('PUT', '*', '.*'), ('DELETE', '*', '.*'),
            ('GET', '*', '.*'), ('POST', '*/mgmt', '^/mgmt')]
    for rate in rates:
        assert set(rate) == {'nextAvailable', 'remaining', 'unit', 'value',
                             'verb', 'uri', 'regex'}
        assert rate['unit'] == 'MINUTE'
        assert rate['value'] == 100000  # the test stack's rates
        assert 0 < rate['remaining'] <= rate['value']
        assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ',
                            rate['nextAvailable'])
