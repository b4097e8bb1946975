"""A tenant cannot leave its instance on the local driver (issue 16 items
1 and 8), tried for real: the tenant's root attacks the host's files,
another tenant's datadir and the server itself; code running as a guest's
user reads what it should not; configuration groups name files and
plugins. Everything is refused and nothing changes."""

import json
import os
import pwd
import stat
import subprocess

import pymysql
import pytest

from tests.functional.stack import connect
from trove_lite.compute.local import cgroups
from trove_lite.compute.local import guest_users
from trove_lite.datastore import mysql_config

ROOT_PATH = '/root'
PYTHON = '/usr/bin/python3'
# Access denied to a database, login, table, column, operation or routine;
# not the owner of a thread; not allowed to create a user with GRANT.
ACCESS_DENIED = (1044, 1045, 1095, 1142, 1143, 1227, 1370, 1410)


@pytest.fixture(scope='module')
def victim(stack):
    """Another tenant's instance, with data."""
    api = stack.api('victim')
    created = api.create_instance(name='victim',
                                  databases=[{'name': 'secrets'}])
    return api.wait_active(created['id'], timeout=120)


@pytest.fixture(scope='module')
def attacker(stack):
    """The attacker's instance, with its root enabled: (instance, root
    password)."""
    api = stack.api('attacker')
    created = api.create_instance(name='attacker',
                                  databases=[{'name': 'mine'}])
    instance = api.wait_active(created['id'], timeout=120)
    response = api.post(f'/instances/{instance["id"]}/root')
    assert response.status_code == 200, response.text
    return instance, response.json()['user']['password']


def root_connection(attacker):
    instance, password = attacker
    return connect(instance['ip'][0], 'root', password)


def refused(cursor, statement, *params):
    """Run ``statement``; the server's error code, or None when it ran."""
    try:
        cursor.execute(statement, params or None)
    except pymysql.err.MySQLError as error:
        return error.args[0]
    return None


def owner_and_mode(path):
    info = os.lstat(path)
    return info.st_uid, stat.S_IMODE(info.st_mode)


def test_each_guest_runs_as_a_user_of_its_own(stack, victim, attacker):
    uids = []
    for instance in (victim, attacker[0]):
        server = stack.server_of(instance['id'])
        uid = server['uid']
        assert pwd.getpwuid(uid).pw_name == f'trove-guest-{uid}'
        low, high = map(int, stack.uid_range.split('-'))
        assert low <= uid <= high
        uids.append(uid)
        # The agent and its database, and nothing else of the guest's,
        # run as that user; none as root.
        commands = {_command(pid) for pid in guest_users.processes_of(uid)}
        assert any('mariadbd' in command for command in commands), commands
        assert _uids(server['pid']) == {uid}
        assert not [pid for pid in _group(server['pid'])
                    if 0 in _uids(pid)]
        # The guest owns its sandbox and volume, and nobody else gets in.
        assert owner_and_mode(stack.sandbox(instance['id'])) == (uid, 0o700)
        assert owner_and_mode(stack.volume_path(instance['id'])) == (uid,
                                                                     0o700)
        # What the driver reads stays root's: the guest may read its
        # config, not change it.
        server_dir = stack.server_dir(instance['id'])
        assert owner_and_mode(server_dir) == (0, 0o711)
        assert owner_and_mode(os.path.join(server_dir, 'server.json'))[0] \
            == 0
        config = os.stat(os.path.join(server_dir, 'guest.conf'))
        assert (config.st_uid, config.st_gid,
                stat.S_IMODE(config.st_mode)) == (
            0, pwd.getpwuid(uid).pw_gid, 0o640)
    assert uids[0] != uids[1]


