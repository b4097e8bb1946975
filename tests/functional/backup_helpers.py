"""What the backup test modules share: instances with an application user,
rows written and read where a tenant sees them (the instance's own
MariaDB), and backups and restores driven through the API until they
end."""

import subprocess
import time

from tests.functional.stack import connect
from tests.functional.stack import wait_until

APP_PASSWORD = 'backup-app-pass-1'


def make_instance(api, name, timeout=60, **extra):
    """An ACTIVE instance with database ``appdb`` and its user ``app``;
    ``extra``: more of the create request (``backup_policy``, ...)."""
    created = api.create_instance(
        name=name, databases=[{'name': 'appdb'}],
        users=[{'name': 'app', 'password': APP_PASSWORD,
                'databases': [{'name': 'appdb'}]}], **extra)
    return api.wait_active(created['id'], timeout=timeout)


def execute(instance, *statements):
    with connect(instance['ip'][0], 'app', APP_PASSWORD,
                 'appdb') as connection:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        return cursor.fetchall()


def rows(instance):
    return execute(instance, 'SELECT id, note FROM t ORDER BY id')


def insert(instance, first, count, note='row'):
    execute(instance, 'CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, '
                      'note VARCHAR(64)) ENGINE=InnoDB')
    with connect(instance['ip'][0], 'app', APP_PASSWORD,
                 'appdb') as connection:
        connection.cursor().executemany(
            'INSERT INTO t VALUES (%s, %s)',
            [(n, f'{note} {n}') for n in range(first, first + count)])


def backup_of(api, backup_id):
    response = api.get(f'/backups/{backup_id}')
    assert response.status_code == 200, response.text
    return response.json()['backup']


def create_backup(api, instance, name, **extra):
    response = api.post('/backups', {'backup': dict(
        name=name, instance=instance['id'], **extra)})
    assert response.status_code == 202, response.text
    backup = response.json()['backup']
    assert backup['status'] == 'NEW'
    return backup


def wait_backup(api, backup_id, states=('COMPLETED', 'FAILED'),
                timeout=90):
    return wait_until(lambda: (lambda b: b if b['status'] in states
                               else None)(backup_of(api, backup_id)),
                      timeout=timeout, interval=0.2)


def backup_completed(api, instance, name, timeout=90, **extra):
    backup = create_backup(api, instance, name, **extra)
    done = wait_backup(api, backup['id'], timeout=timeout)
    assert done['status'] == 'COMPLETED', done
    # The instance is free again once its backup ended.
    api.wait_active(instance['id'])
    return done


def restore(api, backup, name):
    created = api.create_instance(name=name,
                                  restorePoint={'backupRef': backup['id']})
    return api.wait_active(created['id'], timeout=120)


def next_second():
    """Wait into the next whole second; returns the second just ended.
    (Trove orders backups by ``updated``, kept to the second, and a
    point-in-time restore takes whole seconds.)"""
    ended = int(time.time())
    while time.time() < ended + 1.05:
        time.sleep(0.05)
    return ended


def mariabackup_of(stack, instance_id):
    """The pid of the mariabackup the instance's guest runs, or None."""
    sandbox = stack.sandbox(instance_id)
    found = subprocess.run(['pgrep', '-f', f'mariabackup.*{sandbox}'],
                           capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def remove_instances(stack, *projects):
    """Delete the projects' instances (the session's stack is shared: its
    guests are not left running); their backups stay."""
    for project in projects:
        api = stack.api(project)
        for instance in api.get('/instances').json()['instances']:
            api.delete(f'/instances/{instance["id"]}')
