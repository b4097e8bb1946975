"""How builds end (taskmanager/builds.py) and the one teardown path
(taskmanager/teardown.py)."""

import types

import pytest

from tests.unit import db_fixtures
from tests.unit.fakes import FakeGuest
from tests.unit.taskmanager.test_workflows import build
from trove_lite.api.views import instances as views
from trove_lite.common import exceptions
from trove_lite.compute.fake.driver import FakeDriver
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.records.status import ServiceStatuses as Services
from trove_lite.taskmanager import builds
from trove_lite.taskmanager import teardown
from trove_lite.taskmanager import workflows


class LoggingDriver(FakeDriver):
    """A fake driver whose servers keep a guest log."""

    def __init__(self, fail=()):
        super().__init__(fail)
        self.kept = []

    def keep_guest_log(self, server_id):
        self.kept.append(server_id)
        return f'{server_id}: mariadbd: Aborting'


@pytest.fixture
def instance(catalogue, monkeypatch):
    FakeGuest.install(monkeypatch, workflows.guest_rpcapi)
    return db_fixtures.create_instance({
        'name': 'i', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': catalogue.id, 'volume_size': 1})


def test_failed_build_keeps_the_guest_log_tail_for_admins_only(instance):
    driver = LoggingDriver()
    record = build(instance, driver, outcome=None)

    assert len(driver.kept) == 1 and driver.servers == {}
    expected = f'{driver.kept[0]}: mariadbd: Aborting'
    assert record.fault_details == expected
    # The tenant's view has details None; admins get what was kept.
    admin_view = views.admin_keys(
        {'fault': {'message': record.fault_message, 'details': None}},
        record)
    assert admin_view['fault']['details'] == expected


@pytest.mark.parametrize('fail_on', ['create_server', None])
def test_every_failed_build_ends_with_server_status_error(instance,
                                                          fail_on):
    outcome = None if fail_on is None else 'unused'
    record = build(instance, FakeDriver(fail={fail_on}), outcome=outcome)

    assert record.task.is_error
    assert record.server_status == 'ERROR'
    assert (record.compute_instance_id, record.volume_id,
            record.addresses) == (None, None, None)


def test_build_failed_by_housekeeping_looks_like_one_failed_by_its_step(
        instance):
    by_step = build(instance, FakeDriver(), outcome=None)
    other = db_fixtures.create_instance({
        'name': 'j', 'tenant_id': 'p', 'flavor_id': '1',
        'datastore_version_id': instance.datastore_version_id,
        'volume_size': 1})

    builds.fail(None, FakeDriver(), other.id,
                Tasks.BUILDING_ERROR_TIMEOUT_GA, 'lost')
    by_housekeeping = db_fixtures.get_instance(other.id)

    assert by_step.task == by_housekeeping.task
    assert by_step.server_status == by_housekeeping.server_status == 'ERROR'


def test_failed_build_removes_a_server_it_never_recorded(instance):
    driver = FakeDriver(fail={'create_volume'})
    # Made by an earlier delivery of the request, never recorded.
    driver.add_server(instance.id, server_id='srv-0')

    record = build(instance, driver)

    assert record.task == Tasks.BUILDING_ERROR_VOLUME
    assert driver.servers == {}
    assert ('delete_server', 'srv-0') in driver.calls


def test_teardown_tries_every_kind_and_raises_the_first_error(
        monkeypatch):
    removed = []

    def broken(driver, instance):
        removed.append('broken')
        raise exceptions.ComputeError(reason='cloud down')

    monkeypatch.setattr(teardown, 'RESOURCE_KINDS', [
        ('server', broken),
        ('volume', lambda driver, instance: removed.append('volume')),
        ('queue', lambda driver, instance: removed.append('queue'))])

    with pytest.raises(exceptions.ComputeError, match='cloud down'):
        teardown.remove_resources_of(None, types.SimpleNamespace(id='x'))
    assert removed == ['broken', 'volume', 'queue']


def test_wait_for_guest_times_out_with_the_guest_marked(instance, conf):
    class NeverHealthy:
        def wait(self, *args):
            return None

    conf.config(update_status_on_fail=True)
    with pytest.raises(exceptions.GuestTimeout, match='within 7 seconds'):
        builds.wait_for_guest(NeverHealthy(), instance.id, 7)
    assert db_fixtures.get_instance(instance.id).service_status == \
        Services.FAILED_TIMEOUT_GUESTAGENT
