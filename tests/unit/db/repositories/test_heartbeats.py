"""The heartbeats repository: the guest's status, and the lastseen guard
inside the caller's transaction (the conductor's composition is tested in
tests/unit/conductor/test_manager.py)."""

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.records.status import ServiceStatuses as Services


def make_instance(catalogue):
    return db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})


def apply(instance_id, status, sent):
    with db.transaction() as tx:
        return heartbeats.apply_batch(
            tx, [heartbeats.Report(instance_id, status, sent)])[0]


def batch(*reports):
    with db.transaction() as tx:
        return heartbeats.apply_batch(
            tx, [heartbeats.Report(*report) for report in reports])


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


# --- the batch ordering rule ------------------------------------------------

def rows(**statuses):
    return {instance_id: heartbeats._Row(f'row-{instance_id}', status.code,
                                         lastseen)
            for instance_id, (status, lastseen) in statuses.items()}


def report(instance_id, status, sent):
    return heartbeats.Report(instance_id, status, sent)


def test_a_batch_is_decided_as_one_report_at_a_time_in_arrival_order():
    state = rows(a=(Services.HEALTHY, 10.0), b=(Services.NEW, None))
    outcomes = heartbeats.decide([
        report('a', Services.SHUTDOWN, 12.0),
        report('a', Services.HEALTHY, 11.0),   # overtaken: stale
        report('b', Services.BUILDING, 1.0),   # first ever: applied
        report('a', Services.HEALTHY, 13.0),   # changes back
        report('a', Services.HEALTHY, 13.0),   # a duplicate
        report('b', Services.HEALTHY, 2.0),
        report('ghost', Services.HEALTHY, 5.0),  # unknown or deleted
        report('a', Services.HEALTHY, 10.0),   # not newer than the start
    ], state)
    assert outcomes == [(True, True), (False, False), (True, True),
                        (True, True), (False, False), (True, True),
                        (False, False), (False, False)]
    assert (state['a'].status_code, state['a'].lastseen) == (
        Services.HEALTHY.code, 13.0)
    assert (state['b'].status_code, state['b'].lastseen) == (
        Services.HEALTHY.code, 2.0)
    assert state['a'].report.sent == 13.0


def test_the_rule_keeps_restart_required_and_lets_unguarded_reports_in():
    state = rows(a=(Services.RESTART_REQUIRED, 5.0), b=(Services.NEW, 9.0))
    outcomes = heartbeats.decide([
        report('a', Services.HEALTHY, 6.0),
        report('b', Services.HEALTHY, None),  # an old guest: no guard
        report('b', None, 10.0),              # only its time
    ], state)
    assert outcomes == [(True, False), (True, True), (True, False)]
    assert state['a'].status_code == Services.RESTART_REQUIRED.code
    assert (state['b'].status_code, state['b'].lastseen) == (
        Services.HEALTHY.code, 10.0)


def test_a_batch_writes_what_the_rule_decided(catalogue):
    first, second, gone = (make_instance(catalogue) for _ in range(3))
    apply(first.id, Services.HEALTHY, 10.0)
    db_fixtures.soft_delete_instance(gone.id)
    usage = {'used': 0.5, 'used_percent': 50.0}
    assert batch((first.id, Services.SHUTDOWN, 12.0, usage),
                 (second.id, Services.BUILDING, 1.0),
                 (second.id, None, 2.0),  # after a change: only its time
                 (first.id, Services.HEALTHY, 11.0),
                 (gone.id, Services.HEALTHY, 1.0),
                 ('ghost', Services.HEALTHY, 1.0)) == [
        (True, True), (True, True), (True, False), (False, False),
        (False, False), (False, False)]
    assert db.read(heartbeats.lastseen, first.id) == 12.0
    assert db.read(heartbeats.service_status, first.id) == Services.SHUTDOWN
    assert db.read(heartbeats.lastseen, second.id) == 2.0
    assert db.read(heartbeats.service_status, second.id) == \
        Services.BUILDING
    assert db.read(heartbeats.lastseen, gone.id) is None
    assert db.read(heartbeats.service_status, gone.id) == Services.DELETED
    record = db.read(instances.find, first.id)
    assert (record.volume_used, record.volume_used_percent) == (0.5, 50.0)
    # A stale batch writes nothing.
    assert batch((first.id, Services.HEALTHY, 12.0, {'used': 0.1,
                                                     'used_percent': 1})) \
        == [(False, False)]
    assert db.read(instances.find, first.id).volume_used == 0.5


def test_the_status_is_set_outside_a_heartbeat(catalogue):
    instance = make_instance(catalogue)
    with db.transaction() as tx:
        heartbeats.set_service_status(tx, instance.id, Services.RESTARTING)
    assert db.read(heartbeats.service_status, instance.id) == \
        Services.RESTARTING
    assert db.read(heartbeats.service_status, 'ghost') is None
