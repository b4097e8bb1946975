"""Configuration groups through python-troveclient (its ``configurations``
and ``configuration_parameters`` managers), ``openstack database
configuration`` and ``trove-lite configuration``, against the real stack
and checked on the instance's own MariaDB."""

import json

import pymysql
import pytest

from tests.functional import clients
from tests.functional.stack import wait_until

trove_exceptions = clients.trove_exceptions
pytestmark = pytest.mark.functional

USER, PASSWORD = 'tuner', 'tuner-pass-1'


def variables(address, *names):
    with pymysql.connect(host=address, user=USER, password=PASSWORD,
                         connect_timeout=10, ssl_disabled=True) as db:
        cursor = db.cursor()
        cursor.execute('SHOW GLOBAL VARIABLES WHERE Variable_name IN %s',
                       (names,))
        return dict(cursor.fetchall())


def test_troveclient_manages_groups_and_reads_parameters(stack):
    project = 'tc-config'
    client = clients.troveclient(stack, project)
    api = stack.api(project)
    version = stack.version_name

    parameters = client.configuration_parameters.parameters('mariadb',
                                                            version)
    assert len(parameters) >= 40
    parameter = client.configuration_parameters.get_parameter(
        'mariadb', version, 'max_connections')
    assert (parameter.name, parameter.type, parameter.min, parameter.max,
            parameter.restart_required) == ('max_connections', 'integer',
                                            10, 100000, False)
    version_id = parameter.datastore_version_id
    assert [p.name for p in
            client.configuration_parameters.parameters_by_version(
                version_id)] == [p.name for p in parameters]
    assert client.configuration_parameters.get_parameter_by_version(
        version_id, 'back_log').restart_required is True

    group = client.configurations.create(
        'tc-group', json.dumps({'max_connections': 60, 'back_log': 70}),
        description='for troveclient', datastore='mariadb',
        datastore_version=version)
    assert group.values == {'max_connections': 60, 'back_log': 70}
    assert group.id in [g.id for g in client.configurations.list()]
    with pytest.raises(trove_exceptions.UnprocessableEntity) as bad:
        client.configurations.create('bad', json.dumps(
            {'max_connections': 1}), datastore='mariadb')
    assert 'less than the minimum allowed: 10' in str(bad.value)

    instance = client.instances.create(
        'tc-config', flavor_id='1', volume={'size': 1}, datastore='mariadb',
        configuration=group.id,
        users=[{'name': USER, 'password': PASSWORD}])
    address = api.wait_active(instance.id, timeout=180)['ip'][0]
    assert client.instances.get(instance.id).configuration['id'] == group.id
    assert variables(address, 'max_connections', 'back_log') == {
        'max_connections': '60', 'back_log': '70'}
    assert [i.id for i in client.configurations.instances(group.id)] == [
        instance.id]

    # A group's change reaches its instances as taskmanager tasks.
    client.configurations.edit(group.id, json.dumps({'wait_timeout': 100}))
    wait_until(lambda: variables(address, 'wait_timeout',
                                 'max_connections') == {
        'wait_timeout': '100', 'max_connections': '60'})
    client.configurations.update(group.id, json.dumps(
        {'max_connections': 70}), name='tc-renamed')
    wait_until(lambda: client.instances.get(instance.id).status ==
               'RESTART_REQUIRED')
    assert variables(address, 'wait_timeout', 'max_connections') == {
        'wait_timeout': '28800', 'max_connections': '70'}
    assert client.configurations.get(group.id).name == 'tc-renamed'
    settings = client.instances.configuration(instance.id).configuration
    assert settings['max_connections'] == '70'
    assert 'back_log' not in settings
    with pytest.raises(trove_exceptions.BadRequest):
        client.configurations.delete(group.id)

    client.instances.update(instance.id, remove_configuration=True)
    assert not hasattr(client.instances.get(instance.id), 'configuration')
    assert variables(address, 'max_connections') == {
        'max_connections': '20'}
    client.instances.update(instance.id, configuration=group.id)
    assert variables(address, 'max_connections') == {
        'max_connections': '70'}
    client.instances.modify(instance.id)  # no group given: detach
    assert list(client.configurations.instances(group.id)) == []

    client.instances.delete(instance.id)
    api.wait_gone(instance.id, timeout=120)
    client.configurations.delete(group.id)
    with pytest.raises(trove_exceptions.NotFound):
        client.configurations.get(group.id)


