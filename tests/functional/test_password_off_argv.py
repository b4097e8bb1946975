"""Issue 16 item 9: the quickstart once created its demo user with the
password on the ``trove-lite`` command line, where ``ps`` shows it to
every local user. It now passes a password file, as here: the command
lines of every process are sampled while the create runs (the CLI, the
API, the taskmanager, the guest and its mariadbd) and none shows the
password; the user can log in with it."""

import os
import secrets
import threading

import pytest

from tests.functional import clients
from tests.functional import stack as stack_module

pytestmark = pytest.mark.functional


def command_lines():
    """The command line of every process now."""
    lines = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as source:
                lines.append(source.read().replace(b'\0', b' '))
        except OSError:
            continue  # gone meanwhile
    return lines


class CommandLineWatch:
    """Samples every process's command line until stopped; ``seen`` holds
    those that showed ``secret``."""

    def __init__(self, secret):
        self.secret = secret.encode()
        self.seen = []
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.seen.extend(line for line in command_lines()
                             if self.secret in line)
            self.samples += 1
            self._stop.wait(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_the_quickstart_create_keeps_the_password_off_every_command_line(
        stack, tmp_path):
    password = 'qs-' + secrets.token_hex(12)
    password_file = tmp_path / 'demo-password'
    password_file.write_text(password + '\n')
    password_file.chmod(0o600)
    with CommandLineWatch(password) as watch:
        result = clients.trove_lite(
            stack, 'quickstart', 'instance', 'create', 'demo',
            '--flavor', 'small', '--size', '1', '--datastore', 'mariadb',
            '--database', 'demo',
            '--user', 'demo', '--user-password-file', str(password_file),
            '--wait', '-f', 'json')
    assert result.code == 0, result.stderr
    assert watch.samples > 10
    assert watch.seen == []
    assert password not in result.stdout + result.stderr
    instance = result.json()
    address = stack.api('quickstart').instance(instance['id'])['ip'][0]
    with stack_module.connect(address, 'demo', password, 'demo') as db:
        cursor = db.cursor()
        cursor.execute('SELECT CURRENT_USER()')
        assert cursor.fetchone()[0].startswith('demo@')
    response = stack.api('quickstart').delete(f'/instances/{instance["id"]}')
    assert response.status_code == 202
    stack.api('quickstart').wait_gone(instance['id'])
