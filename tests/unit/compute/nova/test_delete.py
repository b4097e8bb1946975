"""Deleting a half-made instance: each piece may be missing or stuck."""

import pytest

from tests.unit.compute.nova import conftest
from tests.unit.fakes import FakeGuest
from trove_lite.compute import base
from trove_lite.compute.nova import driver as nova_driver
from trove_lite.taskmanager import teardown


class Row:
    """The instance row fields the teardown path reads."""

    def __init__(self, compute_instance_id, volume_id,
                 instance_id='5b1e6f0a-7c9d-4e3f-8a2b-1c0d9e8f7a6b'):
        self.id = instance_id
        self.compute_instance_id = compute_instance_id
        self.volume_id = volume_id


@pytest.fixture
def no_guest_queue(monkeypatch):
    FakeGuest.install(monkeypatch, teardown.guest_rpcapi)


def test_nova_is_the_driver_called_nova_and_contacts_nobody_until_used(
        cloud):
    driver = base.load_driver('nova')

    assert isinstance(driver, nova_driver.NovaDriver)
    assert cloud.sent() == []


def test_half_made_instance_is_removed_even_with_its_server_already_gone(
        cloud, no_guest_queue):
    cloud.answer('nova_server_list_detail')
    cloud.answer('cinder_volume_list_detail')
    cloud.answer('nova_server_delete_not_found')
    cloud.answer('cinder_volume_creating')
    cloud.answer('cinder_snapshot_list_empty')
    cloud.answer('cinder_volume_delete_invalid')
    cloud.answer('cinder_volume_force_delete')
    cloud.answer('neutron_port_list_empty')
    cloud.answer('neutron_security_group_list')
    cloud.answer('neutron_security_group_not_found')

    teardown.remove_resources_of(
        nova_driver.NovaDriver(),
        Row(conftest.SERVER_ID, conftest.VOLUME_ID))

    assert [call for call in cloud.paths() if call[0] != 'GET'] == [
        ('POST', '/v3/auth/tokens'),
        ('DELETE', f'/servers/{conftest.SERVER_ID}'),
        ('DELETE', f'/volumes/{conftest.VOLUME_ID}'),
        ('POST', f'/volumes/{conftest.VOLUME_ID}/action'),
        ('DELETE', f'/v2.0/security-groups/{conftest.SECURITY_GROUP_ID}')]


def test_instance_that_never_got_a_server_or_volume_loses_its_group(
        cloud, no_guest_queue):
    # The listed server and volume belong to another instance.
    cloud.answer('nova_server_list_detail')
    cloud.answer('cinder_volume_list_detail')
    cloud.answer('neutron_port_list_empty')
    cloud.answer('neutron_security_group_list')
    cloud.answer('neutron_security_group_delete')

    teardown.remove_resources_of(nova_driver.NovaDriver(),
                                 Row(None, None, instance_id='other'))

    assert cloud.paths('network')[-1] == (
        'DELETE', f'/v2.0/security-groups/{conftest.SECURITY_GROUP_ID}')
    assert cloud.sent('compute', 'DELETE') == []
    assert cloud.sent('volumev3', 'DELETE') == []
