"""The heartbeats repository: the guest's status, and the lastseen guard
inside the caller's transaction (the conductor's composition is tested in
tests/unit/conductor/test_manager.py)."""

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.db.repositories import heartbeats
from trove_lite.records.status import ServiceStatuses as Services


def make_instance(catalogue):
    return db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})


def apply(instance_id, status, sent):
    with db.transaction() as tx:
        return heartbeats.apply(tx, instance_id, status, sent)


def test_a_heartbeat_is_remembered_by_its_sent_time(catalogue):
    instance = make_instance(catalogue)
    assert db.read(heartbeats.lastseen, instance.id) is None
    assert apply(instance.id, Services.HEALTHY, 7.5) == (True, True)
    assert db.read(heartbeats.lastseen, instance.id) == 7.5
    assert db.read(heartbeats.service_status, instance.id) == \
        Services.HEALTHY


def test_a_heartbeat_not_newer_than_the_last_is_not_applied(catalogue):
    instance = make_instance(catalogue)
    apply(instance.id, Services.HEALTHY, 7.5)
    assert apply(instance.id, Services.SHUTDOWN, 7.5) == (False, False)
    assert db.read(heartbeats.lastseen, instance.id) == 7.5


def test_a_heartbeat_without_a_status_only_refreshes_its_time(catalogue):
    instance = make_instance(catalogue)
    assert apply(instance.id, None, 1.0) == (True, False)
    assert db.read(heartbeats.service_status, instance.id) == Services.NEW


def test_forgetting_the_lastseen_lets_any_heartbeat_in(catalogue):
    instance = make_instance(catalogue)
    apply(instance.id, Services.HEALTHY, 100.0)
    with db.transaction() as tx:
        heartbeats.forget_lastseen(tx, instance.id)
    assert db.read(heartbeats.lastseen, instance.id) is None
    assert apply(instance.id, Services.SHUTDOWN, 1.0) == (True, True)


def test_the_one_statement_refresh_is_mysql_only(catalogue):
    # SQLite has no multiple-table UPDATE: apply decides every heartbeat.
    instance = make_instance(catalogue)
    apply(instance.id, Services.HEALTHY, 1.0)
    with db.transaction() as tx:
        assert not heartbeats.refresh_unchanged(tx, instance.id,
                                                Services.HEALTHY, 2.0)


def test_the_status_is_set_outside_a_heartbeat(catalogue):
    instance = make_instance(catalogue)
    with db.transaction() as tx:
        heartbeats.set_service_status(tx, instance.id, Services.RESTARTING)
    assert db.read(heartbeats.service_status, instance.id) == \
        Services.RESTARTING
    assert db.read(heartbeats.service_status, 'ghost') is None
