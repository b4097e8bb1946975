"""Compute drivers are found by name through entry points."""

from importlib import metadata

import pytest

from trove_lite.compute import base


def test_every_driver_is_an_entry_point_of_the_compute_namespace():
    found = {entry.name: entry.load() for entry in metadata.entry_points(
        group=base.DRIVER_NAMESPACE)}
    assert set(found) == {'fake', 'local', 'nova', 'qemu'}
    for driver_class in found.values():
        assert issubclass(driver_class, base.ComputeDriver)


def test_an_unknown_driver_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown compute driver 'vmware'"):
        base.load_driver('vmware')


@pytest.mark.parametrize('pending', [False, True])
def test_a_guest_is_told_when_prepare_will_restore_a_backup(pending):
    config = base.GuestConfig(
        instance_id='i-1', datastore_manager='mariadb',
        datastore_version='10.11', transport_url='rabbit://h/v',
        control_exchange='trove', conductor_queue='trove-conductor',
        report_interval=2.0, restore_pending=pending)

    default = config.sections()['DEFAULT']

    # Absent unless set, so every other guest's config stays as it was.
    assert default.get('restore_pending') == ('True' if pending else None)
