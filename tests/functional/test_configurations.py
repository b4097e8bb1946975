"""Configuration groups on the real stack: the parameter catalogue, groups
attached at create time and to running instances, values read back from
the instance's own mariadbd (SHOW GLOBAL VARIABLES), RESTART_REQUIRED for
a static change, PATCH and PUT reaching the server, detach back to the
defaults, and every bad value refused with 422 and nothing changed."""

import json

import pymysql
import pytest

from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional

USER, PASSWORD = 'tuner', 'tuner-pass-1'
JSON = {'Content-Type': 'application/json'}
ADMIN = {'X-Roles': 'admin'}
# Of the shipped catalogue: parameters the server changes while running,
# and ones it takes only at a start.
DYNAMIC = {'max_connections': 77, 'wait_timeout': 120,
           'sql_mode': 'STRICT_ALL_TABLES,NO_ZERO_DATE',
           'slow_query_log': True, 'long_query_time': 2.5}
STATIC = {'back_log': 70, 'ft_min_word_len': 3}
# How SHOW GLOBAL VARIABLES shows those values.
SHOWN = {'max_connections': '77', 'wait_timeout': '120',
         'sql_mode': 'STRICT_ALL_TABLES,NO_ZERO_DATE',
         'slow_query_log': 'ON', 'long_query_time': '2.500000',
         'back_log': '70', 'ft_min_word_len': '3'}
# Values a server shows for settings that differ from trove-lite's own
# image defaults (checked after a detach).
WATCHED = sorted(SHOWN)


def global_variables(address, names):
    """{name: value} of the instance's running server, as a tenant's
    user sees them."""
    with pymysql.connect(host=address, user=USER, password=PASSWORD,
                         connect_timeout=10, ssl_disabled=True) as db:
        cursor = db.cursor()
        cursor.execute('SHOW GLOBAL VARIABLES WHERE Variable_name IN %s',
                       (tuple(names),))
        return dict(cursor.fetchall())


def new_instance(api, name, **extra):
    """An ACTIVE instance with the user the tests read variables as."""
    instance = api.create_instance(name=name, users=[
        {'name': USER, 'password': PASSWORD}], **extra)
    return api.wait_active(instance['id'], timeout=180)


def create_group(api, name, values, datastore='mariadb'):
    response = api.post('/configurations', {'configuration': {
        'name': name, 'values': values, 'datastore': {'type': datastore}}})
    assert response.status_code == 200, response.text
    return response.json()['configuration']


def status(api, instance_id):
    instance = api.instance(instance_id)
    return instance['status'], instance['operating_status']


def restart(api, instance_id):
    response = api.post(f'/instances/{instance_id}/action',
                        {'restart': {}})
    assert response.status_code == 202, response.text
    api.wait_for(instance_id, lambda i: i['status'] != 'RESTART_REQUIRED',
                 timeout=60)
    return api.wait_active(instance_id, timeout=120)


def attach(api, instance_id, group_id):
    return api.put(f'/instances/{instance_id}',
                   {'instance': {'configuration': group_id}})


def delete_instance(api, instance_id):
    assert api.delete(f'/instances/{instance_id}').status_code == 202
    api.wait_gone(instance_id, timeout=120)


# --- the catalogue --------------------------------------------------------

def test_the_shipped_catalogue_is_served_for_every_version(stack):
    api = stack.api('cfg-catalogue')
    version = stack.version_name
    listed = api.get(f'/datastores/mariadb/versions/{version}/parameters')
    assert listed.status_code == 200
    parameters = listed.json()['configuration-parameters']
    assert len(parameters) >= 40
    version_id = parameters[0]['datastore_version_id']
    assert api.get(f'/datastores/versions/{version_id}/parameters').json() \
        == listed.json()
    expected = {'name': 'max_connections', 'datastore_version_id':
                version_id, 'restart_required': False, 'type': 'integer',
                'min': 10, 'max': 100000}
    # A single parameter is the bare object, by either path, in any case.
    for path in (f'/datastores/mariadb/versions/{version}/parameters/'
                 f'max_connections',
                 f'/datastores/versions/{version_id}/parameters/'
                 f'MAX_CONNECTIONS'):
        shown = api.get(path)
        assert (shown.status_code, shown.json()) == (200, expected)
    missing = api.get(f'/datastores/versions/{version_id}/parameters/nope')
    assert missing.status_code == 404
    assert missing.json()['itemNotFound']['message'] == \
        'Resource nope cannot be found.'
    # The mysql datastore's versions got the same catalogue by default.
    mysql = api.get(f'/datastores/mysql/versions/{version}/parameters')
    assert {p['name'] for p in mysql.json()['configuration-parameters']} \
        == {p['name'] for p in parameters}


