"""The conductor's heartbeat batches (locking reads, CASE updates, a
multi-row INSERT IGNORE) against the stack's real MariaDB, two batches
racing on the same instances from two threads, and the accepted envelope
ids remembered in batches by two workers at once."""

import threading
import time
import uuid

import pytest
from oslo_config import fixture as config_fixture

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.common import seen_ids
from trove_lite.conductor import manager as conductor_manager
from trove_lite.conf import CONF
from trove_lite.db import engine
from trove_lite.db.repositories import heartbeats
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import sealed_message_ids
from trove_lite.records.status import ServiceStatuses as Services

pytestmark = pytest.mark.functional


@pytest.fixture
def control_plane(stack):
    """This process talks to the stack's database as the conductor does."""
    fixture = config_fixture.Config(CONF)
    fixture.setUp()
    CONF([], project='trove-lite', default_config_files=[])
    fixture.config(connection=stack.config()['database']['connection'],
                   group='database')
    engine.dispose()
    (version_id,), = stack.query('SELECT id FROM datastore_versions '
                                 'LIMIT 1')
    yield version_id
    engine.dispose()
    fixture.cleanUp()


def make_instance(version_id):
    return db_fixtures.create_instance({
        'name': 'heartbeats', 'tenant_id': 'batches', 'flavor_id': '1',
        'datastore_version_id': version_id, 'volume_size': 1}).id


def report(instance_id, status, sent, usage=None):
    return heartbeats.Report(instance_id, status, sent, usage)


def test_a_batch_applies_in_arrival_order_on_mariadb(control_plane):
    first, second, gone = (make_instance(control_plane) for _ in range(3))
    db_fixtures.soft_delete_instance(gone)
    usage = {'used': 0.25, 'used_percent': 25.0}
    assert conductor_manager.apply_heartbeats([
        report(first, Services.HEALTHY, 1.0),   # first ever: inserted guard
        report(second, Services.BUILDING, 5.0),
        report(first, Services.SHUTDOWN, 3.0, usage),
        report(first, Services.HEALTHY, 2.0),   # overtaken
        report(gone, Services.HEALTHY, 1.0),
        report(second, None, 6.0),               # only its time
    ]) == [(True, True), (True, True), (True, True), (False, False),
           (False, False), (True, False)]
    assert db.read(heartbeats.lastseen, first) == 3.0
    assert db.read(heartbeats.service_status, first) == Services.SHUTDOWN
    assert db.read(heartbeats.lastseen, second) == 6.0
    assert db.read(heartbeats.service_status, second) == Services.BUILDING
    assert db.read(heartbeats.lastseen, gone) is None
    record = db.read(instances.find, first)
    assert (record.volume_used, record.volume_used_percent) == (0.25, 25.0)
    # Guards that exist are raised by the next batch, never lowered.
    assert conductor_manager.apply_heartbeats([
        report(first, Services.SHUTDOWN, 4.0),
        report(second, Services.HEALTHY, 5.5),
    ]) == [(True, False), (False, False)]
    assert db.read(heartbeats.lastseen, first) == 4.0
    assert db.read(heartbeats.lastseen, second) == 6.0
    # The report without usage does not keep the older one as its own.
    assert db.read(instances.find, first).volume_used is None


def test_racing_batches_keep_the_newest_report(
        control_plane):
    ids = [make_instance(control_plane) for _ in range(20)]
    conductor_manager.apply_heartbeats(
        [report(i, Services.HEALTHY, 1.0) for i in ids])
    failures = []

    def writer(offset):
        try:
            for sent in range(2 + offset, 60, 2):
                status = (Services.HEALTHY, Services.SHUTDOWN)[sent % 2]
                # Each batch names the instances in another order.
                order = ids[sent % 7:] + ids[:sent % 7]
                conductor_manager.apply_heartbeats(
                    [report(i, status, float(sent)) for i in order])
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(offset,))
               for offset in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    for instance_id in ids:
        assert db.read(heartbeats.lastseen, instance_id) == 59.0
        assert db.read(heartbeats.service_status, instance_id) == \
            Services.SHUTDOWN


def test_two_workers_remembering_the_same_ids_accept_each_once(
        control_plane):
    """The accepted envelope ids, batched (db.repositories.
    sealed_message_ids), on MariaDB: two workers given the same ids at
    once accept each exactly once; the loser of a race falls back to one
    id at a time."""
    workers = [sealed_message_ids.DatabaseSeenIds() for _ in range(2)]
    instance_id = f'batch-{uuid.uuid4().hex[:8]}'
    now = time.time()
    answers = []

    def remember(worker, number):
        answers.append(worker.remember(instance_id, f'id-{number % 50}',
                                       now + 120, now, 10000))

    threads = [threading.Thread(target=remember,
                                args=(workers[number % 2], number))
               for number in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 200
    assert answers.count(None) == 50
    assert set(answers) == {None, seen_ids.REPLAYED}
