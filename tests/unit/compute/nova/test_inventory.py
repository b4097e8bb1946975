"""Listing (for orphan removal) and starting servers, against the
recorded Nova and Cinder APIs."""

from tests.unit.compute.nova import conftest
from trove_lite.compute import base
from trove_lite.compute.nova import driver as nova_driver

INSTANCE_ID = '5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'


def test_list_servers_returns_only_trove_lite_servers(cloud):
    cloud.answer('nova_server_list_detail')

    servers = nova_driver.NovaDriver().list_servers()

    assert [(s.id, s.instance_id) for s in servers] == [
        (conftest.SERVER_ID, INSTANCE_ID)]
    assert servers[0].status == 'ACTIVE'
    assert cloud.paths('compute') == [('GET', '/servers/detail')]


def test_list_volumes_returns_only_trove_lite_volumes(cloud):
    cloud.answer('cinder_volume_list_detail')

    volumes = nova_driver.NovaDriver().list_volumes()

    assert volumes == [base.Volume(id=conftest.VOLUME_ID,
                                   instance_id=INSTANCE_ID, size=2)]


def test_start_server_asks_nova_to_start_and_waits_for_active(cloud):
    cloud.answer('nova_server_start')
    cloud.answer('nova_server_shutoff', 'nova_server_active')

    server = nova_driver.NovaDriver().start_server(conftest.SERVER_ID)

    assert server.status == 'ACTIVE'
    method, path, body, _ = cloud.sent('compute', 'POST')[0]
    assert (method, path, body) == (
        'POST', f'/servers/{conftest.SERVER_ID}/action', {'os-start': None})


def test_reboot_server_asks_nova_for_a_hard_reboot_and_waits(cloud):
    cloud.answer('nova_server_reboot')
    cloud.answer('nova_server_build', 'nova_server_active')

    server = nova_driver.NovaDriver().reboot_server(conftest.SERVER_ID)

    assert server.status == 'ACTIVE'
    method, path, body, _ = cloud.sent('compute', 'POST')[0]
    assert (method, path, body) == (
        'POST', f'/servers/{conftest.SERVER_ID}/action',
        {'reboot': {'type': 'HARD'}})


def test_list_volumes_leaves_out_volumes_kept_for_backups(cloud):
    # A retired volume is no orphan for the reaper to remove: the
    # snapshots of "cinder" backups pin it until they are deleted.
    cloud.answer('cinder_volume_list_detail_retired')

    volumes = nova_driver.NovaDriver().list_volumes()

    assert [volume.id for volume in volumes] == [conftest.VOLUME_ID]