def test_openstack_database_configuration_commands(stack):
    project = 'osc-config'
    version = stack.version_name
    created = clients.openstack(
        stack, project, 'database', 'configuration', 'create', 'osc-group',
        '{"max_connections": 90, "slow_query_log": true}', '--datastore',
        'mariadb', '--datastore-version', version, '-f', 'json')
    assert created.code == 0, created.stderr
    group_id = created.json()['id']
    shown = clients.openstack(stack, project, 'database', 'configuration',
                              'show', group_id, '-f', 'json')
    assert shown.code == 0, shown.stderr
    assert shown.json()['name'] == 'osc-group'
    parameter = clients.openstack(
        stack, project, 'database', 'configuration', 'parameter', 'show',
        version, 'max_connections', '--datastore', 'mariadb', '-f', 'json')
    assert parameter.code == 0, parameter.stderr
    assert parameter.json()['max'] == 100000
    listed = clients.openstack(stack, project, 'database', 'configuration',
                               'parameter', 'list', version, '--datastore',
                               'mariadb', '-f', 'json')
    assert listed.code == 0, listed.stderr
    assert len(listed.json()) >= 40
    deleted = clients.openstack(stack, project, 'database', 'configuration',
                                'delete', group_id)
    assert deleted.code == 0, deleted.stderr


def test_trove_lite_configuration_commands(stack):
    project = 'cli-config'
    api = stack.api(project)

    def trove_lite(*args):
        result = clients.trove_lite(stack, project, *args)
        assert result.code == 0, result.stderr
        return result

    version = stack.version_name
    parameters = json.loads(trove_lite(
        'configuration', 'parameter', 'list', version, '--datastore',
        'mariadb', '-f', 'json').stdout)
    assert {'name': 'wait_timeout', 'type': 'integer', 'min': 1,
            'max': 31536000, 'restart_required': False} in parameters
    trove_lite('configuration', 'create', 'cli-group',
               '{"wait_timeout": 90}', '--datastore', 'mariadb')
    instance = json.loads(trove_lite(
        'instance', 'create', 'cli-config', '--flavor', 'tiny', '--size',
        '1', '--datastore', 'mariadb', '--user', f'{USER}:{PASSWORD}',
        '--wait', '-f', 'json').stdout)
    address = instance['ip']
    trove_lite('configuration', 'attach', 'cli-config', 'cli-group')
    assert variables(address, 'wait_timeout') == {'wait_timeout': '90'}
    trove_lite('configuration', 'set', 'cli-group', '{"wait_timeout": 95}')
    # A group's change reaches its instances as taskmanager tasks.
    wait_until(lambda: variables(address, 'wait_timeout') == {
        'wait_timeout': '95'})
    shown = json.loads(trove_lite('configuration', 'default', 'cli-config',
                                  '-f', 'json').stdout)
    assert shown['wait_timeout'] == '95'
    trove_lite('configuration', 'detach', 'cli-config')
    assert variables(address, 'wait_timeout') == {'wait_timeout': '28800'}
    refused = clients.trove_lite(stack, project, 'configuration', 'create',
                                 'bad', '{"wait_timeout": 0}', '--datastore',
                                 'mariadb')
    assert refused.code == 1
    assert refused.stderr.endswith('less than the minimum allowed: 1 '
                                   '(HTTP 422)\n')
    trove_lite('instance', 'delete', 'cli-config', '--wait')
    trove_lite('configuration', 'delete', 'cli-group')
    assert json.loads(trove_lite('configuration', 'list', '-f',
                                 'json').stdout) == []
    assert api.get('/configurations').json() == {'configurations': []}