def test_the_catalogue_is_what_the_running_server_does(stack):
    """Every shipped parameter is a variable of the guest's server, of
    its type, within its bounds, dynamic exactly when the server says so;
    and a group setting every one of them (at the server's own values) is
    applied live and survives a restart."""
    api = stack.api('cfg-server')
    version = stack.version_name
    parameters = api.get(f'/datastores/mariadb/versions/{version}/'
                         f'parameters').json()['configuration-parameters']
    instance = new_instance(api, 'catalogue')
    address = instance['ip'][0]
    with pymysql.connect(host=address, user=USER, password=PASSWORD,
                         ssl_disabled=True) as db:
        cursor = db.cursor()
        cursor.execute(
            'SELECT LOWER(VARIABLE_NAME), VARIABLE_TYPE, NUMERIC_MIN_VALUE, '
            'NUMERIC_MAX_VALUE, READ_ONLY, ENUM_VALUE_LIST, GLOBAL_VALUE '
            'FROM information_schema.SYSTEM_VARIABLES')
        server = {row[0]: row[1:] for row in cursor.fetchall()}
    kinds = {'integer': ('INT', 'BIGINT'), 'float': ('DOUBLE',),
             'boolean': ('BOOLEAN',), 'string': ('ENUM', 'SET', 'VARCHAR')}
    current = {}
    for parameter in parameters:
        name = parameter['name']
        assert name in server, name
        kind, low, high, read_only, enum, value = server[name]
        assert kind.startswith(kinds[parameter['type']]), (name, kind)
        # Restarting is needed where the server's variable is read-only;
        # max_user_connections is locked by its start-up value of 0.
        assert parameter['restart_required'] == (
            read_only == 'YES' or name == 'max_user_connections'), name
        if parameter['type'] in ('integer', 'float'):
            assert float(low) <= parameter.get('min', 0), name
            assert parameter['max'] <= float(high), name
        if enum and 'values' in parameter:
            assert {v.lower() for v in parameter['values']} <= \
                {v.lower() for v in enum.split(',')}, name
        current[name] = {'integer': int, 'float': float, 'string': str,
                         'boolean': lambda text: text == 'ON'}[
            parameter['type']](value)

    group = create_group(api, 'everything', current)
    response = attach(api, instance['id'], group['id'])
    assert response.status_code == 202, response.text
    # Static parameters were set: a restart is needed; every dynamic one
    # was set live.
    assert status(api, instance['id']) == ('RESTART_REQUIRED', '')
    assert f'Instance {instance["id"]} did not apply' not in stack.log('api')
    restart(api, instance['id'])
    shown = global_variables(address, current)
    assert shown['max_connections'] == str(current['max_connections'])
    assert shown['sql_mode'] == current['sql_mode']
    assert len(shown) == len(current)
    delete_instance(api, instance['id'])
    assert api.delete(f'/configurations/{group["id"]}').status_code == 202


# --- groups on instances ----------------------------------------------------