def test_tenant_root_holds_only_the_tenants_data(attacker):
    with root_connection(attacker) as db:
        cursor = db.cursor()
        cursor.execute('SHOW GRANTS')
        grants = ' '.join(row[0] for row in cursor.fetchall())
        for privilege in ('FILE', 'SUPER', 'SHUTDOWN', 'PROCESS', 'RELOAD',
                          'REPLICATION', 'CREATE USER', 'ALL PRIVILEGES'):
            assert privilege not in grants, grants
        # Everything on the tenant's data works.
        cursor.execute('CREATE DATABASE shop')
        cursor.execute('CREATE TABLE shop.t (id INT PRIMARY KEY, v TEXT)')
        cursor.execute("INSERT INTO shop.t VALUES (1, 'a')")
        cursor.execute('CREATE VIEW shop.v AS SELECT id FROM shop.t')
        cursor.execute('CREATE PROCEDURE shop.p() SELECT 1')
        cursor.execute('SELECT COUNT(*) FROM shop.v')
        assert cursor.fetchone() == (1,)
        cursor.execute('SHOW DATABASES')
        assert 'mine' in {row[0] for row in cursor.fetchall()}
        cursor.execute('DROP DATABASE shop')


def test_tenant_root_cannot_touch_files(stack, victim, attacker):
    instance, _password = attacker
    victim_datadir = stack.volume_path(victim['id'])
    own_files = os.path.join(stack.sandbox(instance['id']), 'files')
    targets = [os.path.join(ROOT_PATH, 'tl-pwned'),
               '/etc/cron.d/tl-pwned',
               os.path.join(victim_datadir, 'secrets', 'tl-pwned.frm'),
               os.path.join(own_files, 'tl-pwned')]
    with root_connection(attacker) as db:
        cursor = db.cursor()
        cursor.execute('SELECT @@secure_file_priv')
        assert cursor.fetchone()[0].rstrip('/') == own_files
        for target in targets:
            assert refused(cursor, "SELECT 'x' INTO DUMPFILE %s",
                           target) in ACCESS_DENIED
            assert refused(cursor, "SELECT 'x' INTO OUTFILE %s",
                           target) in ACCESS_DENIED
        for source in ('/etc/passwd', '/etc/shadow',
                       os.path.join(victim_datadir, 'mysql', 'user.MAD')):
            cursor.execute('SELECT LOAD_FILE(%s)', (source,))
            assert cursor.fetchone() == (None,)
        cursor.execute('CREATE TABLE mine.lines (line TEXT)')
        assert refused(cursor, "LOAD DATA INFILE '/etc/passwd' INTO TABLE "
                               "mine.lines") in ACCESS_DENIED
        cursor.execute('SELECT COUNT(*) FROM mine.lines')
        assert cursor.fetchone() == (0,)
    for target in targets:
        assert not os.path.exists(target)


def test_tenant_root_cannot_command_the_server(attacker):
    with root_connection(attacker) as db:
        cursor = db.cursor()
        cursor.execute('SELECT @@GLOBAL.max_connections, '
                       '@@GLOBAL.general_log_file')
        before = cursor.fetchone()
        for statement in (
                "INSTALL PLUGIN connect SONAME 'ha_connect.so'",
                "INSTALL SONAME 'ha_connect'",
                "INSTALL SONAME '../../../tmp/evil'",
                'SET GLOBAL max_connections = 1',
                "SET GLOBAL general_log_file = '/etc/cron.d/x'",
                'SET GLOBAL read_only = 1',
                'FLUSH PRIVILEGES',
                'SHUTDOWN'):
            assert refused(cursor, statement) in ACCESS_DENIED, statement
        cursor.execute('SELECT @@GLOBAL.max_connections, '
                       '@@GLOBAL.general_log_file')
        assert cursor.fetchone() == before


