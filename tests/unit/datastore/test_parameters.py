"""The parameter catalogue: the shipped MariaDB/MySQL file, the rules a
catalogue entry must follow, and how values are checked against it
(Trove's 422 messages)."""

import json
import math

import pytest

from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.configuration import validation
from trove_lite.datastore import parameters


@pytest.fixture(scope='module')
def shipped():
    return {parameter.name: parameter
            for parameter in parameters.shipped('mariadb')}


def check(values, catalogue):
    return validation.check_values(values, catalogue.values(), 'mariadb',
                                   '10.11')


def refusal(values, catalogue):
    with pytest.raises(exceptions.UnprocessableEntity) as error:
        check(values, catalogue)
    assert error.value.code == 422
    assert error.value.fault_name == 'unprocessableEntity'
    return str(error.value)


# --- the shipped catalogue ----------------------------------------------

def test_the_shipped_catalogue_covers_what_people_tune(shipped):
    assert len(shipped) >= 40
    for name in ('innodb_buffer_pool_size', 'max_connections',
                 'wait_timeout', 'interactive_timeout',
                 'character_set_server', 'collation_server', 'sql_mode',
                 'slow_query_log', 'long_query_time', 'general_log',
                 'max_allowed_packet', 'innodb_flush_log_at_trx_commit'):
        assert name in shipped, name
    assert {p.data_type for p in shipped.values()} == set(parameters.TYPES)


def test_mysql_and_mariadb_guests_share_the_catalogue():
    assert parameters.shipped('mysql') == parameters.shipped('mariadb')
    assert parameters.shipped('postgresql') is None
    assert not parameters.ships_for('postgresql')


def test_shipped_static_parameters_are_the_servers_read_only_ones(shipped):
    # As MariaDB 10.11 reports them (READ_ONLY in SYSTEM_VARIABLES), plus
    # max_user_connections, locked by its start-up value of 0.
    assert {name for name, p in shipped.items() if p.restart_required} == {
        'back_log', 'ft_min_word_len', 'innodb_autoinc_lock_mode',
        'innodb_doublewrite', 'innodb_ft_min_token_size',
        'innodb_log_buffer_size', 'innodb_open_files',
        'innodb_rollback_on_timeout', 'innodb_sort_buffer_size',
        'max_user_connections', 'open_files_limit', 'performance_schema',
        'table_open_cache_instances'}


def test_every_shipped_collation_belongs_to_a_shipped_character_set(
        shipped):
    from trove_lite.datastore import mysql_rules
    charsets = mysql_rules.character_sets()
    assert set(shipped['character_set_server'].allowed_values) == \
        set(charsets)
    assert set(shipped['collation_server'].allowed_values) == {
        collation for entry in charsets.values()
        for collation in entry['collations']}


def test_the_agents_own_settings_are_never_parameters(shipped):
    for name in ('datadir', 'socket', 'port', 'bind_address', 'read_only',
                 'user', 'skip_name_resolve', 'secure_file_priv',
                 'init_file'):
        assert name not in shipped


@pytest.mark.parametrize('name', [
    'init_file', 'init_fil', 'secure_file_priv', 'plugin_load_add',
    'general_log_file', 'log_bin', 'read_only', 'user'])
def test_a_catalogue_naming_what_the_guest_refuses_is_refused(name):
    found = [parameters.Parameter(name=name, data_type='string',
                                  restart_required=True)]
    for manager in ('mysql', 'mariadb'):
        with pytest.raises(parameters.ParameterRuleError, match=name):
            parameters.check_settable(manager, found)
    # Other datastores' guests keep their own rules.
    parameters.check_settable('postgresql', found)


def test_the_shipped_catalogue_is_what_the_guest_accepts(shipped):
    parameters.check_settable('mariadb', parameters.shipped('mariadb'))


