"""Reconciliation and periodic housekeeping rules (taskmanager)."""

import datetime
import time

import pytest

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from trove_lite import db
from trove_lite.common import rpc
from trove_lite.compute import base
from trove_lite.compute.fake.driver import FakeDriver
from trove_lite.conductor import manager as conductor_manager
from trove_lite.db.repositories import claims as claim_rows
from trove_lite.db.repositories import services
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.records.status import ServiceStatuses as Services
from trove_lite.taskmanager import claims
from trove_lite.taskmanager import manager as tm_manager
from trove_lite.taskmanager import workflows


def inventory(servers=(), volumes=()):
    """A fake driver that knows ``servers`` (Servers) and ``volumes``
    ((volume id, instance id) pairs)."""
    driver = FakeDriver()
    for known in servers:
        driver.servers[known.id] = known
    for volume_id, instance_id in volumes:
        driver.add_volume(instance_id, volume_id=volume_id)
    return driver


def deleted(driver):
    """What was deleted: ('server' or 'volume', id) in order."""
    return [(method.split('_')[1], arguments[0])
            for method, *arguments in driver.calls
            if method in ('delete_server', 'delete_volume')]


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    FakeGuest.install(monkeypatch, workflows.guest_rpcapi)
    monkeypatch.setattr(tm_manager.notifications, 'notify',
                        lambda *args, **kwargs: None)


def building(catalogue, **values):
    instance = db_fixtures.create_instance({
        'name': 'b', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})
    if values:
        db_fixtures.update_instance(instance.id, **values)
    return db_fixtures.get_instance(instance.id)


def restarted_taskmanager(driver):
    """A taskmanager started after another went away."""
    return tm_manager.Manager(driver=driver)


def left_by(host, *records):
    """Claims of ``records`` held by a taskmanager of ``host`` that died
    (``host`` never registered: no lease)."""
    for record in records:
        claims.Claims(host).acquire(record.id, 'create').__enter__()


def live_peer(*records):
    """Claims of ``records`` held by a live taskmanager on host 'peer'."""
    with db.transaction() as tx:
        services.heartbeat(tx, claim_rows.TASKMANAGER, 'peer', 'taskmanager')
    left_by('peer', *records)


def server(instance_id, server_id='srv-1', status='ACTIVE'):
    return base.Server(id=server_id, status=status,
                       instance_id=instance_id)


def test_build_whose_guest_never_got_its_request_is_failed_cleanly(
        catalogue):
    instance = building(catalogue, compute_instance_id='srv-1',
                        volume_id='vol-1')
    left_by('gone', instance)
    driver = inventory(servers=[server(instance.id)],
                       volumes=[('vol-1', instance.id)])
    manager = restarted_taskmanager(driver)

    manager.housekeeper.reconcile()

    record = db_fixtures.get_instance(instance.id)
    assert record.task == Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert 'went away' in record.fault_message
    assert record.compute_instance_id is None and record.volume_id is None
    assert ('server', 'srv-1') in deleted(driver)
    assert ('volume', 'vol-1') in deleted(driver)


def test_build_whose_guest_reported_resumes_and_finishes(catalogue):
    instance = building(catalogue, compute_instance_id='srv-1')
    conductor_manager.apply_heartbeat(instance.id, Services.BUILDING, 1.0)
    left_by('gone', instance)
    driver = inventory(servers=[server(instance.id)])
    manager = restarted_taskmanager(driver)

    manager.housekeeper.reconcile()
    assert manager.claims.is_claimed(instance.id)  # the resumed wait
    conductor_manager.apply_heartbeat(instance.id, Services.HEALTHY, 2.0)
    manager.waiters.wake(instance.id)
    deadline = time.monotonic() + 10
    while manager.claims.is_claimed(instance.id) and \
            time.monotonic() < deadline:
        time.sleep(0.02)

    assert db_fixtures.get_instance(instance.id).task == Tasks.NONE
    assert deleted(driver) == []


def test_build_held_by_a_live_peer_is_left_alone(catalogue):
    instance = building(catalogue)
    live_peer(instance)
    manager = restarted_taskmanager(inventory())

    manager.housekeeper.reconcile()
    manager.housekeeper.take_over_lapsed()

    assert db_fixtures.get_instance(instance.id).task == Tasks.BUILDING
    assert db.read(claim_rows.all_claims) == [(instance.id, 'peer',
                                               'create')]


