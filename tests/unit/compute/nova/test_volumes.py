"""The nova driver's volumes against Cinder's recorded API."""

import pytest

from tests.unit.compute.nova import conftest
from trove_lite.common import exceptions
from trove_lite.compute.nova import driver as nova_driver

INSTANCE_ID = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'
VOLUME_PATH = f'/volumes/{conftest.VOLUME_ID}'


@pytest.fixture
def driver(cloud):
    return nova_driver.NovaDriver()


def test_create_volume_is_named_after_the_instance_and_waits_until_available(
        cloud, driver, config):
    config('cinder_volume_type', 'lvmdriver-1')
    cloud.answer('cinder_volume_create')
    cloud.answer('cinder_volume_creating', 'cinder_volume_creating',
                 'cinder_volume_available')

    volume_id = driver.create_volume(INSTANCE_ID, 2)

    assert volume_id == conftest.VOLUME_ID
    (method, path, body, headers), *polls = cloud.sent('volumev3')
    assert (method, path) == ('POST', '/volumes')
    assert body['volume']['name'] == f'trove-{INSTANCE_ID}'
    assert body['volume']['size'] == 2
    assert body['volume']['volume_type'] == 'lvmdriver-1'
    assert body['volume']['metadata'] == {'trove_instance_id': INSTANCE_ID}
    assert conftest.same_shape(
        body, conftest.recorded('cinder_volume_create')['request']['json'])
    # The base version 3.0 is all the driver needs: no microversion header.
    assert 'OpenStack-API-Version' not in headers
    assert [(m, p) for m, p, _, _ in polls] == [('GET', VOLUME_PATH)] * 3


def test_volume_type_of_the_request_wins_over_the_configured_one(
        cloud, driver, config):
    config('cinder_volume_type', 'lvmdriver-1')
    cloud.answer('cinder_volume_create')
    cloud.answer('cinder_volume_available')

    driver.create_volume(INSTANCE_ID, 2, volume_type='ssd')

    _, _, body, _ = cloud.sent('volumev3', 'POST')[0]
    assert body['volume']['volume_type'] == 'ssd'


def test_volume_quota_error_is_reported_in_cinders_words(cloud, driver):
    cloud.answer('cinder_volume_quota_exceeded')

    with pytest.raises(exceptions.ComputeError) as raised:
        driver.create_volume(INSTANCE_ID, 2)

    message = str(raised.value)
    assert f'Cinder refused volume trove-{INSTANCE_ID}' in message
    assert 'VolumeSizeExceedsAvailableQuota' in message
    assert 'HTTP 413' in message
    # Nothing was made, so nothing is polled or removed.
    assert cloud.paths('volumev3') == [('POST', '/volumes')]


def test_volume_stuck_in_creating_is_force_deleted_and_reported(
        cloud, driver):
    cloud.answer('cinder_volume_create')
    cloud.answer('cinder_volume_creating')
    cloud.answer('cinder_snapshot_list_empty')
    cloud.answer('cinder_volume_delete_invalid')
    cloud.answer('cinder_volume_force_delete')

    with pytest.raises(exceptions.ComputeError) as raised:
        driver.create_volume(INSTANCE_ID, 2)

    assert 'was still creating after 1 s' in str(raised.value)
    calls = cloud.sent('volumev3')
    assert [(m, p) for m, p, _, _ in calls
            if m != 'GET'] == [('POST', '/volumes'), ('DELETE', VOLUME_PATH),
                               ('POST', f'{VOLUME_PATH}/action')]
    # cinderclient sends null where the reference shows {}; Cinder ignores
    # the value, only the action's name matters.
    assert calls[-1][2].keys() == conftest.recorded(
        'cinder_volume_force_delete')['request']['json'].keys()


def test_volume_that_goes_to_error_is_deleted_at_once(cloud, driver):
    cloud.answer('cinder_volume_create')
    cloud.answer('cinder_volume_creating', 'cinder_volume_error')
    cloud.answer('cinder_snapshot_list_empty')
    cloud.answer('cinder_volume_delete')

    with pytest.raises(exceptions.ComputeError) as raised:
        driver.create_volume(INSTANCE_ID, 2)

    assert 'went to error in Cinder' in str(raised.value)
    assert cloud.paths('volumev3')[-1] == ('DELETE', VOLUME_PATH)


def test_delete_volume_waits_until_nova_has_released_it(cloud, driver):
    cloud.answer('cinder_volume_in_use', 'cinder_volume_detaching',
                 'cinder_volume_available')
    cloud.answer('cinder_snapshot_list_empty')
    cloud.answer('cinder_volume_delete')

    driver.delete_volume(conftest.VOLUME_ID)

    assert cloud.paths('volumev3') == [('GET', VOLUME_PATH)] * 3 + [
        ('GET', f'/snapshots/detail?volume_id={conftest.VOLUME_ID}'),
        ('DELETE', VOLUME_PATH)]


def test_a_volume_that_backups_snapshotted_is_kept_retired(cloud, driver):
    # Cinder deletes no volume with snapshots: a "cinder" backup kept as
    # a snapshot pins it until the backup is deleted.
    cloud.answer('cinder_volume_available')
    cloud.answer('cinder_snapshot_list_of_volume')
    cloud.answer('cinder_volume_metadata_retired')

    driver.delete_volume(conftest.VOLUME_ID)

    assert cloud.sent('volumev3', 'DELETE') == []
    (_, path, body, _), = cloud.sent('volumev3', 'POST')
    assert path == f'{VOLUME_PATH}/metadata'
    assert body == {'metadata': {'trove_retired': 'true'}}


def test_delete_of_a_volume_already_gone_is_quiet(cloud, driver):
    cloud.answer('cinder_volume_not_found')

    driver.delete_volume(conftest.VOLUME_ID)

    assert cloud.paths('volumev3') == [('GET', VOLUME_PATH)]
