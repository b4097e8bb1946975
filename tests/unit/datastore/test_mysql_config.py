"""The guest's server option file: base, flavor and configuration group
settings, and how values are written so the server reads them back as
they were meant."""

import pytest

from trove_lite.datastore import mysql_config


def test_a_groups_values_win_over_base_and_flavor():
    settings = mysql_config.tunable_settings(
        1024, {'max_connections': 300, 'innodb_buffer_pool_size': 67108864,
               'wait_timeout': 60})
    assert settings['max_connections'] == 300
    assert settings['innodb_buffer_pool_size'] == 67108864
    assert settings['wait_timeout'] == 60
    assert settings['table_open_cache'] == '64'  # base, untouched
    without = mysql_config.tunable_settings(1024)
    assert (without['max_connections'],
            without['innodb_buffer_pool_size']) == ('64', '128M')


def test_a_collation_brings_its_character_set():
    # The server refuses to start with a collation of another character
    # set than character_set_server.
    settings = mysql_config.tunable_settings(
        256, {'collation_server': 'latin1_german1_ci'})
    assert (settings['character_set_server'],
            settings['collation_server']) == ('latin1', 'latin1_german1_ci')


def test_a_character_set_alone_gets_its_default_collation():
    settings = mysql_config.tunable_settings(
        256, {'character_set_server': 'latin1'})
    assert settings['character_set_server'] == 'latin1'
    assert 'collation_server' not in settings


def test_both_given_are_kept_as_given():
    settings = mysql_config.tunable_settings(
        256, {'character_set_server': 'utf8mb4',
              'collation_server': 'utf8mb4_bin'})
    assert (settings['character_set_server'],
            settings['collation_server']) == ('utf8mb4', 'utf8mb4_bin')


def test_server_settings_put_the_group_after_the_guests_own(tmp_path):
    settings = mysql_config.server_settings(
        str(tmp_path / 'data'), str(tmp_path / 'run'), str(tmp_path / 'log'),
        str(tmp_path / 'files'), '127.0.0.5', 3306, 512, {'back_log': 70})
    assert settings['datadir'] == str(tmp_path / 'data')
    assert settings['bind-address'] == '127.0.0.5'
    assert settings['secure-file-priv'] == str(tmp_path / 'files')
    assert list(settings)[-1] == 'back_log'


def test_the_server_is_never_told_to_run_as_root(tmp_path):
    settings = mysql_config.server_settings(
        str(tmp_path / 'data'), str(tmp_path / 'run'), str(tmp_path / 'log'),
        str(tmp_path / 'files'), '127.0.0.5', 3306, 512)
    assert 'user' not in settings
    assert 'user' not in mysql_config.template_settings()
    assert mysql_config.server_settings(
        str(tmp_path / 'data'), str(tmp_path / 'run'), str(tmp_path / 'log'),
        str(tmp_path / 'files'), '127.0.0.5', 3306, 512,
        os_user='mysql')['user'] == 'mysql'


@pytest.mark.parametrize('value, written', [
    (True, 'ON'),
    (False, 'OFF'),
    (200, '200'),
    (2.5, '2.5'),
    (1e-05, '1e-05'),
    ('STRICT_ALL_TABLES,NO_ZERO_DATE', 'STRICT_ALL_TABLES,NO_ZERO_DATE'),
    ('', '""'),
    ('SET NAMES utf8mb4 # x', '"SET NAMES utf8mb4 # x"'),
    ('say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'),
])
def test_values_are_written_so_the_server_reads_them_back(value, written):
    # MariaDB strips the quotes and reads \" and \\ inside them as " and
    # \ (checked against mariadbd 10.11).
    assert mysql_config.option_value(value) == written


def test_the_rendered_file_has_one_line_per_setting():
    text = mysql_config.render({'skip-name-resolve': None,
                                'slow_query_log': True,
                                'init_connect': 'SET @a = 1'})
    assert text == ('[mariadbd]\nskip-name-resolve\nslow_query_log=ON\n'
                    'init_connect="SET @a = 1"\n')


