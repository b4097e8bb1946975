"""The service registry: heartbeats, clean stops, who counts as up."""

import datetime
import subprocess
import sys

from trove_lite import db
from trove_lite.common import service_registry
from trove_lite.db import engine
from trove_lite.db import models
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


def test_a_registration_beats_at_start_and_records_its_stop(database, conf):
    conf.config(service_report_interval=3600)
    registration = service_registry.Registration(
        'trove-lite-conductor', 'trove-conductor', host='cond-1')
    registration.start()
    assert db.read(services.live_hosts, 'trove-lite-conductor', 60) == {
        'cond-1'}
    registration.stop()
    assert db.read(services.live_hosts, 'trove-lite-conductor', 60) == set()
    assert rows()[0].stopped_at is not None


def test_a_heartbeat_while_the_database_is_away_is_skipped(conf):
    conf.config(connection='mysql+pymysql://nobody@127.0.0.1:1/none',
                group='database')
    engine.dispose()
    try:
        registration = service_registry.Registration(
            'trove-lite-taskmanager', 'taskmanager', host='tm-a')
        assert registration.beat() is False
    finally:
        engine.dispose()


def manage(tmp_path, *args):
    """trove-lite-manage in a process of its own, on the test's database
    file."""
    config = tmp_path / 'trove-lite.conf'
    config.write_text(f'[database]\nconnection = sqlite:///{tmp_path}/db\n')
    return subprocess.run(
        [sys.executable, '-m', 'trove_lite.cmd.manage', '--config-file',
         str(config), *args], capture_output=True, text=True, timeout=60)


def test_service_list_shows_binary_host_topic_state_and_heartbeat(
        conf, tmp_path):
    conf.config(connection=f'sqlite:///{tmp_path}/db', group='database')
    engine.dispose()
    models.Base.metadata.create_all(engine.get_engine())
    beat('trove-lite-taskmanager', 'tm-a')
    beat('trove-lite-conductor', 'cond-1', topic='trove-conductor')
    with db.transaction() as conn:
        services.stopped(conn, 'trove-lite-conductor', 'cond-1')
    engine.dispose()
    listed = manage(tmp_path, 'service', 'list')
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [cell.strip() for cell in lines[1].split('|')[1:-1]] == [
        'ID', 'Binary', 'Host', 'Topic', 'State', 'Updated At']
    table = [[cell.strip() for cell in line.split('|')[1:-1]]
             for line in lines[3:-1]]
    assert [row[1:5] for row in table] == [
        ['trove-lite-conductor', 'cond-1', 'trove-conductor', 'down'],
        ['trove-lite-taskmanager', 'tm-a', 'taskmanager', 'up']]
    for row in table:
        datetime.datetime.fromisoformat(row[5])


def test_service_without_an_action_is_refused(tmp_path):
    refused = manage(tmp_path, 'service')
    assert refused.returncode != 0
    assert 'list' in refused.stderr