def test_group_at_create_then_patch_and_put_reach_the_server(stack):
    api = stack.api('cfg-life')
    group = create_group(api, 'tuned', {**DYNAMIC, **STATIC})
    assert group['values'] == {**DYNAMIC, **STATIC}
    assert (group['instance_count'], group['datastore_name']) == (0,
                                                                  'mariadb')
    instance = new_instance(api, 'tuned-at-create',
                            configuration=group['id'])
    address = instance['ip'][0]
    assert instance['configuration']['id'] == group['id']
    assert instance['configuration']['name'] == 'tuned'
    assert instance['configuration']['links'][0]['href'].endswith(
        f'/configurations/{group["id"]}')
    # Static values too: the guest started its server with them.
    assert global_variables(address, SHOWN) == SHOWN
    effective = api.get(f'/instances/{instance["id"]}/configuration')
    assert effective.status_code == 200
    settings = effective.json()['instance']['configuration']
    assert settings['max_connections'] == '77'
    assert settings['back_log'] == '70'
    assert settings['innodb_buffer_pool_size'] == '32M'  # the flavor's
    assert api.get(f'/configurations/{group["id"]}/instances').json() == {
        'instances': [{'id': instance['id'], 'name': 'tuned-at-create'}]}
    assert api.get(f'/configurations/{group["id"]}').json()[
        'configuration']['instance_count'] == 1

    # PATCH merges: a dynamic change is live at once, no restart needed.
    patched = api.request('PATCH', f'/configurations/{group["id"]}',
                          json={'configuration': {'values': {
                              'max_connections': 88}}})
    assert (patched.status_code, patched.content) == (200, b'')
    # A taskmanager task brings the instance up to date.
    stack_module.wait_until(lambda: global_variables(
        address, ['max_connections', 'wait_timeout']) == {
            'max_connections': '88', 'wait_timeout': '120'})
    assert status(api, instance['id']) == ('ACTIVE', 'HEALTHY')

    # PUT replaces: dropped values go back to the defaults live, a changed
    # static one waits for a restart.
    replaced = api.put(f'/configurations/{group["id"]}', {'configuration': {
        'name': 'retuned', 'values': {'max_connections': 99,
                                      'back_log': 60}}})
    assert (replaced.status_code, replaced.content) == (202, b'')
    api.wait_for(instance['id'], lambda i: i['status'] == 'RESTART_REQUIRED')
    shown = global_variables(address, ['max_connections', 'wait_timeout',
                                       'slow_query_log', 'back_log'])
    assert shown == {'max_connections': '99', 'wait_timeout': '28800',
                     'slow_query_log': 'OFF', 'back_log': '70'}
    assert status(api, instance['id']) == ('RESTART_REQUIRED', '')
    # Heartbeats keep coming; the mark stays until the restart.
    stack_module.wait_until(lambda: api.instance(instance['id'])[
        'service_status_updated'] != instance['service_status_updated'])
    assert status(api, instance['id']) == ('RESTART_REQUIRED', '')
    restart(api, instance['id'])
    assert global_variables(address, ['back_log', 'max_connections']) == {
        'back_log': '60', 'max_connections': '99'}
    assert api.instance(instance['id'])['configuration']['name'] == \
        'retuned'

    # A group in use cannot go (Trove's 400).
    refused = api.delete(f'/configurations/{group["id"]}')
    assert refused.status_code == 400
    assert 'cannot be deleted' in refused.json()['badRequest']['message']
    delete_instance(api, instance['id'])
    assert api.delete(f'/configurations/{group["id"]}').status_code == 202
    assert api.get(f'/configurations/{group["id"]}').status_code == 404


