"""The conductor's one-statement heartbeat (a multiple-table UPDATE that
only MySQL and MariaDB have) against the stack's real MariaDB: it
refreshes an unchanged status and declines every report that ``apply``
must decide."""

import pytest
from oslo_config import fixture as config_fixture

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.conductor import manager as conductor_manager
from trove_lite.conf import CONF
from trove_lite.db import engine
from trove_lite.db.repositories import heartbeats
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
        'name': 'heartbeats', 'tenant_id': 'fast-path', 'flavor_id': '1',
        'datastore_version_id': version_id, 'volume_size': 1}).id


def refresh(instance_id, status, sent):
    with engine.autocommit() as conn:
        return heartbeats.refresh_unchanged(conn, instance_id, status, sent)


def test_an_unchanged_status_is_refreshed_in_one_statement(control_plane):
    instance_id = make_instance(control_plane)
    # No heartbeat yet: the first one is apply's.
    assert not refresh(instance_id, Services.HEALTHY, 1.0)
    assert conductor_manager.apply_heartbeat(
        instance_id, Services.HEALTHY, 1.0) == (True, True)

    assert refresh(instance_id, Services.HEALTHY, 2.0)
    assert db.read(heartbeats.lastseen, instance_id) == 2.0
    assert refresh(instance_id, None, 3.0)  # a report without a status
    assert db.read(heartbeats.lastseen, instance_id) == 3.0
    assert db.read(heartbeats.service_status, instance_id) == \
        Services.HEALTHY


def test_what_apply_must_decide_is_declined_and_left_unwritten(
        control_plane):
    instance_id = make_instance(control_plane)
    conductor_manager.apply_heartbeat(instance_id, Services.HEALTHY, 5.0)

    assert not refresh(instance_id, Services.HEALTHY, 5.0)  # not newer
    assert not refresh(instance_id, Services.HEALTHY, 4.0)  # older
    assert not refresh(instance_id, Services.SHUTDOWN, 6.0)  # a change
    assert db.read(heartbeats.lastseen, instance_id) == 5.0
    assert db.read(heartbeats.service_status, instance_id) == \
        Services.HEALTHY
    # The conductor's path then applies the change through apply.
    assert conductor_manager.apply_heartbeat(
        instance_id, Services.SHUTDOWN, 6.0) == (True, True)

    db_fixtures.soft_delete_instance(instance_id)
    assert not refresh(instance_id, Services.SHUTDOWN, 7.0)
    assert db.read(heartbeats.lastseen, instance_id) == 6.0