def test_tenant_root_cannot_reach_accounts_or_grant_tables(stack,
                                                           attacker):
    with root_connection(attacker) as db:
        cursor = db.cursor()
        for statement in (
                'SELECT * FROM mysql.user',
                'SELECT * FROM mysql.global_priv',
                "UPDATE mysql.global_priv SET Priv = '{}' "
                "WHERE User = 'root'",
                "INSERT INTO mysql.global_priv VALUES ('%', 'x', '{}')",
                'DROP TABLE mysql.global_priv',
                'CREATE TABLE mysql.evil (a INT)',
                "CREATE USER 'evil'@'%' IDENTIFIED BY 'Evil-pass-1'",
                "RENAME USER 'os_admin'@'localhost' TO 'os_admin'@'%'",
                "ALTER USER 'os_admin'@'localhost' IDENTIFIED BY 'x-Pw-1'",
                "SET PASSWORD FOR 'os_admin'@'localhost' = "
                "PASSWORD('x-Pw-1')",
                "DROP USER 'os_admin'@'localhost'",
                "GRANT ALL ON *.* TO 'root'@'%'",
                "GRANT FILE ON *.* TO 'root'@'%'",
                "GRANT ALL ON mysql.* TO 'root'@'%'",
                "GRANT SELECT ON mine.* TO 'os_admin'@'localhost' "
                "IDENTIFIED BY 'x-Pw-1'",
                "GRANT SELECT ON mine.* TO 'evil'@'%' "
                "IDENTIFIED BY 'x-Pw-1'"):
            assert refused(cursor, statement) in ACCESS_DENIED, statement
        # Not even a relaxed sql_mode creates an account by GRANT.
        cursor.execute("SET SESSION sql_mode = ''")
        assert refused(cursor, "GRANT SELECT ON mine.* TO 'evil2'@'%'") \
            in ACCESS_DENIED + (1133,)
    # The agent's own account still works.
    instance, _password = attacker
    api = stack.api('attacker')
    response = api.get(f'/instances/{instance["id"]}/databases')
    assert response.status_code == 200, response.text
    assert 'mine' in {item['name'] for item in response.json()['databases']}


def test_the_guests_user_cannot_read_or_change_what_is_not_its_own(
        stack, victim, attacker):
    instance, _password = attacker
    uid = stack.server_of(instance['id'])['uid']
    victim_server = stack.server_of(victim['id'])
    own_config = os.path.join(stack.server_dir(instance['id']),
                              'guest.conf')
    script = (
        'import json, os, sys\n'
        'outcomes = {}\n'
        'for kind, path in json.loads(sys.argv[1]):\n'
        '    try:\n'
        '        if kind == "read":\n'
        '            open(path).read(1)\n'
        '        elif kind == "list":\n'
        '            os.listdir(path)\n'
        '        else:\n'
        '            open(path, "a").close()\n'
        '        outcomes[kind + " " + path] = "done"\n'
        '    except OSError as error:\n'
        '        outcomes[kind + " " + path] = type(error).__name__\n'
        'print(json.dumps(outcomes))\n')
    attempts = [
        ('read', '/etc/shadow'),
        ('read', os.path.join(stack.server_dir(victim['id']), 'guest.conf')),
        ('list', stack.sandbox(victim['id'])),
        ('list', stack.volume_path(victim['id'])),
        ('read', os.path.join(stack.volume_path(victim['id']), 'mysql',
                              'global_priv.MAD')),
        ('list', os.path.join(stack.state_path, 'servers')),
        ('write', os.path.join(stack.server_dir(victim['id']), 'x')),
        ('write', os.path.join(stack.server_dir(instance['id']),
                               'server.json')),
        ('write', own_config),
        ('write', os.path.join(stack.state_path, 'images', 'x')),
        ('write', '/etc/cron.d/tl-pwned'),
        ('write', '/root/tl-pwned'),
    ]
    outcomes = _run_as(uid, script, json.dumps(attempts))
    assert set(outcomes.values()) == {'PermissionError'}, outcomes
    # Its own things it can use.
    allowed = _run_as(uid, script, json.dumps([
        ('read', own_config),
        ('list', stack.sandbox(instance['id']))]))
    assert set(allowed.values()) == {'done'}, allowed
    assert not os.path.exists('/etc/cron.d/tl-pwned')
    assert victim_server['uid'] != uid


def test_groups_naming_files_plugins_or_prefixes_are_refused(stack):
    api = stack.api('attacker')
    before = stack.query('SELECT COUNT(*) FROM configurations')
    for values in ({'init_file': '/tmp/evil.sql'},
                   {'init-fil': '/tmp/evil.sql'},
                   {'init_fil': '/tmp/evil.sql'},
                   {'plugin_load_add': 'ha_connect'},
                   {'plugin-load-add': 'ha_connect'},
                   {'general_log_file': '/etc/cron.d/x'},
                   {'secure_file_priv': ''},
                   {'secure-file': ''},
                   {'user': 'root'},
                   {'max_connections': 50, 'init_file': '/tmp/evil.sql'}):
        response = api.post('/configurations', {'configuration': {
            'name': 'evil', 'values': values,
            'datastore': {'type': 'mariadb'}}})
        assert response.status_code == 422, (values, response.text)
        key = next(name for name in values if name != 'max_connections')
        assert response.json() == {'unprocessableEntity': {
            'code': 422,
            'message': f'The configuration parameter {key} is not supported '
                       f'for this datastore: mariadb '
                       f'{stack.version_name}.'}}
    # The binary log's options (a file among them) get a 400 of their own:
    # point-in-time restore needs the log.
    response = api.post('/configurations', {'configuration': {
        'name': 'evil', 'values': {'log_bin': '/etc/x'},
        'datastore': {'type': 'mariadb'}}})
    assert response.status_code == 400, response.text
    assert stack.query('SELECT COUNT(*) FROM configurations') == before


