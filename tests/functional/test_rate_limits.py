"""Per-project rate limits on a stack of their own, with a few requests
per minute (test_scale_out checks they hold across API processes)."""

import pytest

from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional

GETS_PER_MINUTE = 4
POSTS_PER_MINUTE = 3


@pytest.fixture(scope='module')
def limited_stack(tmp_path_factory):
    deployment = stack_module.Stack(
        str(tmp_path_factory.mktemp('limited-stack')), overrides={
            'DEFAULT': {'trove_api_workers': '1',
                        'http_get_rate': str(GETS_PER_MINUTE),
                        'http_post_rate': str(POSTS_PER_MINUTE),
                        'http_mgmt_post_rate': '1'}})
    with deployment:
        yield deployment


def test_a_project_past_its_get_rate_gets_413_with_retry_after(
        limited_stack):
    api = limited_stack.api('busy')
    for _ in range(GETS_PER_MINUTE):
        assert api.get('/flavors').status_code == 200
    response = api.get('/flavors')
    assert response.status_code == 413
    retry_after = int(response.headers['Retry-After'])
    assert 0 < retry_after <= 60 // GETS_PER_MINUTE
    assert response.json() == {'overLimit': {
        'code': 413,
        'message': 'This request was rate-limited.',
        'details': f'Only {GETS_PER_MINUTE} GET request(s) can be made to * '
                   f'every minute.',
        'retryAfter': str(retry_after)}}

    # Other projects and other verbs have buckets of their own.
    assert limited_stack.api('calm').get('/flavors').status_code == 200
    assert api.delete('/instances/not-an-instance').status_code == 404


def test_refused_posts_create_nothing(limited_stack):
    api = limited_stack.api('poster')
    bad = {'instance': {'name': 'x', 'flavorRef': 'nosuch',
                        'volume': {'size': 1}}}
    for _ in range(POSTS_PER_MINUTE):
        assert api.post('/instances', bad).status_code == 400
    response = api.post('/instances', {'instance': {
        'name': 'late', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mysql', 'version': 'silent'}}})
    assert response.status_code == 413
    assert response.json()['overLimit']['details'] == (
        f'Only {POSTS_PER_MINUTE} POST request(s) can be made to * every '
        f'minute.')
    assert limited_stack.query('SELECT COUNT(*) FROM instances WHERE '
                               'tenant_id = %s', 'poster') == ((0,),)


def test_limits_report_what_is_left(limited_stack):
    api = limited_stack.api('counter')
    api.post('/instances', {})
    limits = api.get('/limits').json()['limits']
    remaining = {(rate['verb'], rate['uri']): rate['remaining']
                 for rate in limits[1:]}
    # The GET of /limits itself is counted before the answer is built.
    assert remaining == {('POST', '*'): POSTS_PER_MINUTE - 1,
                         ('PUT', '*'): 100000, ('DELETE', '*'): 100000,
                         ('GET', '*'): GETS_PER_MINUTE - 1,
                         ('POST', '*/mgmt'): 1}
