"""python-troveclient, ``openstack database`` and ``trove-lite`` against
the real stack: the catalogue and the whole life of an instance.

Databases, users, root and instance actions through the same clients are
in test_clients_dataplane.py (they need the data-plane API).
"""

import time

import pymysql
import pytest

from tests.functional import clients

trove_exceptions = clients.trove_exceptions
pytestmark = pytest.mark.functional


def wait_with_troveclient(client, instance_id, timeout=120):
    """Polls as a troveclient user would, until ACTIVE/HEALTHY or ERROR."""
    deadline = time.monotonic() + timeout
    while True:
        instance = client.instances.get(instance_id)
        if instance.status == 'ERROR' or (
                instance.status, instance.operating_status) == (
                    'ACTIVE', 'HEALTHY'):
            return instance
        assert time.monotonic() < deadline, instance.status
        time.sleep(0.5)


def wait_gone_with_troveclient(client, instance_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.instances.get(instance_id)
        except trove_exceptions.NotFound:
            return
        time.sleep(0.5)
    raise AssertionError(f'instance {instance_id} still there')


# --- python-troveclient --------------------------------------------------

def test_troveclient_reads_the_catalogue(stack):
    client = clients.troveclient(stack, 'tc-catalogue')
    flavors = client.flavors.list()
    assert [(f.id, f.name) for f in flavors] == [
        (1, 'tiny'), (2, 'small'), (3, 'medium')]
    assert client.flavors.get(2).ram == 512
    assert {d.name for d in client.datastores.list()} == {'mariadb', 'mysql'}
    mariadb = client.datastores.get('mariadb')
    (version,) = client.datastore_versions.list('mariadb')
    assert mariadb.default_version == version.id
    assert version.name == stack.version_name
    assert version.version == stack.version_number
    assert client.datastore_versions.get('mariadb', version.name).id == \
        version.id
    assert client.datastore_versions.get_by_uuid(version.id).name == \
        version.name
    with pytest.raises(trove_exceptions.NotFound):
        client.datastores.get('nosuch')


def test_troveclient_drives_the_life_of_an_instance(stack):
    client = clients.troveclient(stack, 'tc-life')
    version = client.datastore_versions.list('mariadb')[0].name
    # What OSC's "database instance create" passes: a null volume type,
    # an access object and empty nics/modules.
    created = client.instances.create(
        'tc-shop', flavor_id=1, volume={'size': 1, 'type': None},
        databases=[{'name': 'shop'}],
        users=[{'name': 'shop', 'password': 'shop-pass-1',
                'databases': [{'name': 'shop'}]}],
        datastore='mariadb', datastore_version=version, nics=[],
        modules=[], access={'is_public': False})
    assert created.status == 'BUILD'
    assert created.flavor['id'] == '1'
    assert created.datastore == {'type': 'mariadb', 'version': version,
                                 'version_number': stack.version_number}

    ready = wait_with_troveclient(client, created.id)
    assert (ready.status, ready.operating_status) == ('ACTIVE', 'HEALTHY')
    address = ready.ip[0]
    with pymysql.connect(host=address, user='shop', password='shop-pass-1',
                         database='shop', connect_timeout=10) as db:
        cursor = db.cursor()
        cursor.execute('SELECT DATABASE()')
        assert cursor.fetchone() == ('shop',)

    listed = client.instances.list()
    assert [i.id for i in listed] == [created.id]
    assert listed[0].datastore['type'] == 'mariadb'
    detailed = client.instances.list(detailed=True)
    assert detailed[0].created == ready.created
    assert client.instances.find(name='tc-shop').id == created.id

    client.instances.delete(created.id)
    wait_gone_with_troveclient(client, created.id)
    assert list(client.instances.list()) == []


def test_troveclient_pages_through_instances(stack):
    client = clients.troveclient(stack, 'tc-pages')
    ids = {client.instances.create(f'p{index}', flavor_id='1',
                                   volume={'size': 1},
                                   datastore='mariadb').id
           for index in range(3)}
    try:
        first = client.instances.list(limit=2)
        assert len(first) == 2 and first.next
        rest = client.instances.list(limit=2, marker=first.next)
        assert len(rest) == 1 and rest.next is None
        assert {i.id for i in first} | {i.id for i in rest} == ids
    finally:
        for instance_id in ids:
            wait_with_troveclient(client, instance_id)
            client.instances.delete(instance_id)
        for instance_id in ids:
            wait_gone_with_troveclient(client, instance_id)


def test_troveclient_gets_trove_errors(stack):
    client = clients.troveclient(stack, 'tc-errors')
    with pytest.raises(trove_exceptions.NotFound) as missing:
        client.instances.get('no-such-instance')
    assert 'no-such-instance' in str(missing.value)
    with pytest.raises(trove_exceptions.BadRequest) as bad:
        client.instances.create('bad', flavor_id='99', volume={'size': 1},
                                datastore='mariadb')
    assert bad.value.http_status == 400
    with pytest.raises(trove_exceptions.ClientException) as unsupported:
        client.instances.create('moduled', flavor_id='1',
                                volume={'size': 1}, datastore='mariadb',
                                modules=['some-module'])
    assert unsupported.value.http_status == 501
    assert 'does not support modules' in str(unsupported.value)
    with pytest.raises(trove_exceptions.NotFound):
        client.instances.create('tuned', flavor_id='1', volume={'size': 1},
                                datastore='mariadb',
                                configuration='no-such-group')
    assert list(client.instances.list()) == []


# --- openstack database ... ----------------------------------------------

def test_openstack_database_commands_without_keystone(stack):
    project = 'osc-life'
    flavors = clients.openstack(stack, project, 'database', 'flavor',
                                'list', '-f', 'json')
    assert flavors.code == 0, flavors.stderr
    assert [f['Name'] for f in flavors.json()] == ['tiny', 'small',
                                                   'medium']
    datastores = clients.openstack_from_environment(
        stack, project, 'datastore', 'list', '-f', 'json')
    assert datastores.code == 0, datastores.stderr
    assert {d['Name'] for d in datastores.json()} == {'mariadb', 'mysql'}

    created = clients.openstack(
        stack, project, 'database', 'instance', 'create', 'osc-shop',
        '--flavor', 'tiny', '--size', '1', '--datastore', 'mariadb',
        '--databases', 'shop', '--users', 'shop:osc-pass-1', '-f', 'json')
    assert created.code == 0, created.stderr
    instance_id = created.json()['id']
    assert created.json()['status'] == 'BUILD'
    stack.api(project).wait_active(instance_id)

    shown = clients.openstack(stack, project, 'database', 'instance',
                              'show', 'osc-shop', '-f', 'json')
    assert shown.code == 0, shown.stderr
    shown = shown.json()
    assert (shown['id'], shown['status'], shown['operating_status']) == (
        instance_id, 'ACTIVE', 'HEALTHY')
    assert (shown['datastore'], shown['flavor'], shown['volume']) == (
        'mariadb', '1', 1)
    with pymysql.connect(host=shown['ip'], user='shop',
                         password='osc-pass-1', database='shop',
                         connect_timeout=10):
        pass

    listed = clients.openstack(stack, project, 'database', 'instance',
                               'list', '-f', 'json')
    assert listed.code == 0, listed.stderr
    assert [(i['Name'], i['Status']) for i in listed.json()] == [
        ('osc-shop', 'ACTIVE')]

    deleted = clients.openstack(stack, project, 'database', 'instance',
                                'delete', 'osc-shop')
    assert deleted.code == 0, deleted.stdout + deleted.stderr
    stack.api(project).wait_gone(instance_id)

    missing = clients.openstack(stack, project, 'database', 'instance',
                                'show', 'osc-shop')
    assert missing.code == 1
    assert "No instance with a name or ID of 'osc-shop' exists." in \
        missing.stderr


# --- trove-lite ------------------------------------------------------------

def test_trove_lite_cli_end_to_end(stack):
    project = 'cli-life'
    created = clients.trove_lite(
        stack, project, 'instance', 'create', 'cli-shop', '--flavor',
        'small', '--size', '1', '--datastore', 'mariadb', '--database',
        'shop', '--user', 'shop:cli-pass-1', '--wait', '-f', 'json')
    assert created.code == 0, created.stderr
    instance = created.json()
    assert (instance['status'], instance['operating_status']) == (
        'ACTIVE', 'HEALTHY')
    # Not a terminal: one plain progress line per status, on stderr.
    progress = created.stderr.splitlines()
    assert progress[0].startswith('Instance cli-shop: BUILD after ')
    assert progress[-1].startswith('Instance cli-shop: ACTIVE HEALTHY '
                                   'after ')

    listed = clients.trove_lite(stack, project, 'instance', 'list', '-f',
                                'value', '-c', 'name', '-c', 'status')
    assert (listed.code, listed.stdout) == (0, 'cli-shop ACTIVE\n')

    shown = clients.trove_lite(stack, project, 'instance', 'show',
                               'cli-shop', '-f', 'json')
    assert shown.code == 0
    assert shown.json()['id'] == instance['id']
    assert shown.json()['flavor'] == '2'
    assert shown.json()['ip'] == instance['ip']

    connect = clients.trove_lite(stack, project, 'instance', 'connect',
                                 'cli-shop', '--user', 'shop',
                                 '--database', 'shop')
    assert connect.code == 0
    assert connect.stdout == (f'mariadb -h {instance["ip"]} -P 3306 -u '
                              f'shop -p shop\n')
    assert 'cli-pass-1' not in connect.stdout
    session = clients.run_connect_line(connect.stdout.strip(),
                                       'cli-pass-1', 'SELECT DATABASE()')
    assert (session.returncode, session.stdout) == (0, 'shop\n'), \
        session.stderr

    deleted = clients.trove_lite(stack, project, 'instance', 'delete',
                                 'cli-shop', '--wait')
    assert deleted.code == 0, deleted.stderr
    assert deleted.stderr.splitlines()[-1].startswith(
        'Instance cli-shop: DELETED after ')
    assert stack.api(project).instance(instance['id']) is None
    listed = clients.trove_lite(stack, project, 'instance', 'list', '-f',
                                'value')
    assert (listed.code, listed.stdout) == (0, '')


def test_trove_lite_cli_reports_errors_in_one_line(stack):
    project = 'cli-errors'
    missing = clients.trove_lite(stack, project, 'instance', 'show', 'nope')
    assert (missing.code, missing.stdout) == (1, '')
    assert missing.stderr == ("No instance with a name or ID of 'nope' "
                              "exists.\n")

    refused = clients.trove_lite(
        stack, project, 'instance', 'create', 'x', '--flavor', 'tiny',
        '--size', '1', '--datastore', 'nosuch')
    assert refused.code == 1
    assert len(refused.stderr.splitlines()) == 1
    assert refused.stderr.rstrip().endswith('(HTTP 404)')
    assert 'nosuch' in refused.stderr
    assert stack.api(project).get('/instances').json() == {'instances': []}

    unreachable = clients._run(
        [clients.console_script('trove-lite'), '--url',
         'http://127.0.0.1:9', '--os-project-id', project, 'flavor',
         'list'], clients.environment())
    assert unreachable.code == 1
    assert unreachable.stderr == (
        f'Cannot reach the trove-lite API at http://127.0.0.1:9/v1.0/'
        f'{project}: Connection refused\n')

    usage = clients.trove_lite(stack, project, 'instance', 'create', 'x')
    assert usage.code == 2
    assert 'the following arguments are required: --flavor' in usage.stderr


def test_trove_lite_wait_fails_with_the_fault_when_the_build_fails(stack):
    project = 'cli-fail'
    failed = clients.trove_lite(
        stack, project, 'instance', 'create', 'cli-silent', '--flavor',
        'tiny', '--size', '1', '--datastore', 'mysql',
        '--datastore-version', 'silent', '--wait')
    assert failed.code == 1
    assert failed.stdout == ''
    last = failed.stderr.splitlines()[-1]
    assert last.startswith('Instance cli-silent went to ERROR during the '
                           'build: ')
    assert 'did not report healthy' in last
    assert 'Traceback' not in failed.stderr

    timed_out = clients.trove_lite(
        stack, project, 'instance', 'create', 'cli-slow', '--flavor',
        'tiny', '--size', '1', '--datastore', 'mysql',
        '--datastore-version', 'silent', '--wait', '--timeout', '1')
    assert timed_out.code == 1
    assert timed_out.stderr.splitlines()[-1] == (
        'Timed out after 1s waiting for the build of instance cli-slow '
        '(last status BUILD).')

    api = stack.api(project)
    for name in ('cli-silent', 'cli-slow'):
        instance = api.wait_for(
            clients.trove_lite(stack, project, 'instance', 'show', name,
                               '-f', 'value', '-c', 'id').stdout.strip(),
            lambda i: i['status'] == 'ERROR', timeout=60)
        assert clients.trove_lite(stack, project, 'instance', 'delete',
                                  instance['id'], '--wait').code == 0
