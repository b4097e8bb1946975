"""A delete accepted while a resize runs (as Trove accepts it): whichever
of the two writes first, the quota ends with exactly nothing in use
once the instance is gone, never the old or the new flavor's share."""

import pytest

from tests.unit import db_fixtures
from tests.unit.api.test_app import app  # noqa: F401 (fixture)
from tests.unit.api.test_app import call
from tests.unit.api.test_app import casts  # noqa: F401 (fixture)
from tests.unit.taskmanager.test_restart_resize import FLAVORS
from tests.unit.taskmanager.test_restart_resize import charge_as_the_api_did
from tests.unit.taskmanager.test_restart_resize import guest_calls
from tests.unit.taskmanager.test_restart_resize import instance_in
from tests.unit.taskmanager.test_restart_resize import manager  # noqa: F401
from trove_lite.catalogue import api as catalogue_api
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.taskmanager import restart_resize


def usages():
    found = db_fixtures.quota_usages('p')
    return {resource: found.get(resource, 0)
            for resource in ('instances', 'ram', 'volumes')}


def created_then_resizing(catalogue, **resize_charge):
    """An instance of flavor 1 (256 MB) with a 1 GB volume, charged as its
    create was, then RESIZING with the resize's charge."""
    catalogue_api.save_flavor('2', 'small', 512, 1, disk=1)
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(instances=1, ram=256, volumes=1)
    charge_as_the_api_did(**resize_charge)
    return instance


def delete_through_the_api(app, instance):  # noqa: F811
    response = call(app, 'DELETE', f'/v1.0/p/instances/{instance}')
    assert response.status_int == 202, response.body


def test_delete_while_the_flavor_resize_works_releases_exactly(
        app, manager, catalogue, casts):  # noqa: F811
    instance = created_then_resizing(catalogue, ram=256)
    resize_server = manager.driver.resize_server

    def deleted_meanwhile(server_id, flavor):
        delete_through_the_api(app, instance)
        return resize_server(server_id, flavor)

    manager.driver.resize_server = deleted_meanwhile
    manager.resize_flavor(None, instance, *FLAVORS)
    assert casts == [instance]
    record = db_fixtures.get_instance(instance)
    assert (record.flavor_id, record.task) == ('1', Tasks.DELETING)
    assert usages() == {'instances': 0, 'ram': 0, 'volumes': 0}


def test_delete_right_after_the_flavor_resize_recorded_releases_exactly(
        app, manager, catalogue, casts, monkeypatch):  # noqa: F811
    instance = created_then_resizing(catalogue, ram=256)
    record_resize = restart_resize._record_resize

    def deleted_once_recorded(record, **values):
        recorded = record_resize(record, **values)
        delete_through_the_api(app, instance)
        return recorded

    monkeypatch.setattr(restart_resize, '_record_resize',
                        deleted_once_recorded)
    manager.resize_flavor(None, instance, *FLAVORS)
    record = db_fixtures.get_instance(instance)
    assert (record.flavor_id, record.task) == ('2', Tasks.DELETING)
    assert usages() == {'instances': 0, 'ram': 0, 'volumes': 0}


def test_delete_while_the_volume_grows_releases_exactly(
        app, manager, catalogue, casts):  # noqa: F811
    instance = created_then_resizing(catalogue, volumes=2)
    extend_volume = manager.driver.extend_volume

    def deleted_meanwhile(volume_id, size_gb):
        delete_through_the_api(app, instance)
        return extend_volume(volume_id, size_gb)

    manager.driver.extend_volume = deleted_meanwhile
    manager.resize_volume(None, instance, 3)
    record = db_fixtures.get_instance(instance)
    assert (record.volume_size, record.task) == (1, Tasks.DELETING)
    assert 'resize_fs' not in [call[0] for call in guest_calls()]
    assert usages() == {'instances': 0, 'ram': 0, 'volumes': 0}


@pytest.mark.parametrize('resize', ['flavor', 'volume'])
def test_delete_before_the_resize_starts_releases_exactly(
        app, manager, catalogue, casts, resize):  # noqa: F811
    charge = {'ram': 256} if resize == 'flavor' else {'volumes': 2}
    instance = created_then_resizing(catalogue, **charge)
    delete_through_the_api(app, instance)
    if resize == 'flavor':
        manager.resize_flavor(None, instance, *FLAVORS)
    else:
        manager.resize_volume(None, instance, 3)
    assert manager.driver.calls == []
    assert usages() == {'instances': 0, 'ram': 0, 'volumes': 0}
