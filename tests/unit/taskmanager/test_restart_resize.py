"""The taskmanager's side of restart and resize: the work, the undo of a
half-done resize, and the task always cleared at the end."""

import pytest

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.fake.driver import FakeDriver
from trove_lite.conductor import manager as conductor_manager
from trove_lite.quota import api as quota
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.taskmanager import manager as tm_manager
from trove_lite.taskmanager import waiters as tm_waiters


def guest_calls():
    """What the guest was asked: (method, *arguments) in order."""
    return [(method, *arguments.values())
            for _instance, method, arguments in FakeGuest.sent]


class FakeWaiters:
    def __init__(self):
        self.waited = []

    def wait_for_report(self, instance_id, sent, timeout, check_interval):
        self.waited.append((instance_id, sent))
        return 'healthy'


FLAVORS = ({'id': '1', 'ram': 256}, {'id': '2', 'ram': 512})


@pytest.fixture
def manager(catalogue, monkeypatch):
    FakeGuest.install(monkeypatch, tm_manager.guest_rpcapi)
    tm = tm_manager.Manager(driver=FakeDriver())
    # The server and volume of every instance_in.
    tm.driver.add_server(None, server_id='srv', volume_id='vol')
    tm.driver.add_volume(None, volume_id='vol')
    tm.waiters = FakeWaiters()
    return tm


def instance_in(task, catalogue):
    row = db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})
    db_fixtures.update_instance(row.id, task=task, compute_instance_id='srv',
                           volume_id='vol', server_status='ACTIVE')
    return row.id


def charge_as_the_api_did(**deltas):
    quota.apply_alone(quota.UsageChange('p', deltas))


def test_restart_waits_for_the_guests_report_then_clears_the_task(
        manager, catalogue):
    instance = instance_in(Tasks.REBOOTING, catalogue)
    manager.restart(None, instance)
    assert guest_calls() == [('update_overrides', {}), ('restart',)]
    assert manager.waiters.waited == [(instance, 1234.5)]
    assert db_fixtures.get_instance(instance).task == Tasks.NONE


def test_restart_of_a_silent_guest_reboots_its_server(manager, catalogue):
    FakeGuest.answers = False
    instance = instance_in(Tasks.REBOOTING, catalogue)
    manager.restart(None, instance)
    assert guest_calls() == []
    assert manager.driver.calls == [('reboot_server', 'srv')]
    (waited_for, sent), = manager.waiters.waited
    assert waited_for == instance and sent > 1234.5
    assert db_fixtures.get_instance(instance).task == Tasks.NONE


def test_restart_of_a_stopped_server_reboots_it(manager, catalogue):
    manager.driver.servers['srv'].status = 'SHUTDOWN'
    instance = instance_in(Tasks.REBOOTING, catalogue)
    manager.restart(None, instance)
    assert manager.driver.calls == [('reboot_server', 'srv')]
    assert guest_calls() == []


def test_restart_hands_the_guest_its_configuration_first(manager,
                                                         catalogue):
    group = db_fixtures.create_group('p1', 'tuned', catalogue.id,
                                     {'max_connections': 50})
    instance = instance_in(Tasks.RESTART_REQUIRED, catalogue)
    db_fixtures.update_instance(instance, configuration_id=group.id,
                                task=Tasks.REBOOTING)
    manager.restart(None, instance)
    assert guest_calls() == [('update_overrides', {'max_connections': 50}),
                               ('restart',)]
    assert db_fixtures.get_instance(instance).task == Tasks.NONE


def test_failed_restart_still_clears_the_task(manager, catalogue):
    FakeGuest.fails('restart')
    instance = instance_in(Tasks.REBOOTING, catalogue)
    manager.restart(None, instance)
    assert db_fixtures.get_instance(instance).task == Tasks.NONE
    assert manager.waiters.waited == []


def test_resize_flavor_records_the_new_flavor(manager, catalogue):
    instance = instance_in(Tasks.RESIZING, catalogue)
    manager.resize_flavor(None, instance, *FLAVORS)
    assert manager.driver.calls == [('resize_server', 'srv', '2')]
    assert guest_calls() == [('apply_flavor', 512)]
    record = db_fixtures.get_instance(instance)
    assert (record.flavor_id, record.task) == ('2', Tasks.NONE)


def test_resize_flavor_waits_for_a_restarted_server_s_guest(
        manager, catalogue, monkeypatch):
    # A Nova resize powers the server off and on: the guest applies the
    # flavor once it has reported after the resize, not while booting.
    monkeypatch.setattr(manager.driver, 'resize_restarts_server', True)
    instance = instance_in(Tasks.RESIZING, catalogue)
    manager.resize_flavor(None, instance, *FLAVORS)
    (waited_for, sent), = manager.waiters.waited
    assert waited_for == instance and sent > 1234.5
    assert guest_calls() == [('apply_flavor', 512)]
    assert db_fixtures.get_instance(instance).flavor_id == '2'


def test_resize_flavor_of_a_server_that_kept_running_waits_for_nothing(
        manager, catalogue):
    instance = instance_in(Tasks.RESIZING, catalogue)
    manager.resize_flavor(None, instance, *FLAVORS)
    assert manager.waiters.waited == []


def test_resize_flavor_the_guest_refuses_goes_back(manager, catalogue):
    FakeGuest.fails('apply_flavor')
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(ram=256)
    manager.resize_flavor(None, instance, *FLAVORS)
    assert db_fixtures.quota_usages('p')['ram'] == 0
    assert manager.driver.calls == [('resize_server', 'srv', '2'),
                                    ('resize_server', 'srv', '1')]
    assert guest_calls() == [('apply_flavor', 512), ('apply_flavor', 256)]
    record = db_fixtures.get_instance(instance)
    assert (record.flavor_id, record.task) == ('1', Tasks.NONE)


