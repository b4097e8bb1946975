"""trove-lite-manage service list, in a process of its own."""

import datetime
import subprocess
import sys

from trove_lite import db
from trove_lite.db import coordination_models  # noqa: F401 (its tables)
from trove_lite.db import engine
from trove_lite.db import models
from trove_lite.db.repositories import services


def beat(binary, host, topic='taskmanager'):
    with db.transaction() as conn:
        services.heartbeat(conn, binary, host, topic)


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