def test_a_forged_override_never_reaches_the_option_file(stack, attacker):
    """Past the API (a message on the guest's topic), the guest refuses
    what its allow-list lacks, and its option file stays as it was."""
    instance, _password = attacker
    options_file = os.path.join(stack.sandbox(instance['id']), 'my.cnf')
    with open(options_file) as options:
        before = options.read()
    for overrides in ({'init_fil': '/tmp/evil.sql'},
                      {'plugin_load_add': 'ha_connect'},
                      {'secure_file_priv': ''},
                      {'wait_timeout': '10\ninit-file=/tmp/evil.sql'}):
        for method in ('update_overrides', 'apply_overrides'):
            answer = stack.rpc(f'guestagent.{instance["id"]}',
                               instance['id'], method,
                               sealed_as=instance['id'], call=True,
                               overrides=overrides)
            assert 'error' in answer, (method, overrides, answer)
    with open(options_file) as options:
        assert options.read() == before
    assert not [line for line in before.splitlines()
                if line.startswith(('init', 'plugin', 'secure_file'))]


def test_every_settable_option_is_a_whole_option_of_the_server(attacker):
    """No name of the allow-list is a prefix the server would read as
    another option: each is a variable of the server itself."""
    with root_connection(attacker) as db:
        cursor = db.cursor()
        cursor.execute('SHOW GLOBAL VARIABLES')
        variables = {row[0] for row in cursor.fetchall()}
    assert mysql_config.SETTABLE_OPTIONS <= variables, \
        mysql_config.SETTABLE_OPTIONS - variables


def test_deleting_the_instance_removes_its_user(stack):
    api = stack.api('attacker')
    created = api.create_instance(name='short-lived')
    instance = api.wait_active(created['id'], timeout=120)
    uid = stack.server_of(instance['id'])['uid']
    volume = stack.volume_path(instance['id'])
    assert guest_users.processes_of(uid)
    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    api.wait_gone(instance['id'])
    assert guest_users.processes_of(uid) == []
    with pytest.raises(KeyError):
        pwd.getpwuid(uid)
    assert not os.path.exists(volume)


def _run_as(uid, script, argument):
    """Run a Python script as a guest's user (the system's Python: the
    test's may be where that user cannot pass)."""
    entry = pwd.getpwuid(uid)
    result = subprocess.run(
        [PYTHON, '-c', script, argument], user=uid,
        group=entry.pw_gid, extra_groups=[], capture_output=True, text=True,
        timeout=30, check=True, cwd='/')
    return json.loads(result.stdout)


