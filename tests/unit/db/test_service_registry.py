"""A service's registration: its heartbeat and its stop."""

from trove_lite import db
from trove_lite.db import engine
from trove_lite.db import service_registry
from trove_lite.db.repositories import services


def test_a_registration_beats_at_start_and_records_its_stop(database, conf):
    conf.config(service_report_interval=3600)
    registration = service_registry.Registration(
        'trove-lite-conductor', 'trove-conductor', host='cond-1')
    registration.start()
    assert db.read(services.live_hosts, 'trove-lite-conductor', 60) == {
        'cond-1'}
    registration.stop()
    assert db.read(services.live_hosts, 'trove-lite-conductor', 60) == set()
    assert db.read(services.list_all)[1][0].stopped_at is not None


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
