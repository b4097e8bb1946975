"""Issue 16 item 4 against the real stack: a delete racing a resize (which
Trove accepts, as we do) once left the quota usage off by the resize's
difference. Real guests are resized and deleted at several moments of
the resize; once they are gone their project's usage is exactly zero,
and stays so."""

import time

import pytest
import requests

pytestmark = pytest.mark.functional

PROJECT = 'racer'

# (resize body, seconds between the resize's 202 and the delete)
RACES = [
    ({'resize': {'flavorRef': '2'}}, 0.0),
    ({'resize': {'flavorRef': '2'}}, 0.3),
    ({'resize': {'flavorRef': '3'}}, 1.0),
    ({'resize': {'volume': {'size': 2}}}, 0.0),
    ({'resize': {'volume': {'size': 3}}}, 0.5),
]


def usage(stack):
    response = requests.get(
        f'{stack.project_url(PROJECT)}/mgmt/quotas/{PROJECT}', timeout=30)
    assert response.status_code == 200, response.text
    return {item['resource']: item['in_use']
            for item in response.json()['quotas']}


def test_delete_racing_resize_leaves_the_usage_exact(stack):
    api = stack.api(PROJECT)
    created = [api.create_instance(name=f'race{index}')
               for index in range(len(RACES))]
    for instance in created:
        api.wait_active(instance['id'], timeout=180)
    assert usage(stack) == {'instances': len(RACES), 'ram': 256 * len(RACES),
                            'backups': 0, 'volumes': len(RACES)}
    for instance, (body, delay) in zip(created, RACES, strict=True):
        response = api.post(f'/instances/{instance["id"]}/action', body)
        assert response.status_code == 202, response.text
        time.sleep(delay)
        response = api.delete(f'/instances/{instance["id"]}')
        assert response.status_code == 202, response.text
    for instance in created:
        api.wait_gone(instance['id'], timeout=180)
    assert usage(stack) == {'instances': 0, 'ram': 0, 'backups': 0,
                            'volumes': 0}
    # A resize that ends after the delete must not move it either.
    time.sleep(3)
    assert usage(stack) == {'instances': 0, 'ram': 0, 'backups': 0,
                            'volumes': 0}
    assert stack.query(
        'SELECT COUNT(*) FROM instances WHERE tenant_id = %s AND '
        'deleted = 0', PROJECT)[0][0] == 0