def _command(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as cmdline:
            return cmdline.read().replace(b'\0', b' ').decode()
    except FileNotFoundError:
        return ''


def _uids(pid):
    with open(f'/proc/{pid}/status') as status:
        for line in status:
            if line.startswith('Uid:'):
                return {int(value) for value in line.split()[1:]}
    return set()


def _group(pgid):
    members = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as stat_file:
                    fields = stat_file.read().rsplit(')', 1)[1].split()
            except FileNotFoundError:
                continue
            if int(fields[2]) == pgid:
                members.append(int(entry))
    return members


def _nice(pid):
    return os.getpriority(os.PRIO_PROCESS, pid)


def test_guests_yield_the_cpu_to_the_control_plane(stack, attacker):
    """The agent and its database run [local_compute] guest_nice (10)
    below the services, and the guest's user cannot take it back: each
    process's nice value, and a CPU group per guest whose parent (all the
    deployment's guests together) weighs as one process at nice 10, so a
    hundred guests in sessions of their own do not outweigh a service."""
    instance, _password = attacker
    server = stack.server_of(instance['id'])
    uid = server['uid']
    guest_pids = guest_users.processes_of(uid)
    commands = [_command(pid) for pid in guest_pids]
    assert any('mariadbd' in command for command in commands), commands
    assert {_nice(pid) for pid in guest_pids} == {_nice(0) + 10}
    outcome = _run_as(uid, (
        'import json, os, sys\n'
        'try:\n'
        '    os.setpriority(os.PRIO_PROCESS, int(sys.argv[1]), 0)\n'
        '    print(json.dumps("raised"))\n'
        'except OSError as error:\n'
        '    print(json.dumps(type(error).__name__))\n'),
        str(guest_pids[0]))
    assert outcome == 'PermissionError'
    assert {_nice(pid) for pid in guest_pids} == {_nice(0) + 10}

    group, weight_file = _group_with(server, ('cpu.shares', 'cpu.weight'))
    # The kernel's weight of nice 10 (v1 shares; v2 the same per 100).
    assert _read_int(os.path.dirname(group), weight_file) == \
        (110 if weight_file == 'cpu.shares' else 11)
    _assert_held_in(group, uid)


def test_each_guest_is_held_to_its_flavors_ram(stack):
    """A memory cgroup per guest, limited to its flavor's RAM: what
    grows past it inside the guest is killed by the kernel, the host's
    memory stays the others'."""
    api = stack.api('attacker')
    created = api.create_instance(name='hungry')
    instance = api.wait_active(created['id'], timeout=120)
    server = stack.server_of(instance['id'])
    uid = server['uid']
    ram_mb = api.get(f'/flavors/{instance["flavor"]["id"]}').json()[
        'flavor']['ram']
    group, limit_file = _group_with(server, ('memory.max',
                                             'memory.limit_in_bytes'))
    assert _read_int(group, limit_file) == ram_mb * 1024 * 1024
    _assert_held_in(group, uid)

    # Something of the guest's that takes twice the flavor's RAM.
    hog = subprocess.Popen(
        [PYTHON, '-c', 'import sys\n'
                       'sys.stdin.readline()\n'
                       'hoard = []\n'
                       f'for _ in range({ram_mb * 2 // 16}):\n'
                       '    hoard.append(bytearray(16 << 20))\n'
                       'print("not stopped")\n'],
        user=uid, group=pwd.getpwuid(uid).pw_gid, extra_groups=[],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd='/')
    with open(os.path.join(group, 'cgroup.procs'), 'w') as procs:
        procs.write(str(hog.pid))
    out, _ = hog.communicate('go\n', timeout=120)
    assert hog.returncode == -9 and 'not stopped' not in out

    # The guest itself still serves.
    assert api.get(f'/instances/{instance["id"]}/databases').status_code \
        == 200
    assert api.delete(f'/instances/{instance["id"]}').status_code == 202
    api.wait_gone(instance['id'])
    assert not any(os.path.exists(path) for path in cgroups.of(server))


def _group_with(server, names):
    """(directory, file): the server's cgroup that has one of ``names``
    (a controller's limit file), and which."""
    for group in cgroups.of(server):
        for name in names:
            if os.path.exists(os.path.join(group, name)):
                return group, name
    raise AssertionError(f'no cgroup with {names}: {cgroups.of(server)}')


def _read_int(group, name):
    with open(os.path.join(group, name)) as value:
        return int(value.read())


def _members(group):
    with open(os.path.join(group, 'cgroup.procs')) as procs:
        return set(procs.read().split())


def _assert_held_in(group, uid):
    """The guest's processes are in ``group``, and its user cannot move
    itself out of it (to the parent's group, shared by every guest)."""
    guest_pids = {str(pid) for pid in guest_users.processes_of(uid)}
    members = _members(group)
    assert guest_pids and guest_pids <= members, (guest_pids, members)
    outcome = _run_as(uid, (
        'import json, os, sys\n'
        'try:\n'
        '    open(sys.argv[1], "w").write(str(os.getpid()))\n'
        '    print(json.dumps("moved"))\n'
        'except OSError as error:\n'
        '    print(json.dumps(type(error).__name__))\n'),
        os.path.join(os.path.dirname(group), 'cgroup.procs'))
    assert outcome == 'PermissionError'
