"""The service registry's rows: heartbeats, clean stops, who counts as
up."""

import datetime

from trove_lite import db
from trove_lite.db.repositories import services


def beat(binary, host, topic='taskmanager'):
    with db.transaction() as conn:
        services.heartbeat(conn, binary, host, topic)


def rows():
    return db.read(services.list_all)[1]


def test_a_first_heartbeat_registers_and_later_ones_refresh(database):
    beat('trove-lite-taskmanager', 'tm-a')
    first = rows()[0]
    beat('trove-lite-taskmanager', 'tm-a')
    again = rows()
    assert len(again) == 1
    assert again[0].id == first.id
    assert again[0].created_at == first.created_at
    assert again[0].updated_at >= first.updated_at


def test_hosts_and_binaries_have_rows_of_their_own(database):
    beat('trove-lite-taskmanager', 'tm-a')
    beat('trove-lite-taskmanager', 'tm-b')
    beat('trove-lite-conductor', 'tm-a', topic='trove-conductor')
    assert [(row.binary, row.host, row.topic) for row in rows()] == [
        ('trove-lite-conductor', 'tm-a', 'trove-conductor'),
        ('trove-lite-taskmanager', 'tm-a', 'taskmanager'),
        ('trove-lite-taskmanager', 'tm-b', 'taskmanager')]


def test_a_silent_or_stopped_service_is_down(database):
    beat('trove-lite-taskmanager', 'silent')
    beat('trove-lite-taskmanager', 'stopped')
    beat('trove-lite-taskmanager', 'live')
    with db.transaction() as conn:
        services.stopped(conn, 'trove-lite-taskmanager', 'stopped')
    now, registered = db.read(services.list_all)
    silent = registered[1]
    assert services.is_up(silent, now, 60)
    assert not services.is_up(silent, now + datetime.timedelta(seconds=61),
                              60)
    assert db.read(services.live_hosts, 'trove-lite-taskmanager', 60) == {
        'silent', 'live'}
    assert db.read(services.live_hosts, 'trove-lite-conductor', 60) == set()


def test_a_heartbeat_after_a_stop_brings_the_service_back(database):
    beat('trove-lite-taskmanager', 'tm-a')
    with db.transaction() as conn:
        services.stopped(conn, 'trove-lite-taskmanager', 'tm-a')
    beat('trove-lite-taskmanager', 'tm-a')
    assert db.read(services.live_hosts, 'trove-lite-taskmanager', 60) == {
        'tm-a'}
