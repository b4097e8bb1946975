"""The guest's private server: where its socket and pid file may go, and
how the agent waits for it to start."""

import os
import sys
import time

import pytest

from trove_lite.common import exceptions
from trove_lite.guestagent.datastore import mysql_server


def test_run_dir_is_private_and_never_someone_elses(tmp_path):
    run_dir = tmp_path / 'run'
    mysql_server._make_private_dir(str(run_dir))
    assert run_dir.stat().st_mode & 0o777 == 0o700
    run_dir.chmod(0o755)
    mysql_server._make_private_dir(str(run_dir))  # ours: made private again
    assert run_dir.stat().st_mode & 0o777 == 0o700
    # One planted under /tmp is refused, not followed.
    planted = tmp_path / 'planted'
    planted.symlink_to(run_dir)
    with pytest.raises(exceptions.DatastoreOperationError):
        mysql_server._make_private_dir(str(planted))
    (tmp_path / 'file').write_text('')
    with pytest.raises(exceptions.DatastoreOperationError):
        mysql_server._make_private_dir(str(tmp_path / 'file'))


# A stand-in for mariadbd: takes connections on the socket the agent
# probes after a moment, and says READY=1 on NOTIFY_SOCKET when asked to
# (as mariadbd built with systemd support does), or exits at once.
FAKE_SERVER = '''#!{python}
import os, socket, sys, time
if os.environ['FAKE_SERVER'] == 'exits':
    sys.exit(3)
time.sleep(0.2)
listener = socket.socket(socket.AF_UNIX)
listener.bind(os.environ['FAKE_SERVER_SOCKET'])
listener.listen()
if os.environ['FAKE_SERVER'] == 'notifies':
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(
        b'READY=1', os.environ['NOTIFY_SOCKET'])
while True:
    connection, _ = listener.accept()
    connection.sendall(b'greeting')
    connection.close()
'''


@pytest.fixture
def fake_server(tmp_path, monkeypatch):
    """A MariaDBServer whose mariadbd is FAKE_SERVER; stopped after."""
    program = tmp_path / 'fake-mariadbd'
    program.write_text(FAKE_SERVER.format(python=sys.executable))
    program.chmod(0o755)
    (tmp_path / 'data').mkdir()
    server = mysql_server.MariaDBServer(
        str(tmp_path / 'sandbox'), str(tmp_path / 'data'), '127.0.0.9',
        3306, str(program))
    monkeypatch.setenv('FAKE_SERVER_SOCKET', server.socket)
    yield server
    if server.process is not None:
        server.process.kill()
        server.process.wait()


def test_a_start_sleeps_until_the_server_says_it_is_ready(
        fake_server, monkeypatch):
    monkeypatch.setenv('FAKE_SERVER', 'notifies')
    # Woken by the server's word, not by a probe after a long silence.
    monkeypatch.setattr(mysql_server, 'NOTIFY_SILENCE', 60)
    started = time.monotonic()
    fake_server.start(timeout=120)
    assert time.monotonic() - started < 30
    assert fake_server.is_running()
    assert not os.path.exists(os.path.join(fake_server.run_dir,
                                           'notify.sock'))


def test_a_server_that_says_nothing_is_probed(fake_server, monkeypatch):
    monkeypatch.setenv('FAKE_SERVER', 'silent')
    monkeypatch.setattr(mysql_server, 'NOTIFY_SILENCE', 0.05)
    fake_server.start(timeout=60)
    assert fake_server.is_running()


def test_a_server_that_exits_fails_the_start(fake_server, monkeypatch):
    monkeypatch.setenv('FAKE_SERVER', 'exits')
    with pytest.raises(exceptions.DatastoreOperationError,
                       match='exited with 3'):
        fake_server.start(timeout=60)
