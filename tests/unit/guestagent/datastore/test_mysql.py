"""The guest's side of configuration groups: the overrides kept in the
server's option file, the values set live, and what needs a restart."""

import json

import pymysql
import pytest

from tests.unit.guestagent.datastore import fakes
from trove_lite.common import exceptions
from trove_lite.guestagent.datastore import mysql
from trove_lite.guestagent.datastore import mysql_server
from trove_lite.guestagent.datastore import mysql_sql


class FakeConnection(fakes.RecordingConnection):
    """Records statements; refuses some variables as a server would."""

    def __init__(self, refuse=None):
        super().__init__()
        self.refuse = refuse or {}

    def execute(self, statement, params=()):
        for name, error in self.refuse.items():
            if f'GLOBAL {name} ' in statement:
                raise error
        super().execute(statement, params)


@pytest.fixture
def server(tmp_path):
    return mysql_server.MariaDBServer(str(tmp_path), str(tmp_path / 'data'),
                               '127.0.0.9', 3306, '/usr/sbin/mariadbd')


def option_lines(server):
    with open(server.options_file) as options:
        return options.read().splitlines()


def test_overrides_are_kept_in_the_option_file(server):
    connection = FakeConnection()
    server.apply_memory(connection, 512, {'max_connections': 300,
                                          'back_log': 70})
    lines = option_lines(server)
    assert 'max_connections=300' in lines and 'back_log=70' in lines
    assert 'innodb_buffer_pool_size=64M' in lines
    # The flavor's max_connections is not set live over the group's.
    assert [params for _sql, params in connection.statements] == [
        (64 * 1024 * 1024,)]
    with open(server.settings_file) as kept:
        assert json.load(kept) == {'memory_mb': 512, 'overrides': {
            'max_connections': 300, 'back_log': 70}}


def test_a_resize_keeps_the_groups_values(server):
    server.write_options(256, {'innodb_buffer_pool_size': 50331648})
    connection = FakeConnection()
    server.resize_memory(connection, 1024)
    lines = option_lines(server)
    assert 'innodb_buffer_pool_size=50331648' in lines
    assert 'max_connections=64' in lines
    assert [sql for sql, _params in connection.statements] == [
        'SET GLOBAL max_connections = %s']


def test_new_overrides_replace_the_old_ones(server):
    server.write_options(256, {'wait_timeout': 60, 'back_log': 70})
    server.write_options(overrides={'wait_timeout': 90})
    lines = option_lines(server)
    assert 'wait_timeout=90' in lines
    assert not any(line.startswith('back_log') for line in lines)
    assert 'max_connections=20' in lines  # the flavor's stays


def test_unsafe_overrides_leave_the_file_as_it_was(server):
    server.write_options(256, {'wait_timeout': 60})
    before = option_lines(server)
    with pytest.raises(exceptions.DatastoreOperationError):
        server.write_options(overrides={'datadir': '/etc'})
    assert option_lines(server) == before


def test_live_values_are_set_in_name_order_and_reset_to_defaults(server):
    server.write_options(512, {})
    connection = FakeConnection()
    assert server.apply_live(connection, {
        'collation_server': 'latin1_bin', 'character_set_server': 'latin1',
        'max_connections': None, 'wait_timeout': None,
        'slow_query_log': True, 'long_query_time': 2.5}) == []
    assert connection.statements == [
        ('SET GLOBAL character_set_server = %s', ('latin1',)),
        ('SET GLOBAL collation_server = %s', ('latin1_bin',)),
        ('SET GLOBAL long_query_time = %s', (2.5,)),
        # Back to the flavor's value, not the server's compiled default.
        ('SET GLOBAL max_connections = %s', (32,)),
        ('SET GLOBAL slow_query_log = %s', ('ON',)),
        ('SET GLOBAL wait_timeout = DEFAULT', ()),
    ]


def test_values_the_server_takes_only_at_a_start_are_reported(server):
    server.write_options(256, {})
    connection = FakeConnection(refuse={
        'back_log': pymysql.err.InternalError(
            1238, "Variable 'back_log' is a read only variable"),
        'max_user_connections': pymysql.err.OperationalError(
            1290, 'The MariaDB server is running with the '
                  '--max-user-connections=0 option')})
    assert server.apply_live(connection, {
        'back_log': 70, 'max_user_connections': 5, 'wait_timeout': 60}) == [
        'back_log', 'max_user_connections']
    assert connection.statements == [
        ('SET GLOBAL wait_timeout = %s', (60,))]


def test_a_value_the_server_refuses_is_an_error(server):
    server.write_options(256, {})
    connection = FakeConnection(refuse={'sql_mode': pymysql.err.
                                        ProgrammingError(
                                            1231, "Variable 'sql_mode' "
                                                  "can't be set")})
    with pytest.raises(exceptions.DatastoreOperationError) as error:
        server.apply_live(connection, {'sql_mode': 'BOGUS'})
    assert "setting sql_mode: Variable 'sql_mode' can't be set" in str(
        error.value)


SEMI_SYNC = {'rpl_semi_sync_master_enabled': True,
             'rpl_semi_sync_master_timeout': 60000}