def test_resize_volume_grows_and_tells_the_guest(manager, catalogue):
    instance = instance_in(Tasks.RESIZING, catalogue)
    manager.resize_volume(None, instance, 3)
    assert manager.driver.calls == [('extend_volume', 'vol', 3)]
    assert guest_calls() == [('resize_fs',)]
    record = db_fixtures.get_instance(instance)
    assert (record.volume_size, record.task) == (3, Tasks.NONE)


def test_volume_that_cannot_grow_keeps_its_size(manager, catalogue):
    manager.driver.fail = ('extend_volume',)
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(volumes=2)
    manager.resize_volume(None, instance, 3)
    assert db_fixtures.quota_usages('p')['volumes'] == 0
    record = db_fixtures.get_instance(instance)
    assert (record.volume_size, record.task) == (1, Tasks.NONE)
    assert guest_calls() == []


def usage(resource):
    return db_fixtures.quota_usages('p')[resource]


def test_resize_flavor_the_server_refuses_gives_the_ram_back(manager,
                                                            catalogue):
    manager.driver.fail = ('resize_server',)
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(ram=256)
    manager.resize_flavor(None, instance, *FLAVORS)
    assert usage('ram') == 0
    assert guest_calls() == []
    record = db_fixtures.get_instance(instance)
    assert (record.flavor_id, record.task) == ('1', Tasks.NONE)


def test_resize_flavor_done_keeps_its_charge(manager, catalogue):
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(ram=256)
    manager.resize_flavor(None, instance, *FLAVORS)
    assert usage('ram') == 256
    assert db_fixtures.get_instance(instance).flavor_id == '2'


@pytest.mark.parametrize('guest_fails', [(), ('resize_fs',)])
def test_a_volume_that_grew_keeps_its_charge(manager, catalogue,
                                             guest_fails):
    # Even when the guest then fails to grow its filesystem: the volume
    # has grown and is recorded so.
    FakeGuest.fails(*guest_fails)
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(volumes=2)
    manager.resize_volume(None, instance, 3)
    assert usage('volumes') == 2
    record = db_fixtures.get_instance(instance)
    assert (record.volume_size, record.task) == (3, Tasks.NONE)


@pytest.mark.parametrize('task', [Tasks.RESIZING, Tasks.NONE])
def test_resize_that_never_got_its_instance_gives_the_charge_back(
        manager, catalogue, monkeypatch, task):
    # NONE: whoever held the claim (reconciliation) cleared the task.
    monkeypatch.setattr(tm_manager, 'ACTION_CLAIM_WAIT', 0)
    instance = instance_in(task, catalogue)
    charge_as_the_api_did(volumes=2)
    manager.claims.acquire(instance, 'test').__enter__()
    manager.resize_volume(None, instance, 3)
    assert usage('volumes') == 0
    record = db_fixtures.get_instance(instance)
    assert (record.volume_size, record.task) == (1, Tasks.NONE)
    assert manager.driver.calls == []


def test_resize_of_an_instance_reset_meanwhile_gives_the_charge_back(
        manager, catalogue):
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(ram=256)
    db_fixtures.reset_status(instance)
    manager.resize_flavor(None, instance, *FLAVORS)
    assert usage('ram') == 0
    assert manager.driver.calls == [] and guest_calls() == []


def test_resize_of_an_instance_deleted_meanwhile_gives_the_charge_back(
        manager, catalogue):
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(volumes=2)
    db_fixtures.soft_delete_instance(instance)
    manager.resize_volume(None, instance, 3)
    assert usage('volumes') == 0
    assert manager.driver.calls == []


def test_a_resize_request_delivered_again_keeps_the_charge(manager,
                                                          catalogue):
    # The first delivery resized; the second finds the task cleared.
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(ram=256)
    manager.resize_flavor(None, instance, *FLAVORS)
    manager.resize_flavor(None, instance, *FLAVORS)
    assert usage('ram') == 256
    assert db_fixtures.get_instance(instance).flavor_id == '2'


def test_resize_failing_while_its_task_was_reset_still_refunds(
        manager, catalogue):
    instance = instance_in(Tasks.RESIZING, catalogue)
    charge_as_the_api_did(ram=256)

    def reset_then_fail(server_id, flavor):
        db_fixtures.reset_status(instance)
        raise exceptions.ComputeError(reason='broke')

    manager.driver.resize_server = reset_then_fail
    manager.resize_flavor(None, instance, *FLAVORS)
    assert usage('ram') == 0
    assert db_fixtures.get_instance(instance).task == Tasks.NONE


def test_action_for_an_instance_no_longer_in_that_task_is_skipped(
        manager, catalogue):
    instance = instance_in(Tasks.NONE, catalogue)
    manager.restart(None, instance)
    manager.resize_volume(None, instance, 3)
    assert guest_calls() == [] and manager.driver.calls == []


def test_waiting_for_a_report_ends_when_the_conductor_applied_it(catalogue):
    instance = instance_in(Tasks.REBOOTING, catalogue)
    waiters = tm_waiters.GuestStatusWaiters()
    assert waiters.wait_for_report(instance, 100.0, 0.1, 0.05) is None
    conductor_manager.apply_heartbeat(instance, None, 100.5)
    assert waiters.wait_for_report(instance, 100.0, 1, 0.05) is not None


def test_a_driver_that_cannot_resize_says_so():
    driver = FakeDriver()
    with pytest.raises(exceptions.NotImplementedYet):
        base.ComputeDriver.resize_server(driver, 'srv', FLAVORS[1])
    with pytest.raises(exceptions.NotImplementedYet):
        base.ComputeDriver.extend_volume(driver, 'vol', 2)
