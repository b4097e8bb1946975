"""The conductor applies heartbeats (newer than the last one applied) and
wakes the taskmanager on change."""

import pytest

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.common.context import RequestContext
from trove_lite.conductor import manager
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.records.status import ServiceStatuses as Services

CONTEXT = RequestContext()


def from_guest(instance):
    """The context of a report opened with the key of its instance (as
    sealing.EnvelopeSerializer hands it over)."""
    context = RequestContext()
    context.sealed_by = instance.id
    return context


def make_instance(catalogue):
    return db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})


class FakeTaskmanager:
    def __init__(self):
        self.woken = []

    def guest_status_changed(self, context, instance_id, status):
        self.woken.append((instance_id, status))


def setup(catalogue):
    instance = make_instance(catalogue)
    taskmanager = FakeTaskmanager()
    return instance, manager.Manager(taskmanager=taskmanager), taskmanager


def test_status_change_wakes_the_taskmanager_once(catalogue):
    instance, conductor, taskmanager = setup(catalogue)
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'healthy'}, sent=1.0)
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'healthy'}, sent=2.0)
    assert taskmanager.woken == [(instance.id, 'healthy')]
    assert db_fixtures.service_status(instance.id) == Services.HEALTHY


def test_unknown_status_is_dropped_without_error(catalogue):
    instance, conductor, taskmanager = setup(catalogue)
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'on fire'}, sent=1.0)
    assert db_fixtures.service_status(instance.id) == Services.NEW
    assert taskmanager.woken == []


def test_stale_heartbeat_changes_nothing(catalogue):
    instance, conductor, taskmanager = setup(catalogue)
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'shutdown'}, sent=10.0)
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'healthy'}, sent=9.0)
    assert db_fixtures.service_status(instance.id) == Services.SHUTDOWN
    assert taskmanager.woken == [(instance.id, 'shutdown')]


def test_heartbeat_for_unknown_instance_is_dropped_without_a_trace(
        database):
    taskmanager = FakeTaskmanager()
    conductor = manager.Manager(taskmanager=taskmanager)
    conductor.heartbeat(CONTEXT, 'ghost', {'service_status': 'healthy'},
                        sent=1.0)
    assert taskmanager.woken == []
    assert db.read(heartbeats.lastseen, 'ghost') is None
    assert db.read(heartbeats.service_status, 'ghost') is None


# The lastseen guard and the heartbeat write, as the conductor composes
# them (heartbeats.refresh_unchanged, then heartbeats.apply).

def test_first_heartbeat_is_applied_and_reports_a_change(catalogue):
    instance = make_instance(catalogue)
    assert manager.apply_heartbeat(instance.id, Services.HEALTHY,
                                   100.0) == (True, True)
    assert db_fixtures.service_status(instance.id) == Services.HEALTHY


def test_same_status_again_is_applied_without_change(catalogue):
    instance = make_instance(catalogue)
    manager.apply_heartbeat(instance.id, Services.HEALTHY, 100.0)
    assert manager.apply_heartbeat(instance.id, Services.HEALTHY,
                                   101.0) == (True, False)


def test_heartbeat_older_than_lastseen_is_ignored(catalogue):
    instance = make_instance(catalogue)
    manager.apply_heartbeat(instance.id, Services.HEALTHY, 200.0)
    assert manager.apply_heartbeat(instance.id, Services.SHUTDOWN,
                                   150.0) == (False, False)
    assert db_fixtures.service_status(instance.id) == Services.HEALTHY


def test_duplicate_heartbeat_is_ignored(catalogue):
    instance = make_instance(catalogue)
    manager.apply_heartbeat(instance.id, Services.BUILDING, 200.0)
    assert manager.apply_heartbeat(instance.id, Services.HEALTHY,
                                   200.0) == (False, False)
    assert db_fixtures.service_status(instance.id) == Services.BUILDING


def test_heartbeat_for_unknown_instance_leaves_no_trace(database):
    assert manager.apply_heartbeat('no-such-instance', Services.HEALTHY,
                                   1.0) == (False, False)
    with database.connect() as conn:
        rows = conn.exec_driver_sql(
            'SELECT COUNT(*) FROM conductor_lastseen').scalar()
    assert rows == 0


def test_heartbeat_for_deleted_instance_is_dropped(catalogue):
    instance = make_instance(catalogue)
    db_fixtures.soft_delete_instance(instance.id)
    assert manager.apply_heartbeat(instance.id, Services.HEALTHY,
                                   1.0) == (False, False)
    assert db_fixtures.service_status(instance.id) == Services.DELETED


def test_restart_required_is_kept_but_refreshed(catalogue):
    instance = make_instance(catalogue)
    db_fixtures.set_service_status(instance.id, Services.RESTART_REQUIRED)
    assert manager.apply_heartbeat(instance.id, Services.HEALTHY,
                                   5.0) == (True, False)
    assert db_fixtures.service_status(instance.id) == \
        Services.RESTART_REQUIRED


def test_heartbeat_without_sent_is_applied(catalogue):
    instance = make_instance(catalogue)
    assert manager.apply_heartbeat(instance.id, Services.HEALTHY,
                                   None) == (True, True)


@pytest.mark.parametrize('reported', [
    {'used': -1, 'used_percent': 5}, {'used': 1, 'used_percent': 101},
    {'used': True, 'used_percent': 5}, {'used': '1', 'used_percent': 5},
    {'used': 1}, 'full', [1, 2], {'used': float('nan'), 'used_percent': 1},
])
def test_insane_volume_usage_is_not_stored(catalogue, reported):
    instance, conductor, _ = setup(catalogue)
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'healthy', 'volume': reported},
                        sent=1.0)
    assert db_fixtures.service_status(instance.id) == Services.HEALTHY
    assert stored_usage(instance.id) == (None, None)


def test_volume_usage_is_stored_with_the_report_it_came_with(catalogue):
    instance, conductor, _ = setup(catalogue)
    usage = {'used': 0.5, 'used_percent': 50.0}
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'healthy', 'volume': usage},
                        sent=2.0)
    # A late report carries older usage: dropped with it.
    conductor.heartbeat(from_guest(instance), instance.id,
                        {'service_status': 'healthy',
                         'volume': {'used': 0.1, 'used_percent': 10.0}},
                        sent=1.0)
    assert stored_usage(instance.id) == (0.5, 50.0)


def stored_usage(instance_id):
    record = db.read(instances.find, instance_id)
    return record.volume_used, record.volume_used_percent