@pytest.mark.parametrize('overrides', [
    {'datadir': '/tmp'},
    {'read_only': True},
    {'bind_address': '0.0.0.0'},
    {'Max_Connections': 10},
    {'max-connections': 10},
    {'wait_timeout; DROP': 1},
    {'init_connect': 'x\nport=1'},
    {'max_connections': 10, 'init_file': '/etc/passwd'},
    # The server takes a unique prefix of an option's name.
    {'init_fil': '/tmp/x.sql'},
    {'init-fil': '/tmp/x.sql'},
    {'plugin_load_add': 'ha_connect'},
    {'plugin_load': 'ha_connect'},
    {'general_log_file': '/etc/cron.d/x'},
    {'slow_query_log_file': '/etc/cron.d/x'},
    {'log_bin': '/etc/x'},
    {'secure_file_priv': ''},
    {'secure_file': ''},
    {'user': 'root'},
    {'wait_timeout': '10\nuser=root'},
    {1: 2},
])
def test_overrides_the_guest_cannot_write_safely_are_refused(overrides):
    with pytest.raises(ValueError):
        mysql_config.check_overrides(overrides)


def test_defaults_are_the_base_or_flavor_setting_or_the_servers():
    assert mysql_config.default_value('max_connections', 1024) == 64
    assert mysql_config.default_value('innodb_buffer_pool_size', 1024) == \
        128 * 1024 * 1024
    assert mysql_config.default_value('character_set_server', 256) == \
        'utf8mb4'
    assert mysql_config.default_value('performance_schema', 256) == 'OFF'
    assert mysql_config.default_value('wait_timeout', 256) is None


def test_every_guest_acknowledges_a_semi_synchronous_source_unless_told():
    # A replica's acknowledgement is what a semi-synchronous source waits
    # for; any member may become a replica (promote, eject), so all ack.
    assert mysql_config.tunable_settings(256)[
        'rpl_semi_sync_slave_enabled'] == 'ON'
    assert mysql_config.default_value('rpl_semi_sync_slave_enabled',
                                      256) == 'ON'
    group = {'rpl_semi_sync_slave_enabled': False,
             'rpl_semi_sync_master_enabled': True,
             'rpl_semi_sync_master_timeout': 60000,
             'rpl_semi_sync_master_wait_point': 'AFTER_SYNC'}
    mysql_config.check_overrides(group)
    settings = mysql_config.tunable_settings(256, group)
    assert settings['rpl_semi_sync_slave_enabled'] is False
    assert 'rpl_semi_sync_master_enabled' not in \
        mysql_config.tunable_settings(256)
    assert 'rpl_semi_sync' not in mysql_config.render(
        mysql_config.template_settings())


def test_sql_values():
    assert mysql_config.sql_value('16M') == 16 * 1024 * 1024
    assert mysql_config.sql_value('0') == 0
    assert mysql_config.sql_value('utf8mb4') == 'utf8mb4'
    assert mysql_config.sql_value(True) == 'ON'
    assert mysql_config.sql_value(2.5) == 2.5


def test_every_parameter_of_the_catalogue_may_be_set():
    assert 'max_connections' in mysql_config.SETTABLE_OPTIONS
    assert 'read_only' not in mysql_config.SETTABLE_OPTIONS
    mysql_config.check_overrides(
        dict.fromkeys(mysql_config.SETTABLE_OPTIONS, 1))


def test_socket_goes_to_a_short_directory_when_the_sandbox_is_deep():
    shallow = '/var/lib/trove-lite/servers/0c1e'
    assert mysql_config.run_dir_for(shallow) == shallow + '/run'
    deep = '/tmp/' + 'd' * 120
    run_dir = mysql_config.run_dir_for(deep)
    assert len(run_dir + '/mysqld.sock') <= mysql_config.MAX_SOCKET_PATH
    assert run_dir == mysql_config.run_dir_for(deep)  # the same on every start