def test_periodic_check_fails_only_builds_older_than_their_timeout(
        catalogue, conf):
    conf.config(usage_timeout=60, group='mariadb')
    old = building(catalogue, task_start_time=datetime.datetime(2020, 1, 1))
    fresh = building(catalogue)
    manager = tm_manager.Manager(driver=inventory())

    manager.housekeeper.fail_stuck_builds()

    assert db_fixtures.get_instance(old.id).task == \
        Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert 'lost' in db_fixtures.get_instance(old.id).fault_message
    assert db_fixtures.get_instance(fresh.id).task == Tasks.BUILDING


def test_orphans_are_reaped_and_owned_resources_kept(catalogue):
    live = building(catalogue, compute_instance_id='srv-live',
                    volume_id='vol-live')
    gone = building(catalogue, compute_instance_id='srv-gone')
    db_fixtures.soft_delete_instance(gone.id)
    driver = inventory(
        servers=[server(live.id, 'srv-live'), server(gone.id, 'srv-gone'),
                 server(live.id, 'srv-stray'), server(None, 'srv-nobody')],
        volumes=[('vol-live', live.id), ('vol-gone', gone.id)])
    manager = tm_manager.Manager(driver=driver)

    manager.housekeeper.reap_orphans()

    assert sorted(deleted(driver)) == [
        ('server', 'srv-gone'), ('server', 'srv-nobody'),
        ('server', 'srv-stray'), ('volume', 'vol-gone')]


def test_the_broker_user_of_a_gone_instance_goes_with_its_orphans(
        catalogue, monkeypatch):
    removed = []
    monkeypatch.setattr(tm_manager.housekeeping.broker_users, 'remove',
                        removed.append)
    live = building(catalogue, compute_instance_id='srv-live',
                    volume_id='vol-live')
    # One left its server and volume, one only its volume (its server's
    # record was lost).
    gone, lost = building(catalogue), building(catalogue)
    for instance in (gone, lost):
        db_fixtures.soft_delete_instance(instance.id)
    driver = inventory(
        servers=[server(live.id, 'srv-live'), server(gone.id, 'srv-gone')],
        volumes=[('vol-live', live.id), ('vol-gone', gone.id),
                 ('vol-lost', lost.id)])
    manager = tm_manager.Manager(driver=driver)

    manager.housekeeper.reap_orphans()

    assert sorted(removed) == sorted([gone.id, lost.id])


def test_resources_of_an_instance_being_built_are_not_reaped(catalogue):
    instance = building(catalogue)  # server made, not yet recorded
    driver = inventory(servers=[server(instance.id, 'srv-new')])
    manager = tm_manager.Manager(driver=driver)
    manager.claims.acquire(instance.id, 'test').__enter__()

    manager.housekeeper.reap_orphans()

    assert deleted(driver) == []


def test_stopped_server_of_a_ready_instance_is_started_again(catalogue):
    instance = building(catalogue, compute_instance_id='srv-1',
                        task_id=Tasks.NONE.code)
    driver = inventory(servers=[server(instance.id, status='SHUTDOWN')])
    restarted_taskmanager(driver).housekeeper.reconcile()
    assert driver.calls == [('start_server', 'srv-1')]
    assert driver.servers['srv-1'].status == 'ACTIVE'


def test_interrupted_restart_or_resize_has_its_task_cleared(catalogue):
    rebooting = building(catalogue, task_id=Tasks.REBOOTING.code)
    resizing = building(catalogue, task_id=Tasks.RESIZING.code)
    claimed = building(catalogue, task_id=Tasks.RESIZING.code)
    left_by('gone', rebooting, resizing)
    manager = restarted_taskmanager(inventory())
    live_peer(claimed)  # a live taskmanager's resize

    manager.housekeeper.reconcile()

    assert db_fixtures.get_instance(rebooting.id).task == Tasks.NONE
    assert db_fixtures.get_instance(resizing.id).task == Tasks.NONE
    assert db_fixtures.get_instance(claimed.id).task == Tasks.RESIZING


def test_unclaimed_work_is_left_to_the_queue_while_a_peer_lives(
        catalogue):
    # Requested, its request still queued for some taskmanager.
    fresh_build = building(catalogue)
    fresh_restart = building(catalogue, task_id=Tasks.REBOOTING.code)
    live_peer()
    manager = restarted_taskmanager(inventory())

    manager.housekeeper.reconcile()

    assert db_fixtures.get_instance(fresh_build.id).task == Tasks.BUILDING
    assert db_fixtures.get_instance(fresh_restart.id).task == Tasks.REBOOTING


