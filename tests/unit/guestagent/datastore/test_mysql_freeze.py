"""The guest's quiesce for volume snapshots: one at a time, undone by
thaw or by its own timer."""

import time
import types

import pytest

from trove_lite.common import exceptions
from trove_lite.guestagent.datastore import mysql_freeze


class FakeConnection:
    def __init__(self, log):
        self.log = log

    def cursor(self):
        return types.SimpleNamespace(execute=self.log.append)

    def close(self):
        self.log.append('close')


@pytest.fixture
def manager():
    log = []
    return types.SimpleNamespace(
        log=log,
        server=types.SimpleNamespace(
            admin_connection=lambda: FakeConnection(log)),
        stop_datastore=lambda: log.append('stop'),
        start_datastore=lambda: log.append('start'))


def test_lock_holds_the_read_lock_until_thawed(manager):
    freezer = mysql_freeze.Freezer(manager)
    freezer.freeze('lock', 60)
    assert manager.log == ['FLUSH TABLES WITH READ LOCK']
    with pytest.raises(exceptions.DatastoreOperationError):
        freezer.freeze('lock', 60)
    freezer.thaw()
    freezer.thaw()
    assert manager.log == ['FLUSH TABLES WITH READ LOCK', 'UNLOCK TABLES',
                           'close']


def test_stop_restarts_the_server_on_its_own_after_the_timeout(manager):
    freezer = mysql_freeze.Freezer(manager)
    freezer.freeze('stop', 0.05)
    assert manager.log == ['stop']
    deadline = time.monotonic() + 5
    while freezer.frozen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert manager.log == ['stop', 'start']
    assert not freezer.frozen


def test_unknown_mode_is_refused(manager):
    with pytest.raises(exceptions.DatastoreOperationError):
        mysql_freeze.Freezer(manager).freeze('snapshot', 5)
    assert manager.log == []
