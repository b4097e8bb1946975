"""A stuck build that cannot be failed does not stop the periodic check:
the error is logged, the builds after it are failed, and it is tried
again next period."""

import datetime
import logging

from tests.unit import db_fixtures
from tests.unit.taskmanager.test_housekeeping import building
from tests.unit.taskmanager.test_housekeeping import no_broker  # noqa: F401
from trove_lite.compute.fake.driver import FakeDriver
from trove_lite.records.status import InstanceTasks as Tasks
from trove_lite.taskmanager import manager as tm_manager

LONG_AGO = datetime.datetime(2020, 1, 1)


class StuckServerDriver(FakeDriver):
    """Its servers named ``stuck`` refuse to go."""

    def delete_server(self, server_id):
        if server_id == 'stuck':
            raise RuntimeError('the compute service refused')
        super().delete_server(server_id)


def test_a_build_that_cannot_be_failed_does_not_stop_the_others(
        catalogue, conf, caplog):
    conf.config(usage_timeout=60, group='mariadb')
    stuck = building(catalogue, task_start_time=LONG_AGO,
                     compute_instance_id='stuck')
    later = building(catalogue, task_start_time=LONG_AGO,
                     compute_instance_id='srv-later')
    driver = StuckServerDriver()
    driver.add_server(stuck.id, server_id='stuck')
    driver.add_server(later.id, server_id='srv-later')
    manager = tm_manager.Manager(driver=driver)

    with caplog.at_level(logging.ERROR):
        manager.housekeeper.fail_stuck_builds()

    assert db_fixtures.get_instance(later.id).task == \
        Tasks.BUILDING_ERROR_TIMEOUT_GA
    assert db_fixtures.get_instance(stuck.id).task == Tasks.BUILDING
    assert f'failing the build of {stuck.id} failed' in caplog.text
    assert 'the compute service refused' in caplog.text
    # Its claim is let go: the next period tries it again.
    assert not manager.claims.is_claimed(stuck.id)
    manager.driver.delete_server = FakeDriver.delete_server.__get__(
        manager.driver)
    manager.housekeeper.fail_stuck_builds()
    assert db_fixtures.get_instance(stuck.id).task == \
        Tasks.BUILDING_ERROR_TIMEOUT_GA
