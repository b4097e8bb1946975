"""A battery of bad requests against the real API: every one gets a 4xx
Trove fault body; nothing is written, nothing is built, and the API keeps
answering."""

import json

import pytest
import requests

pytestmark = pytest.mark.functional

GOOD = {'name': 'ok', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'}}


def instance_body(**changes):
    body = dict(GOOD)
    body.update(changes)
    return {'instance': body}


NASTY_NAMES = ["quo'te", 'back`tick', 'semi;colon', 'ünïcödé', 'tab\tname',
               'nul\x00name', 'new\nline', 'x' * 65, '', ' ', '../../etc',
               'a b', '%', '*']

BAD_BODIES = [
    ('malformed json', b'{"instance": ', 400),
    ('not an object', b'[1, 2]', 400),
    ('a string', b'"instance"', 400),
    ('null', b'null', 400),
    ('instance not an object', json.dumps({'instance': 'x'}).encode(), 400),
    ('wrong type name', json.dumps(instance_body(name=5)).encode(), 400),
    ('overlong name', json.dumps(instance_body(name='n' * 300)).encode(),
     400),
    ('control char name', json.dumps(instance_body(
        name='bad\x07name')).encode(), 400),
    ('negative size', json.dumps(instance_body(
        volume={'size': -1})).encode(), 400),
    ('zero size', json.dumps(instance_body(volume={'size': 0})).encode(),
     400),
    ('huge size', json.dumps(instance_body(
        volume={'size': 10 ** 30})).encode(), 413),
    ('float size', json.dumps(instance_body(
        volume={'size': 1.5})).encode(), 400),
    ('unknown flavor', json.dumps(instance_body(flavorRef='999')).encode(),
     400),
    ('unknown datastore', json.dumps(instance_body(
        datastore={'type': 'oracle'})).encode(), 404),
    ('databases not a list', json.dumps(instance_body(
        databases='db')).encode(), 400),
    ('users without password', json.dumps(instance_body(
        users=[{'name': 'u'}])).encode(), 400),
] + [
    (f'database name {name!r}', json.dumps(instance_body(
        databases=[{'name': name}])).encode(), 400) for name in NASTY_NAMES
] + [
    (f'user name {name!r}', json.dumps(instance_body(
        users=[{'name': name, 'password': 'p4ss'}])).encode(), 400)
    for name in NASTY_NAMES
]


@pytest.fixture(scope='module')
def counts(stack):
    def read():
        return (stack.query('SELECT COUNT(*) FROM instances')[0][0],
                len(stack.servers()))
    return read


@pytest.mark.parametrize('label, body, code', BAD_BODIES,
                         ids=[label for label, _, _ in BAD_BODIES])
def test_bad_create_body_is_refused_cleanly(stack, counts, label, body,
                                            code):
    before = counts()
    response = requests.post(f'{stack.project_url("bad")}/instances',
                             data=body, timeout=30,
                             headers={'Content-Type': 'application/json'})
    assert response.status_code == code, response.text
    fault = response.json()
    assert len(fault) == 1
    (name, detail), = fault.items()
    assert detail['code'] == code and detail['message']
    assert counts() == before


@pytest.mark.parametrize('method, path, headers, data, code, fault', [
    ('POST', '/instances', {'Content-Type': 'text/plain'},
     json.dumps(instance_body()), 415, 'badMediaType'),
    ('POST', '/instances', {'Content-Type': 'application/json'},
     b'{"instance": {"name": "' + b'x' * 200_000 + b'"}}', 413,
     'overLimit'),
    ('GET', '/instances/not-a-uuid', {}, None, 404, 'itemNotFound'),
    ('GET', '/instances/00000000-0000-0000-0000-000000000000', {}, None,
     404, 'itemNotFound'),
    ('DELETE', '/instances/%27%3B%20DROP%20TABLE%20instances', {}, None,
     404, 'itemNotFound'),
    ('PUT', '/instances', {'Content-Type': 'application/json'}, b'{}', 405,
     'badMethod'),
    ('GET', '/nowhere', {}, None, 404, 'itemNotFound'),
    ('GET', '/flavors/%00', {}, None, 404, 'itemNotFound'),
    ('GET', '/instances?limit=abc', {}, None, 400, 'badRequest'),
    ('GET', '/instances?limit=-5', {}, None, 400, 'badRequest'),
    # Bytes that are not UTF-8, in the path and in the query.
    ('GET', '/instances/%ff', {}, None, 400, 'badRequest'),
    ('GET', '/instances?limit=%ff', {}, None, 400, 'badRequest'),
])
def test_bad_requests_get_trove_faults(stack, counts, method, path,
                                       headers, data, code, fault):
    before = counts()
    response = requests.request(method, stack.project_url('bad') + path,
                                headers=headers, data=data, timeout=30)
    assert response.status_code == code, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    assert response.json()[fault]['code'] == code
    assert counts() == before


def test_api_keeps_answering_after_the_battery(stack):
    assert requests.get(stack.url, timeout=10).status_code == 200
    response = requests.get(f'{stack.project_url("bad")}/instances',
                            timeout=10)
    assert response.status_code == 200
    assert response.json() == {'instances': []}


@pytest.fixture(scope='module')
def kept(stack):
    """An instance of its own project that odd requests try to change."""
    api = stack.api('methods')
    instance = api.create_instance(name='kept')
    yield api, instance
    api.wait_for(instance['id'], lambda shown: shown['status'] == 'ACTIVE')
    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    api.wait_gone(instance['id'])


@pytest.mark.parametrize('method, path, override', [
    # A create sent as a GET (which the rate limits count as a read).
    ('GET', '/instances', 'post'),
    # A delete, a resize, a rename sent as a POST.
    ('POST', '/instances/{id}', 'delete'),
    ('POST', '/instances/{id}', 'put'),
    ('POST', '/instances/{id}', 'patch'),
])
def test_the_method_is_the_requests_own(stack, kept, method, path,
                                        override):
    """Pecan's RestController takes the method from a ``_method`` query or
    form parameter ahead of the request's own (a convention for browser
    forms); Trove's API has no such override: a request with it is
    answered as the same request without it, and does nothing more."""
    api, instance = kept
    path = path.format(id=instance['id'])
    body = {'instance': dict(GOOD, name='smuggled')}

    def rows():
        return stack.query(
            'SELECT id, name, deleted FROM instances WHERE tenant_id = %s '
            'ORDER BY id', 'methods')

    before = rows()
    plain = api.request(method, path, json=body)
    assert plain.status_code in (200, 404, 405), plain.text
    for query, form in ((f'?_method={override}', None),
                        ('', {'_method': override})):
        overridden = api.request(method, path + query, json=body,
                                 data=form)
        assert overridden.status_code == plain.status_code, overridden.text
        assert rows() == before
    assert api.instance(instance['id'])['name'] == 'kept'


@pytest.mark.parametrize('method, path', [
    ('POST', '/instances/detail'),
    ('PUT', '/instances/detail'),
    ('DELETE', '/instances/detail'),
    ('GET', '/instances/{id}/delete'),
    ('POST', '/instances/{id}/delete'),
    ('DELETE', '/instances/{id}/extra'),
    ('DELETE', '/instances/{id}/backups'),
    ('PATCH', '/instances/{id}/configuration'),
    ('POST', '/instances/{id}/root/delete'),
])
def test_odd_paths_do_nothing(stack, kept, method, path):
    """Pecan's RestController conventions (``/delete`` and ``/new``
    suffixes, custom actions) are not Trove's: these paths answer with a
    fault and change nothing."""
    api, instance = kept
    before = stack.query(
        'SELECT id, name, deleted, task_id FROM instances '
        'WHERE tenant_id = %s ORDER BY id', 'methods')
    response = api.request(method, path.format(id=instance['id']),
                           json={'instance': dict(GOOD, name='odd')})
    assert 400 <= response.status_code < 500, response.text
    assert list(response.json()) != []
    assert stack.query(
        'SELECT id, name, deleted, task_id FROM instances '
        'WHERE tenant_id = %s ORDER BY id', 'methods') == before
