"""The guest's replication: a source is told only a password's hash, a
replica follows from its snapshot's GTID position and stays read-only
(across its volume checks and restarts) until detached."""

import pytest

from tests.unit.guestagent.datastore import fakes
from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.conductor import manager as conductor_manager
from trove_lite.datastore import mysql_config
from trove_lite.datastore import mysql_rules
from trove_lite.guestagent.datastore import mysql_replication
from trove_lite.taskmanager import replicas


class FakeServer(fakes.RecordingConnection):
    """admin_connection() records statements; SHOW SLAVE STATUS answers
    ``slave_row``."""

    def __init__(self):
        super().__init__()
        self.slave_row = ('Yes', 'Yes', '')

    def admin_connection(self):
        return self

    def execute(self, statement, params=()):
        super().execute(statement, params)
        self.description = [('Slave_IO_Running',), ('Slave_SQL_Running',),
                            ('Last_IO_Error',)]

    def fetchone(self):
        return self.slave_row

    @property
    def connection(self):
        return self

    def apply_role(self, connection):
        self.statements.append(('apply_role', self.is_source()))


class Guest(mysql_replication.ReplicationMethods):
    def __init__(self, sandbox):
        self.server = FakeServer()
        self.replication_role = mysql_replication.ReplicationRole(sandbox)
        # As MySqlManager wires them.
        self.server.is_source = lambda: not self.replication_role.read_only
        self.sandbox_path = sandbox

    def _check_prepared(self):
        pass


@pytest.fixture
def guest(tmp_path):
    return Guest(str(tmp_path))


MASTER = {'host': '127.0.0.7', 'port': 3306, 'user': 'os_repl_12345678',
          'password': 'secret-password'}


def test_a_replica_starts_at_its_snapshots_gtid_read_only(guest):
    guest.attach_replica(None, {'master': MASTER, 'log_position': '0-7-42'})
    statements = guest.server.statements
    assert ('SET GLOBAL read_only = %s', (1,)) in statements
    assert ('RESET MASTER', ()) in statements
    assert ('SET GLOBAL gtid_slave_pos = %s', ('0-7-42',)) in statements
    change = next(s for s in statements if s[0].startswith('CHANGE MASTER'))
    assert 'MASTER_USE_GTID = slave_pos' in change[0]
    # Values are bound, never pasted into the statement.
    assert change[1] == ('127.0.0.7', 3306, 'os_repl_12345678',
                         'secret-password')
    assert 'secret-password' not in change[0]
    assert guest.replication_role.read_only


def test_the_role_is_taken_while_the_server_refuses_writes(guest):
    # Semi-sync's source side goes off before the applier runs, and is
    # back on before the first write is taken.
    guest.attach_replica(None, {'master': MASTER, 'log_position': ''})
    statements = guest.server.statements
    read_only = statements.index(('SET GLOBAL read_only = %s', (1,)))
    role = statements.index(('apply_role', False))
    assert read_only < role < statements.index(('START SLAVE', ()))
    guest.server.statements = []
    guest.enable_as_master(None, {'replication_users': []})
    statements = guest.server.statements
    assert statements.index(('apply_role', True)) < statements.index(
        ('SET GLOBAL read_only = %s', (0,)))


def test_a_replica_that_cannot_reach_its_source_fails(guest, monkeypatch):
    monkeypatch.setattr(mysql_replication, 'ATTACH_TIMEOUT', 0)
    guest.server.slave_row = ('Connecting', 'Yes', 'Access denied')
    with pytest.raises(exceptions.DatastoreOperationError,
                       match='Access denied'):
        guest.attach_replica(None, {'master': MASTER, 'log_position': ''})


def test_detach_makes_it_writable_for_good(guest):
    guest.attach_replica(None, {'master': MASTER, 'log_position': ''})
    guest.detach_replica(None)
    assert ('RESET SLAVE ALL', ()) in guest.server.statements
    assert guest.server.statements[-2] == ('SET GLOBAL read_only = %s', (0,))
    assert not mysql_replication.ReplicationRole(
        guest.sandbox_path).read_only


def test_the_source_is_told_the_hash_only(guest, monkeypatch):
    monkeypatch.setattr(mysql_replication.storage, 'get_storage',
                        lambda project, grant=None: None)
    saved = type('Saved', (), {'size': 1024, 'checksum': 'c'})
    monkeypatch.setattr(mysql_replication.mysql_backup, 'backup',
                        lambda *args: (saved, 99))
    info = objects.BackupInfo(id='b1', project_id='p')
    digest = replicas.password_hash('secret-password')
    result = guest.get_replication_snapshot(None, {
        'backup_info': info, 'replication_user': {
            'name': 'os_repl_12345678', 'password_hash': digest}})
    assert result['dataset']['lsn'] == 99
    assert ('SET SESSION sql_log_bin = 0', ()) in guest.server.statements
    create = next(s for s in guest.server.statements
                  if s[0].startswith('CREATE OR REPLACE USER'))
    assert 'IDENTIFIED BY PASSWORD' in create[0]
    assert create[1] == ('os_repl_12345678', digest)


@pytest.mark.parametrize('name', ['root', 'os_admin', 'app', None,
                                  'os_repl_' + 'x' * 40])
def test_only_replication_accounts_are_made_or_dropped(guest, name):
    with pytest.raises(exceptions.DatastoreOperationError):
        guest.cleanup_source_on_replica_detach(None, {'user': name})
    assert guest.server.statements == []


def test_password_hash_is_mariadbs():
    # SELECT PASSWORD('password') on MariaDB 10.11.
    assert replicas.password_hash('password') == \
        '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'


def test_replication_account_names_are_reserved():
    assert 'reserved' in mysql_rules.check_user_name('os_repl_x')
    assert replicas.replication_user(
        '3f0b1b4e-0000-4000-8000-000000000000') == 'os_repl_3f0b1b4e'


def test_every_instance_has_its_own_server_id():
    first = mysql_config.server_id_of('3f0b1b4e-0000-4000-8000-00000000000a')
    second = mysql_config.server_id_of('3f0b1b4e-0000-4000-8000-00000000000b')
    assert first != second
    assert 1 <= first < 2 ** 32
    assert first == mysql_config.server_id_of(
        '3f0b1b4e-0000-4000-8000-00000000000a')


def test_the_prepare_request_never_shows_the_password():
    request = objects.PrepareRequest(memory_mb=256,
                                     snapshot={'master': MASTER})
    assert 'secret-password' not in repr(request)
    assert 'replica=True' in repr(request)


@pytest.mark.parametrize('reported, kept', [
    (0, 0), (42, 42), (None, None), (-1, None), (True, None), ('3', None),
    (2 ** 40, None), (1.5, None)])
def test_the_conductor_keeps_only_a_sane_lag(reported, kept):
    assert conductor_manager.replication_lag(reported) == kept


@pytest.mark.parametrize('position, reached', [
    ('', 0), (None, 0), ('0-1-5', 5), ('0-1-5,1-2-7', 12),
    ('0-3052881234-18446744073709551615', 2 ** 64 - 1)])
def test_the_most_advanced_replica_is_the_one_with_more_applied(position,
                                                                reached):
    assert replicas.reach(position) == reached


def test_a_fenced_source_starts_read_only(guest):
    # make_read_only keeps the role first: a server that is not up yet
    # (an ejected source coming back) starts that way.
    guest.server.admin_connection = lambda: (_ for _ in ()).throw(
        OSError('not up'))
    with pytest.raises(OSError):
        guest.make_read_only(None, True)
    assert mysql_replication.ReplicationRole(guest.sandbox_path).read_only

