"""The nova driver's resizes against Nova's and Cinder's recorded API: a
flavor resize confirmed at VERIFY_RESIZE (or reverted), and the extend of
an attached volume."""

import pytest

from tests.unit.compute.nova import conftest
from trove_lite.common import exceptions
from trove_lite.compute.nova import driver as nova_driver

SERVER_PATH = f'/servers/{conftest.SERVER_ID}'
ACTION_PATH = f'{SERVER_PATH}/action'
VOLUME_PATH = f'/volumes/{conftest.VOLUME_ID}'
SMALL = {'id': '2', 'ram': 2048}
TINY = {'id': '1', 'ram': 512}


@pytest.fixture
def driver(cloud):
    return nova_driver.NovaDriver()


def actions(cloud):
    """The bodies of the server actions sent, in order."""
    return [body for method, path, body, _ in cloud.sent('compute', 'POST')
            if path == ACTION_PATH]


def test_resize_waits_for_verify_resize_then_confirms(cloud, driver):
    cloud.answer('nova_server_resize', 'nova_server_confirm_resize')
    cloud.answer('nova_server_active', 'nova_server_resizing',
                 'nova_server_verify_resize', 'nova_server_resized')

    server = driver.resize_server(conftest.SERVER_ID, SMALL)

    assert server.status == 'ACTIVE' and server.id == conftest.SERVER_ID
    assert actions(cloud) == [{'resize': {'flavorRef': '2'}},
                              {'confirmResize': None}]
    assert actions(cloud) == [
        conftest.recorded(fixture)['request']['json']
        for fixture in ('nova_server_resize', 'nova_server_confirm_resize')]


def test_resize_nova_gave_up_on_fails_with_the_server_on_its_flavor(
        cloud, driver):
    # No host had room: Nova puts the server back ACTIVE, old flavor.
    cloud.answer('nova_server_resize')
    cloud.answer('nova_server_active', 'nova_server_resizing',
                 'nova_server_active')

    with pytest.raises(exceptions.ComputeError,
                       match='Nova did not resize .* back on flavor 1'):
        driver.resize_server(conftest.SERVER_ID, SMALL)

    assert actions(cloud) == [{'resize': {'flavorRef': '2'}}]


def test_resize_that_ends_in_error_reports_novas_fault(cloud, driver):
    cloud.answer('nova_server_resize')
    cloud.answer('nova_server_active', 'nova_server_resizing',
                 'nova_server_error')

    with pytest.raises(exceptions.ComputeError, match='went to ERROR while '
                                                      'resizing: '):
        driver.resize_server(conftest.SERVER_ID, SMALL)


def test_a_refused_confirm_is_reverted_and_reported(cloud, driver):
    cloud.answer('nova_server_resize', 'nova_server_confirm_refused',
                 'nova_server_revert_resize')
    cloud.answer('nova_server_active', 'nova_server_verify_resize',
                 'nova_server_verify_resize', 'nova_server_active')

    with pytest.raises(exceptions.ComputeError,
                       match='Nova refused confirming the resize'):
        driver.resize_server(conftest.SERVER_ID, SMALL)

    assert actions(cloud) == [{'resize': {'flavorRef': '2'}},
                              {'confirmResize': None},
                              {'revertResize': None}]


def test_resize_still_running_at_the_timeout_fails(cloud, driver, config):
    config('resize_time_out', 1)
    cloud.answer('nova_server_resize')
    cloud.answer('nova_server_active', 'nova_server_resizing')

    with pytest.raises(exceptions.ComputeError,
                       match='still RESIZE after 1 s resizing'):
        driver.resize_server(conftest.SERVER_ID, SMALL)


def test_resize_to_the_flavor_the_server_has_asks_nova_nothing(cloud,
                                                               driver):
    cloud.answer('nova_server_active')

    server = driver.resize_server(conftest.SERVER_ID, TINY)

    assert server.status == 'ACTIVE'
    assert actions(cloud) == []


def test_a_resize_left_waiting_is_reverted_to_go_back(cloud, driver):
    # A taskmanager stopped at VERIFY_RESIZE; the undo asks for the old
    # flavor, which the revert gives back.
    cloud.answer('nova_server_revert_resize')
    cloud.answer('nova_server_verify_resize', 'nova_server_reverting',
                 'nova_server_active')

    server = driver.resize_server(conftest.SERVER_ID, TINY)

    assert server.status == 'ACTIVE'
    assert actions(cloud) == [{'revertResize': None}]


def test_resize_of_a_server_nova_does_not_know_is_a_compute_error(
        cloud, driver):
    cloud.answer('nova_server_not_found')

    with pytest.raises(exceptions.ComputeError, match='does not exist'):
        driver.resize_server(conftest.SERVER_ID, SMALL)


def test_extend_grows_the_attached_volume_at_volume_3_42(cloud, driver):
    cloud.answer('cinder_volume_extend')
    cloud.answer('cinder_volume_in_use_1gb', 'cinder_volume_extending',
                 'cinder_volume_in_use_extended')

    driver.extend_volume(conftest.VOLUME_ID, 2)

    (method, path, body, headers), = cloud.sent('volumev3', 'POST')
    assert (method, path) == ('POST', f'{VOLUME_PATH}/action')
    assert body == conftest.recorded('cinder_volume_extend')['request'][
        'json'] == {'os-extend': {'new_size': 2}}
    # Below 3.42 Cinder extends only detached volumes.
    assert headers['OpenStack-API-Version'] == 'volume 3.42'


def test_extend_to_the_size_the_volume_has_asks_cinder_nothing(cloud,
                                                               driver):
    cloud.answer('cinder_volume_in_use_extended')

    driver.extend_volume(conftest.VOLUME_ID, 2)

    assert cloud.sent('volumev3', 'POST') == []


def test_extend_that_fails_in_cinder_says_so(cloud, driver):
    cloud.answer('cinder_volume_extend')
    cloud.answer('cinder_volume_in_use_1gb', 'cinder_volume_extending',
                 'cinder_volume_error_extending')

    with pytest.raises(exceptions.ComputeError,
                       match='did not grow to 2 GB .*error_extending at 1 GB'):
        driver.extend_volume(conftest.VOLUME_ID, 2)


def test_extend_refused_by_cinder_is_reported_in_its_words(cloud, driver):
    cloud.answer('cinder_volume_extend_refused')
    cloud.answer('cinder_volume_in_use_1gb')

    with pytest.raises(exceptions.ComputeError,
                       match='Cinder refused extending volume'):
        driver.extend_volume(conftest.VOLUME_ID, 2)
