"""Running the trove-lite CLI in-process against requests-mock."""

import contextlib
import dataclasses
import io
import logging
import os

from trove_lite.cli import main

API = 'http://trove.test:8779'
BASE = f'{API}/v1.0/p1'
INSTANCE_ID = '6d1ad1d5-1e2a-4b8e-9c49-3c8a9d1f2b10'


@dataclasses.dataclass
class Result:
    code: int
    stdout: str
    stderr: str


class Terminal(io.StringIO):
    def isatty(self):
        return True


def clean_environment(monkeypatch, **values):
    """No OS_* or TROVE_LITE_* from the developer's shell; then
    ``values``."""
    for name in list(os.environ):
        if name.startswith(('OS_', 'TROVE_LITE_')):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def run(*argv, stdin=None):
    """``trove-lite argv...``: exit code, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        app = main.TroveLiteApp(stdin=stdin or io.StringIO(),
                                stdout=stdout, stderr=stderr)
        # argparse reports bad arguments on sys.stderr and exits 2, and
        # prints --version on sys.stdout.
        with contextlib.redirect_stderr(stderr), \
                contextlib.redirect_stdout(stdout):
            code = app.run(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    finally:
        # cliff adds its console handler to the root logger on each run.
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    return Result(code, stdout.getvalue(), stderr.getvalue())


def instance(status='ACTIVE', operating_status='HEALTHY', **extra):
    view = {
        'id': INSTANCE_ID, 'name': 'shop', 'status': status,
        'operating_status': operating_status,
        'flavor': {'id': '2', 'links': []},
        'datastore': {'type': 'mariadb', 'version': '10.11',
                      'version_number': '10.11.19'},
        'volume': {'size': 1}, 'region': 'RegionOne', 'links': [],
        'created': '2026-01-02T03:04:05', 'updated': '2026-01-02T03:04:06',
    }
    if status == 'ACTIVE':
        view['ip'] = ['127.0.2.7']
        view['addresses'] = [{'address': '127.0.2.7', 'type': 'private',
                              'network': 'local'}]
    view.update(extra)
    return view


FLAVORS = [
    {'id': 1, 'str_id': '1', 'name': 'tiny', 'ram': 256, 'vcpus': 1,
     'disk': 1, 'ephemeral': 0, 'links': []},
    {'id': 2, 'str_id': '2', 'name': 'small', 'ram': 512, 'vcpus': 1,
     'disk': 2, 'ephemeral': 0, 'links': []},
    {'id': None, 'str_id': 'big-one', 'name': 'big', 'ram': 4096,
     'vcpus': 4, 'disk': 8, 'ephemeral': 0, 'links': []},
]


def not_found(message='Resource cannot be found.'):
    return {'status_code': 404,
            'json': {'itemNotFound': {'code': 404, 'message': message}}}


class FakeClock:
    """``time`` for the CLI's waits: sleeping only moves the clock."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def no_sleeping(monkeypatch, module):
    """Give ``module`` a FakeClock as its ``time``."""
    monkeypatch.setattr(module, 'time', FakeClock())