@pytest.mark.parametrize('entry, problem', [
    ({'name': 'x', 'type': 'integer'}, "lacks ['restart_required']"),
    ({'name': 'Bad-Name', 'type': 'integer', 'restart_required': False},
     'lower-case word'),
    ({'name': 'x', 'type': 'list', 'restart_required': False},
     "type 'list' is not one of"),
    ({'name': 'x', 'type': 'integer', 'restart_required': False, 'min': 5,
      'max': 1}, 'min is greater than max'),
    ({'name': 'x', 'type': 'string', 'restart_required': False, 'min': 1},
     'min and max need a number'),
    ({'name': 'x', 'type': 'integer', 'restart_required': False,
      'values': ['a']}, 'only a string parameter has values'),
    ({'name': 'x', 'type': 'string', 'restart_required': 'yes'},
     'restart_required must be a boolean'),
    ({'name': 'x', 'type': 'string', 'restart_required': False,
      'values': []}, 'values must be a list of strings'),
])
def test_malformed_catalogue_entries_are_refused(entry, problem):
    with pytest.raises(parameters.ParameterRuleError) as error:
        parameters.read(json.dumps({'configuration-parameters': [entry]}))
    assert problem in str(error.value)


@pytest.mark.parametrize('bound', [1.5, math.inf, math.nan])
def test_an_integer_parameter_needs_whole_bounds(bound):
    for bounds in ({'min_size': bound}, {'max_size': bound}):
        with pytest.raises(parameters.ParameterRuleError) as error:
            parameters.Parameter(name='x', data_type='integer',
                                 restart_required=False, **bounds)
        assert 'must be whole numbers' in str(error.value)


def test_whole_float_bounds_of_an_integer_become_integers(catalogue):
    parameter = parameters.Parameter(name='x', data_type='integer',
                                     restart_required=False, min_size=2.0,
                                     max_size=1e3)
    assert (parameter.min_size, parameter.max_size) == (2, 1000)
    assert isinstance(parameter.min_size, int)
    catalogue_api.load_parameters(catalogue.id, [parameter])
    assert catalogue_api.parameters_by_name(catalogue.id)['x'] == parameter
    # A float parameter keeps its fractional bounds.
    assert parameters.Parameter(name='y', data_type='float',
                                restart_required=False,
                                min_size=0.5).min_size == 0.5


@pytest.mark.parametrize('name', [123, None, ['x']])
def test_a_name_that_is_no_string_is_refused(name):
    with pytest.raises(parameters.ParameterRuleError) as error:
        parameters.Parameter(name=name, data_type='integer',
                             restart_required=False)
    assert 'must be a lower-case word' in str(error.value)
    entry = {'name': name, 'type': 'integer', 'restart_required': False}
    with pytest.raises(parameters.ParameterRuleError):
        parameters.read(json.dumps({'configuration-parameters': [entry]}))


def test_a_catalogue_naming_a_parameter_twice_is_refused():
    entry = {'name': 'x', 'type': 'integer', 'restart_required': False}
    with pytest.raises(parameters.ParameterRuleError) as error:
        parameters.read(json.dumps({'configuration-parameters': [entry,
                                                                 entry]}))
    assert "listed twice: ['x']" in str(error.value)
    with pytest.raises(parameters.ParameterRuleError):
        parameters.read('{"parameters": []}')


def test_parameters_survive_their_database_row(shipped, catalogue):
    names = ('long_query_time', 'sql_mode', 'max_allowed_packet',
             'slow_query_log', 'character_set_server')
    catalogue_api.load_parameters(catalogue.id,
                                  [shipped[name] for name in names])
    stored = catalogue_api.parameters_by_name(catalogue.id)
    assert {name: stored[name] for name in names} == {
        name: shipped[name] for name in names}


def test_loading_twice_updates_instead_of_adding(catalogue):
    shipped = parameters.shipped('mariadb')
    assert catalogue_api.load_parameters(catalogue.id, shipped) == \
        (len(shipped), 0)
    assert catalogue_api.load_parameters(catalogue.id, shipped) == \
        (0, len(shipped))
    assert len(catalogue_api.parameters(catalogue.id)) == len(shipped)


# --- checking values ------------------------------------------------------