def test_attach_to_a_running_instance_and_detach_back_to_defaults(stack):
    api = stack.api('cfg-attach')
    instance = new_instance(api, 'plain')
    instance_id, address = instance['id'], instance['ip'][0]
    assert 'configuration' not in instance
    defaults = global_variables(address, WATCHED)
    dynamic = create_group(api, 'dynamic', DYNAMIC)
    both = create_group(api, 'both', {**DYNAMIC, **STATIC})

    # Only dynamic values: live at once, and no restart needed.
    response = attach(api, instance_id, dynamic['id'])
    assert (response.status_code, response.content) == (202, b'')
    shown = global_variables(address, WATCHED)
    assert {name: shown[name] for name in DYNAMIC} == {
        name: SHOWN[name] for name in DYNAMIC}
    assert status(api, instance_id) == ('ACTIVE', 'HEALTHY')
    again = attach(api, instance_id, both['id'])
    assert again.status_code == 400
    assert again.json()['badRequest']['message'] == (
        f'Instance {instance_id} already has a Configuration Group '
        f'attached: {dynamic["id"]}.')

    # Detach (configuration: null): every value back to the default live.
    response = api.put(f'/instances/{instance_id}',
                       {'instance': {'configuration': None}})
    assert response.status_code == 202
    assert global_variables(address, WATCHED) == defaults
    assert status(api, instance_id) == ('ACTIVE', 'HEALTHY')
    assert 'configuration' not in api.instance(instance_id)
    assert api.get(f'/configurations/{dynamic["id"]}/instances').json() == {
        'instances': []}

    # A static value: the running server keeps its old one until a
    # restart. A detach by an empty instance object (what
    # python-troveclient's modify() sends) then takes the group away, and
    # the restart brings the defaults.
    assert attach(api, instance_id, both['id']).status_code == 202
    assert status(api, instance_id) == ('RESTART_REQUIRED', '')
    assert global_variables(address, STATIC) == {
        name: defaults[name] for name in STATIC}
    restart(api, instance_id)
    assert global_variables(address, WATCHED) == SHOWN
    assert api.put(f'/instances/{instance_id}',
                   {'instance': {}}).status_code == 202
    assert status(api, instance_id) == ('RESTART_REQUIRED', '')
    restart(api, instance_id)
    assert global_variables(address, WATCHED) == defaults
    delete_instance(api, instance_id)
    for group in (dynamic, both):
        assert api.delete(f'/configurations/{group["id"]}').status_code \
            == 202


# --- bad input ------------------------------------------------------------

BAD_VALUES = [
    ({'nope': 1}, 'The configuration parameter nope is not supported for '
                  'this datastore: mariadb {version}.'),
    ({'max_connections': '100'}, 'The value provided for the configuration '
                                 'parameter max_connections is not of type '
                                 'integer.'),
    ({'max_connections': True}, 'The value provided for the configuration '
                                'parameter max_connections is not of type '
                                'integer.'),
    ({'slow_query_log': 1}, 'The value provided for the configuration '
                            'parameter slow_query_log is not of type '
                            'boolean.'),
    ({'long_query_time': 'slow'}, 'The value provided for the '
                                  'configuration parameter long_query_time '
                                  'is not of type float.'),
    ({'sql_mode': 5}, 'The value provided for the configuration parameter '
                      'sql_mode is not of type string.'),
    ({'max_connections': 9}, 'The value for the configuration parameter '
                             'max_connections is less than the minimum '
                             'allowed: 10'),
    ({'MAX_CONNECTIONS': 100001}, 'The value for the configuration '
                                  'parameter MAX_CONNECTIONS is greater '
                                  'than the maximum allowed: 100000'),
    ({'innodb_max_dirty_pages_pct': 100.5}, 'The value for the '
                                            'configuration parameter '
                                            'innodb_max_dirty_pages_pct is '
                                            'greater than the maximum '
                                            'allowed: 99.999'),
    ({'event_scheduler': 'DISABLED'}, 'The value provided for the '
                                      'configuration parameter '
                                      'event_scheduler is not one of: ON, '
                                      'OFF.'),
    ({'default_storage_engine': 'Nope'}, 'The value provided for the '
                                         'configuration parameter '
                                         'default_storage_engine is not one '
                                         'of: InnoDB, Aria, MyISAM, MEMORY.'),
    ({'character_set_server': 'latin1',
      'collation_server': 'utf8mb4_bin'},
     "The configuration parameters character_set_server and "
     "collation_server do not match: collation 'utf8mb4_bin' does not "
     "belong to character set 'latin1'."),
    ({'wait_timeout': 60, 'WAIT_TIMEOUT': 70},
     'The configuration parameter WAIT_TIMEOUT is given more than once.'),
]


@pytest.mark.parametrize('values, message', BAD_VALUES)
def test_a_bad_value_is_a_422_and_creates_nothing(stack, values, message):
    api = stack.api('cfg-bad')
    before = stack.query('SELECT COUNT(*) FROM configurations')
    response = api.post('/configurations', {'configuration': {
        'name': 'bad', 'values': values, 'datastore': {'type': 'mariadb'}}})
    assert response.status_code == 422, response.text
    assert response.json() == {'unprocessableEntity': {
        'code': 422, 'message': message.format(
            version=stack.version_name)}}
    assert stack.query('SELECT COUNT(*) FROM configurations') == before


