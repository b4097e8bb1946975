"""The conductor's lastseen guard and heartbeat write (db.api)."""

from trove_lite.db import api as db_api
from trove_lite.instance.status import ServiceStatuses as Services


def make_instance(catalogue):
    return db_api.instance_create({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})


def test_first_heartbeat_is_applied_and_reports_a_change(catalogue):
    instance = make_instance(catalogue)
    assert db_api.apply_heartbeat(instance.id, Services.HEALTHY,
                                  100.0) == (True, True)
    assert db_api.service_status_get(instance.id) == Services.HEALTHY


def test_same_status_again_is_applied_without_change(catalogue):
    instance = make_instance(catalogue)
    db_api.apply_heartbeat(instance.id, Services.HEALTHY, 100.0)
    assert db_api.apply_heartbeat(instance.id, Services.HEALTHY,
                                  101.0) == (True, False)


def test_heartbeat_older_than_lastseen_is_ignored(catalogue):
    instance = make_instance(catalogue)
    db_api.apply_heartbeat(instance.id, Services.HEALTHY, 200.0)
    assert db_api.apply_heartbeat(instance.id, Services.SHUTDOWN,
                                  150.0) == (False, False)
    assert db_api.service_status_get(instance.id) == Services.HEALTHY


def test_duplicate_heartbeat_is_ignored(catalogue):
    instance = make_instance(catalogue)
    db_api.apply_heartbeat(instance.id, Services.BUILDING, 200.0)
    assert db_api.apply_heartbeat(instance.id, Services.HEALTHY,
                                  200.0) == (False, False)
    assert db_api.service_status_get(instance.id) == Services.BUILDING


def test_heartbeat_for_unknown_instance_leaves_no_trace(database):
    assert db_api.apply_heartbeat('no-such-instance', Services.HEALTHY,
                                  1.0) == (False, False)
    with database.connect() as conn:
        rows = conn.exec_driver_sql(
            'SELECT COUNT(*) FROM conductor_lastseen').scalar()
    assert rows == 0


def test_heartbeat_for_deleted_instance_is_dropped(catalogue):
    instance = make_instance(catalogue)
    db_api.instance_soft_delete(instance.id)
    assert db_api.apply_heartbeat(instance.id, Services.HEALTHY,
                                  1.0) == (False, False)
    assert db_api.service_status_get(instance.id) == Services.DELETED


def test_restart_required_is_kept_but_refreshed(catalogue):
    instance = make_instance(catalogue)
    db_api.service_status_set(instance.id, Services.RESTART_REQUIRED)
    assert db_api.apply_heartbeat(instance.id, Services.HEALTHY,
                                  5.0) == (True, False)
    assert db_api.service_status_get(instance.id) == \
        Services.RESTART_REQUIRED


def test_heartbeat_without_sent_is_applied(catalogue):
    instance = make_instance(catalogue)
    assert db_api.apply_heartbeat(instance.id, Services.HEALTHY,
                                  None) == (True, True)
