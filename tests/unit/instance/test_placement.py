"""Where a new instance goes (instance/placement.py)."""

import datetime

import pytest

from tests.unit import db_fixtures
from trove_lite import db
from trove_lite.common import exceptions
from trove_lite.db import coordination_models
from trove_lite.db import models
from trove_lite.db.repositories import claims
from trove_lite.db.repositories import services
from trove_lite.instance import placement
from trove_lite.rpcapi import taskmanager as rpcapi


@pytest.fixture
def host_local(conf):
    conf.config(shared_state=False, group='local_compute')


def register(host, capacity=None, age=0):
    with db.transaction() as tx:
        services.heartbeat(tx, claims.TASKMANAGER, host, 'taskmanager',
                           capacity)
        table = coordination_models.Service.__table__
        tx.execute(table.update().where(table.c.host == host).values(
            updated_at=models.utcnow() - datetime.timedelta(seconds=age)))


def placed(catalogue, host):
    db_fixtures.create_instance({
        'name': 'x', 'tenant_id': 'p', 'flavor_id': '1', 'host': host,
        'datastore_version_id': catalogue.id, 'volume_size': 1})


def pick():
    return db.read(placement.pick_hosts, 1)[0]


def test_any_taskmanager_builds_where_every_one_reaches_the_servers(
        catalogue):
    register('a', capacity=0)
    assert pick() is None


def test_the_live_host_with_the_most_room_is_picked(catalogue, host_local):
    register('a', capacity=3)
    register('b', capacity=3)
    register('dead', age=3600)
    placed(catalogue, 'a')
    assert pick() == 'b'
    placed(catalogue, 'b')
    placed(catalogue, 'b')
    assert pick() == 'a'


def test_several_new_servers_spread_as_if_each_were_already_placed(
        catalogue, host_local):
    register('a', capacity=3)
    register('b', capacity=2)
    placed(catalogue, 'a')
    # Room 2 and 2: b (fewer instances), a, then b again.
    assert db.read(placement.pick_hosts, 3) == ['b', 'a', 'b']
    with pytest.raises(exceptions.NoValidHost):
        db.read(placement.pick_hosts, 5)


def test_before_any_taskmanager_reported_the_first_one_places(
        catalogue, host_local):
    register('dead', age=3600)
    assert pick() is None


def test_a_full_deployment_has_no_valid_host(catalogue, host_local):
    register('a', capacity=1)
    register('dead', age=3600)
    placed(catalogue, 'a')
    with pytest.raises(exceptions.NoValidHost):
        pick()


def test_requests_on_a_placed_instance_go_to_its_hosts_queue(conf):
    conf.config(taskmanager_queue='taskmanager')
    assert rpcapi.API('host-b')._client._client.target.server == 'host-b'
    assert rpcapi.API()._client._client.target.server is None