def test_a_replica_keeps_the_semi_sync_source_side_off(server):
    # Its applier would wait for acknowledgements nobody sends; the
    # group's value holds once it is a source again.
    server.is_source = lambda: False
    server.write_options(256, SEMI_SYNC)
    lines = option_lines(server)
    assert 'rpl_semi_sync_master_enabled=OFF' in lines
    assert 'rpl_semi_sync_master_timeout=60000' in lines
    assert 'rpl_semi_sync_slave_enabled=ON' in lines
    connection = FakeConnection()
    server.apply_live(connection, SEMI_SYNC)
    assert connection.statements == [
        ('SET GLOBAL rpl_semi_sync_master_enabled = %s', ('OFF',)),
        ('SET GLOBAL rpl_semi_sync_master_timeout = %s', (60000,))]

    server.is_source = lambda: True
    connection = FakeConnection()
    server.apply_role(connection)
    assert 'rpl_semi_sync_master_enabled=ON' in option_lines(server)
    assert connection.statements == [
        ('SET GLOBAL rpl_semi_sync_master_enabled = %s', ('ON',))]


def test_a_source_without_semi_sync_in_its_group_takes_the_default(server):
    server.write_options(256, {})
    connection = FakeConnection()
    server.apply_role(connection)
    assert connection.statements == [
        ('SET GLOBAL rpl_semi_sync_master_enabled = DEFAULT', ())]


def test_a_replica_takes_its_role_at_every_start(tmp_path, monkeypatch):
    # An ejected source is told to refuse writes while its server is
    # down; the server then starts with what it ran with as a source.
    monkeypatch.setattr(mysql, 'CONF', type('Conf', (), {
        'guest_agent': type('Agent', (), {
            'mount_point': str(tmp_path / 'data'),
            'bind_address': '127.0.0.9',
            'mariadbd_path': '/usr/sbin/mariadbd'}),
        'datastore_manager': 'mariadb', 'state_change_wait_time': 5,
        'mariadb': type('Group', (), {'port': 3306})}))
    manager = mysql.MySqlManager('i-1', str(tmp_path), conductor=object())
    manager.server.write_options(256, SEMI_SYNC)
    manager.replication_role.set_read_only(True)
    connection = FakeConnection()
    connection.fetchone = lambda: (0,)  # read_only, as it started
    started = []
    monkeypatch.setattr(manager.server, 'start',
                        lambda timeout, init_statements=None:
                        started.append(init_statements))
    monkeypatch.setattr(manager.server, 'admin_connection',
                        lambda: connection)

    manager.start_datastore()

    # Read-only before the first connection (the init file) ...
    assert started == [mysql_sql.READ_ONLY_AT_START]
    assert connection.statements[-2:] == [
        ('SET GLOBAL read_only = %s', (1,)),
        ('SET GLOBAL rpl_semi_sync_master_enabled = %s', ('OFF',))]
    assert 'rpl_semi_sync_master_enabled=OFF' in option_lines(manager.server)


def test_the_guest_takes_overrides_only_once_prepared(tmp_path, monkeypatch):
    monkeypatch.setattr(mysql, 'CONF', type('Conf', (), {
        'guest_agent': type('Agent', (), {
            'mount_point': str(tmp_path / 'data'),
            'bind_address': '127.0.0.9',
            'mariadbd_path': '/usr/sbin/mariadbd'}),
        'datastore_manager': 'mariadb',
        'mariadb': type('Group', (), {'port': 3306})}))
    manager = mysql.MySqlManager('i-1', str(tmp_path),
                                 conductor=object())
    with pytest.raises(exceptions.DatastoreOperationError):
        manager.update_overrides(None, {'wait_timeout': 60})
    manager.status.is_installed = True
    manager.update_overrides(None, {'wait_timeout': 60}, remove=True)
    assert 'wait_timeout=60' in option_lines(manager.server)


def test_live_values_refuse_what_the_agent_manages(tmp_path, monkeypatch):
    monkeypatch.setattr(mysql, 'CONF', type('Conf', (), {
        'guest_agent': type('Agent', (), {
            'mount_point': str(tmp_path / 'data'),
            'bind_address': '127.0.0.9',
            'mariadbd_path': '/usr/sbin/mariadbd'}),
        'datastore_manager': 'mariadb',
        'mariadb': type('Group', (), {'port': 3306})}))
    manager = mysql.MySqlManager('i-1', str(tmp_path),
                                 conductor=object())
    manager.status.is_installed = True

    def no_connection():
        raise AssertionError('connected')

    manager.server.admin_connection = no_connection
    # As the option file refuses them (write_options).
    for overrides in ({'read_only': 1}, {'wait_timeout': 60,
                                         'datadir': None}):
        with pytest.raises(exceptions.DatastoreOperationError,
                           match='cannot be set by a configuration group'):
            manager.apply_overrides(None, overrides)


@pytest.mark.parametrize('restore_pending', [False, True])
def test_a_guest_built_from_a_backup_starts_no_server_before_prepare(
        tmp_path, monkeypatch, restore_pending):
    template = tmp_path / 'template'
    (template / 'mysql').mkdir(parents=True)
    (tmp_path / 'data').mkdir()
    monkeypatch.setattr(mysql, 'CONF', type('Conf', (), {
        'guest_agent': type('Agent', (), {
            'mount_point': str(tmp_path / 'data'),
            'bind_address': '127.0.0.9', 'template_datadir': str(template),
            'mariadbd_path': '/usr/sbin/mariadbd'}),
        'restore_pending': restore_pending, 'state_change_wait_time': 5,
        'datastore_manager': 'mariadb',
        'mariadb': type('Group', (), {'port': 3306})}))
    manager = mysql.MySqlManager('i-1', str(tmp_path),
                                 conductor=object())
    started = []
    monkeypatch.setattr(manager.server, 'start',
                        lambda *args, **kwargs: started.append(args))

    manager.preboot_datastore()

    # Either way the option file is there for restore_backup's start.
    assert option_lines(manager.server)
    assert manager.server.is_initialised is not restore_pending
    assert bool(started) is not restore_pending