def test_bad_updates_change_neither_the_group_nor_the_server(stack):
    api = stack.api('cfg-bad-update')
    group = create_group(api, 'guarded', {'max_connections': 77})
    instance = new_instance(api, 'guarded', configuration=group['id'])
    address = instance['ip'][0]
    for method in ('PUT', 'PATCH'):
        for values, message in BAD_VALUES:
            response = api.request(method, f'/configurations/{group["id"]}',
                                   json={'configuration': {
                                       'name': 'renamed', 'values': values}})
            assert response.status_code == 422, (method, values)
            assert response.json()['unprocessableEntity']['message'] == \
                message.format(version=stack.version_name)
    shown = api.get(f'/configurations/{group["id"]}').json()[
        'configuration']
    assert (shown['name'], shown['values']) == ('guarded',
                                                {'max_connections': 77})
    assert global_variables(address, ['max_connections']) == {
        'max_connections': '77'}
    assert status(api, instance['id']) == ('ACTIVE', 'HEALTHY')

    # Bodies that are not a group at all are 400s; unknown groups 404s.
    for body in ({}, {'configuration': []},
                 {'configuration': {'values': []}}):
        assert api.put(f'/configurations/{group["id"]}',
                       body).status_code == 400
    missing = api.get('/configurations/no-such-group')
    assert missing.status_code == 404
    assert missing.json()['itemNotFound']['message'] == \
        'Configuration group with ID no-such-group could not be found.'
    delete_instance(api, instance['id'])
    assert api.delete(f'/configurations/{group["id"]}').status_code == 202


def test_attach_refusals_leave_the_instance_alone(stack):
    api = stack.api('cfg-refuse')
    mysql_group = create_group(api, 'for-mysql', {'max_connections': 50},
                               datastore='mysql')
    # Another project's group is not found; nothing is built.
    foreign = create_group(stack.api('cfg-other'), 'theirs',
                           {'max_connections': 50})
    before = stack.query('SELECT COUNT(*) FROM instances')
    response = api.post('/instances', {'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'},
        'configuration': foreign['id']}})
    assert response.status_code == 404
    response = api.post('/instances', {'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb'},
        'configuration': mysql_group['id']}})
    assert response.status_code == 400
    assert 'does not match the Datastore Version' in response.text
    assert stack.query('SELECT COUNT(*) FROM instances') == before

    instance = new_instance(api, 'refusals')
    response = attach(api, instance['id'], mysql_group['id'])
    assert response.status_code == 400
    assert response.json()['badRequest']['message'] == (
        f'Datastore Version on Configuration '
        f'{mysql_group["datastore_version_id"]} does not match the '
        f'Datastore Version on the instance '
        f'{foreign["datastore_version_id"]}.')
    assert attach(api, instance['id'], foreign['id']).status_code == 404
    assert attach(api, instance['id'], 'no-such-group').status_code == 404
    assert 'configuration' not in api.instance(instance['id'])
    assert api.put(f'/instances/{instance["id"]}', {'instance': {
        'configuration': mysql_group['id'], 'access': {}}}).status_code \
        == 400
    delete_instance(api, instance['id'])


# --- the management API ---------------------------------------------------