def test_alone_unclaimed_work_from_before_the_start_up_was_lost(catalogue):
    # Its request was taken by the previous process, which died before
    # it claimed the instance.
    lost_build = building(catalogue,
                          task_start_time=datetime.datetime(2020, 1, 1))
    lost_restart = building(catalogue, task_id=Tasks.REBOOTING.code,
                            task_start_time=datetime.datetime(2020, 1, 1))
    manager = restarted_taskmanager(inventory())
    # Sent after the start-up: its request is still coming.
    queued = building(catalogue)
    manager.housekeeper.started_at -= datetime.timedelta(seconds=5)

    manager.housekeeper.reconcile()

    assert db_fixtures.get_instance(lost_build.id).task.is_error
    assert db_fixtures.get_instance(lost_restart.id).task == Tasks.NONE
    assert db_fixtures.get_instance(queued.id).task == Tasks.BUILDING


def test_work_sent_in_the_start_ups_second_is_not_taken_for_lost(
        catalogue):
    manager = restarted_taskmanager(inventory())
    # The database keeps whole seconds: a request sent just after the
    # start-up, within its second, reads as sent at the second's start.
    queued = building(catalogue, task_start_time=manager.housekeeper
                      .started_at.replace(microsecond=0))

    manager.housekeeper.reconcile()

    assert db_fixtures.get_instance(queued.id).task == Tasks.BUILDING


def test_start_up_second_work_unclaimed_at_the_second_look_was_lost(
        catalogue, monkeypatch):
    # The previous process took the request and died in the second the
    # new one started: at the second look no request has claimed it, and
    # none waits in the taskmanager's queues.
    monkeypatch.setattr(rpc, 'ready_messages', lambda queues: 0)
    manager = restarted_taskmanager(inventory())
    lost = building(catalogue, task_start_time=manager.housekeeper
                    .started_at)
    building_now = building(catalogue, task_start_time=manager.housekeeper
                            .started_at)
    after = building(catalogue, task_start_time=manager.housekeeper
                     .started_at + datetime.timedelta(seconds=1))
    manager.housekeeper.reconcile()

    with manager.housekeeper.claims.acquire(building_now.id, 'build'):
        manager.housekeeper.reconcile_start_up_second()

    assert db_fixtures.get_instance(lost.id).task.is_error
    assert db_fixtures.get_instance(building_now.id).task == Tasks.BUILDING
    assert db_fixtures.get_instance(after.id).task == Tasks.BUILDING


def _no_answer(queues):
    raise ConnectionRefusedError('broker away')


@pytest.mark.parametrize('ready_messages', [
    lambda queues: 2,  # requests the broker delivers late
    lambda queues: None,  # a driver that cannot tell
    _no_answer])
def test_no_second_look_while_requests_may_still_come(
        catalogue, monkeypatch, ready_messages):
    monkeypatch.setattr(rpc, 'ready_messages', ready_messages)
    manager = restarted_taskmanager(inventory())
    queued = building(catalogue, task_start_time=manager.housekeeper
                      .started_at)

    manager.housekeeper.reconcile()
    manager.housekeeper.reconcile_start_up_second()

    assert db_fixtures.get_instance(queued.id).task == Tasks.BUILDING


def test_a_claim_of_this_hosts_previous_process_is_taken_back(catalogue,
                                                              conf):
    conf.config(host='me')
    instance = building(catalogue)
    left_by('me', instance)  # killed, and restarted at once

    restarted_taskmanager(inventory()).housekeeper.reconcile()

    assert db_fixtures.get_instance(instance.id).task.is_error
    assert db.read(claim_rows.all_claims) == []


def test_on_a_host_local_driver_other_hosts_instances_are_left(
        catalogue, conf, monkeypatch):
    conf.config(host='me')
    monkeypatch.setattr(FakeDriver, 'host_local', classmethod(
        lambda cls: True))
    theirs = building(catalogue, host='other')
    mine = building(catalogue, host='me')
    left_by('other', theirs)
    left_by('gone', mine)
    old = datetime.datetime(2020, 1, 1)
    stuck = building(catalogue, host='other', task_start_time=old)
    manager = restarted_taskmanager(inventory())

    manager.housekeeper.reconcile()
    manager.housekeeper.fail_stuck_builds()

    assert db_fixtures.get_instance(theirs.id).task == Tasks.BUILDING
    assert db_fixtures.get_instance(stuck.id).task == Tasks.BUILDING
    assert db_fixtures.get_instance(mine.id).task.is_error