def test_good_values_keep_their_type_under_the_catalogues_name(shipped):
    assert check({'MAX_CONNECTIONS': 200, 'long_query_time': 2,
                  'slow_query_log': True, 'sql_mode': 'ANSI,traditional',
                  'collation_server': 'UTF8MB4_BIN'}, shipped) == {
        'max_connections': 200, 'long_query_time': 2.0,
        'slow_query_log': True, 'sql_mode': 'ANSI,traditional',
        'collation_server': 'UTF8MB4_BIN'}
    assert isinstance(check({'long_query_time': 2}, shipped)[
        'long_query_time'], float)
    assert check({'sql_mode': ''}, shipped) == {'sql_mode': ''}
    assert check({}, shipped) == {}


@pytest.mark.parametrize('values, message', [
    ({'nope': 1}, 'The configuration parameter nope is not supported for '
                  'this datastore: mariadb 10.11.'),
    ({'max_connections': '100'}, 'The value provided for the '
                                 'configuration parameter max_connections '
                                 'is not of type integer.'),
    ({'max_connections': True}, 'The value provided for the configuration '
                                'parameter max_connections is not of type '
                                'integer.'),
    ({'max_connections': 1.5}, 'The value provided for the configuration '
                               'parameter max_connections is not of type '
                               'integer.'),
    ({'long_query_time': False}, 'The value provided for the '
                                 'configuration parameter long_query_time '
                                 'is not of type float.'),
    ({'slow_query_log': 0}, 'The value provided for the configuration '
                            'parameter slow_query_log is not of type '
                            'boolean.'),
    ({'sql_mode': None}, 'The value provided for the configuration '
                         'parameter sql_mode is not of type string.'),
    ({'Max_Connections': 9}, 'The value for the configuration parameter '
                             'Max_Connections is less than the minimum '
                             'allowed: 10'),
    ({'max_connections': 100001}, 'The value for the configuration '
                                  'parameter max_connections is greater '
                                  'than the maximum allowed: 100000'),
    ({'long_query_time': -0.5}, 'The value for the configuration parameter '
                                'long_query_time is less than the minimum '
                                'allowed: 0'),
    ({'long_query_time': math.inf}, 'The value provided for the '
                                    'configuration parameter '
                                    'long_query_time is not a finite '
                                    'number.'),
    ({'long_query_time': math.nan}, 'The value provided for the '
                                    'configuration parameter '
                                    'long_query_time is not a finite '
                                    'number.'),
    ({'event_scheduler': 'DISABLED'}, 'The value provided for the '
                                      'configuration parameter '
                                      'event_scheduler is not one of: ON, '
                                      'OFF.'),
    ({'sql_mode': 'ANSI, TRADITIONAL'}, 'The value provided for the '
                                        'configuration parameter sql_mode '
                                        'is not a comma-separated list of: '
                                        'REAL_AS_FLOAT'),
    ({'character_set_server': 'utf8mb4\nport=1'}, 'must be at most 1024 '
                                                  'characters without '
                                                  'control characters.'),
    ({'wait_timeout': 5, 'WAIT_TIMEOUT': 6}, 'The configuration parameter '
                                             'WAIT_TIMEOUT is given more '
                                             'than once.'),
    ({'character_set_server': 'latin1', 'collation_server': 'utf8mb4_bin'},
     "The configuration parameters character_set_server and "
     "collation_server do not match: collation 'utf8mb4_bin' does not "
     "belong to character set 'latin1'."),
])
def test_bad_values_get_trove_messages(shipped, values, message):
    assert message in refusal(values, shipped)


def test_a_version_without_parameters_supports_no_groups():
    assert refusal({'max_connections': 100}, {}) == (
        'Configuration groups are not supported for this datastore: '
        'mariadb 10.11')


def test_unrestricted_strings_only_need_to_fit_an_option_line():
    free = {'init_connect': parameters.Parameter(
        name='init_connect', data_type='string', restart_required=False)}
    assert check({'init_connect': 'SET NAMES "utf8mb4" # x'}, free)
    assert 'control characters' in refusal({'init_connect': 'a\rb'}, free)
    assert 'at most 1024' in refusal({'init_connect': 'x' * 1025}, free)