def test_admins_manage_the_catalogue(stack):
    api = stack.api('cfg-mgmt')
    version_id = api.get(f'/datastores/mariadb/versions/'
                         f'{stack.version_name}').json()['version']['id']
    base = f'/mgmt/datastores/versions/{version_id}/parameters'
    body = {'configuration-parameter': {
        'name': 'innodb_stats_transient_sample_pages',
        'restart_required': 0, 'data_type': 'integer',
        'min_size': '1', 'max_size': '1000'}}
    assert api.post(base, body).status_code == 401
    assert api.get(base).status_code == 401
    created = api.post(base, body, headers=ADMIN)
    assert created.status_code == 200, created.text
    assert created.json() == {
        'name': 'innodb_stats_transient_sample_pages',
        'datastore_version_id': version_id, 'restart_required': False,
        'type': 'integer', 'max_size': 1000, 'min_size': 1}
    assert api.post(base, body, headers=ADMIN).status_code == 400
    tenant_view = api.get(f'/datastores/versions/{version_id}/parameters/'
                          f'innodb_stats_transient_sample_pages').json()
    assert (tenant_view['min'], tenant_view['max']) == (1, 1000)
    group = create_group(api, 'sampled',
                         {'innodb_stats_transient_sample_pages': 16})
    body['configuration-parameter']['max_size'] = '10'
    updated = api.put(f'{base}/innodb_stats_transient_sample_pages', body,
                      headers=ADMIN)
    assert (updated.status_code, updated.json()['max_size']) == (200, 10)
    assert api.get(f'{base}/innodb_stats_transient_sample_pages',
                   headers=ADMIN).json()['max_size'] == 10
    # Settings the guest agent owns are never parameters.
    managed = dict(body['configuration-parameter'], name='datadir',
                   data_type='string')
    assert api.post(base, {'configuration-parameter': managed},
                    headers=ADMIN).status_code == 400
    assert api.delete(f'/configurations/{group["id"]}').status_code == 202
    assert api.delete(f'{base}/innodb_stats_transient_sample_pages',
                      headers=ADMIN).status_code == 204
    gone = api.delete(f'{base}/innodb_stats_transient_sample_pages',
                      headers=ADMIN)
    assert gone.status_code == 400
    assert gone.json()['badRequest']['message'] == (
        'Parameter innodb_stats_transient_sample_pages does not exist in '
        'the database.')


def test_parameters_outside_the_guests_allow_list_are_refused(stack):
    """A password-like (or any file, plugin or account) parameter cannot
    enter a MariaDB catalogue: the guests would refuse to write it.
    (Masking password-like values is for other datastores' catalogues;
    see the unit tests.)"""
    api = stack.api('cfg-mask')
    version_id = api.get(f'/datastores/mariadb/versions/'
                         f'{stack.version_name}').json()['version']['id']
    base = f'/mgmt/datastores/versions/{version_id}/parameters'
    before = api.get(base, headers=ADMIN).json()
    for name in ('replication_password', 'init_file', 'init_fil',
                 'plugin_load_add', 'general_log_file', 'log_bin'):
        response = api.post(base, {'configuration-parameter': {
            'name': name, 'restart_required': 1, 'data_type': 'string'}},
            headers=ADMIN)
        assert response.status_code == 400, response.text
        assert f"do not let a configuration group set ['{name}']" in \
            response.json()['badRequest']['message']
    assert api.get(base, headers=ADMIN).json() == before


def test_manage_loads_catalogue_files_into_a_version(stack, tmp_path):
    api = stack.api('cfg-manage')
    version = stack.version_name
    base = f'/datastores/mariadb/versions/{version}/parameters'
    shipped = len(api.get(base).json()['configuration-parameters'])
    extra = tmp_path / 'extra.json'
    extra.write_text(json.dumps({'configuration-parameters': [
        {'name': 'innodb_stats_transient_sample_pages', 'type': 'integer',
         'restart_required': False, 'min': 1, 'max': 100}]}))
    version_id = api.get(base).json()[
        'configuration-parameters'][0]['datastore_version_id']
    try:
        out = stack.manage('db-load-datastore-config-parameters', 'mariadb',
                           version, str(extra))
        assert f'Loaded 1 configuration parameters from {extra}' in out
        assert '1 new, 0 updated' in out
        shown = api.get(f'{base}/innodb_stats_transient_sample_pages')
        assert (shown.json()['min'], shown.json()['max']) == (1, 100)
        # Without a file: the shipped catalogue again, nothing else
        # touched.
        out = stack.manage('db-load-datastore-config-parameters', 'mariadb',
                           version)
        assert f'0 new, {shipped} updated' in out
        assert len(api.get(base).json()['configuration-parameters']) == \
            shipped + 1
        extra.write_text('{"configuration-parameters": [{"name": "x"}]}')
        with pytest.raises(RuntimeError) as error:
            stack.manage('db-load-datastore-config-parameters', 'mariadb',
                         version, str(extra))
        assert "Error: {'name': 'x'} lacks" in str(error.value)
    finally:
        api.delete(f'/mgmt/datastores/versions/{version_id}/parameters/'
                   f'innodb_stats_transient_sample_pages', headers=ADMIN)
