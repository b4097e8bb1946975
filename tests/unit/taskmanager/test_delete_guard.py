"""The taskmanager deletes only instances the API marked DELETING: a
delete_instance cast by anyone else (a guest on the broker) changes
nothing."""

import pytest

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from tests.unit.taskmanager.test_housekeeping import building
from tests.unit.taskmanager.test_housekeeping import deleted
from tests.unit.taskmanager.test_housekeeping import inventory
from tests.unit.taskmanager.test_housekeeping import server
from trove_lite.common.context import RequestContext
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.taskmanager import manager as tm_manager
from trove_lite.taskmanager import workflows


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    FakeGuest.install(monkeypatch, workflows.guest_rpcapi)
    monkeypatch.setattr(tm_manager.notifications, 'notify',
                        lambda *args, **kwargs: None)


@pytest.mark.parametrize('task', [Tasks.NONE, Tasks.BUILDING,
                                  Tasks.RESIZING])
def test_delete_of_an_instance_not_deleting_changes_nothing(catalogue,
                                                            task):
    instance = building(catalogue, compute_instance_id='srv-1', task=task)
    driver = inventory(servers=[server(instance.id)])

    tm_manager.Manager(driver=driver).delete_instance(RequestContext(),
                                                      instance.id)

    assert deleted(driver) == []
    assert db_fixtures.get_instance(instance.id).task == task


def test_delete_of_an_instance_deleting_goes_ahead(catalogue):
    instance = building(catalogue, compute_instance_id='srv-1',
                        task=Tasks.DELETING)
    driver = inventory(servers=[server(instance.id)])

    tm_manager.Manager(driver=driver).delete_instance(RequestContext(),
                                                      instance.id)

    assert ('server', 'srv-1') in deleted(driver)
    assert db_fixtures.list_instances('p') == []
