"""The real OpenStack Swift of tools/swift.sh, for functional tests and
benchmarks: started once, stopped afterwards unless it was already
running."""

import os
import signal
import subprocess
import time

from oslo_config import cfg

from trove_lite.conf import compute
from trove_lite.conf import storage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'tools', 'swift.sh')


def _script(command, check=True):
    return subprocess.run([SCRIPT, command], capture_output=True, text=True,
                          timeout=900, check=check)


class SwiftServer:
    """``start()``/``stop()`` around tools/swift.sh; ``credentials`` are
    what it prints, ``startup_seconds`` how long start took."""

    def __init__(self):
        self.credentials = {}
        self.startup_seconds = None
        self._started_here = False

    def start(self):
        self._started_here = _script('status', check=False).returncode != 0
        began = time.monotonic()
        result = subprocess.run([SCRIPT, 'start'], capture_output=True,
                                text=True, timeout=900)
        if result.returncode != 0:
            raise RuntimeError(f'tools/swift.sh start failed:\n'
                               f'{result.stdout}{result.stderr}')
        self.startup_seconds = time.monotonic() - began
        self.credentials = dict(line.split('=', 1) for line in
                                result.stdout.split() if '=' in line)
        return self

    def stop(self):
        if self._started_here:
            _script('stop')

    @property
    def data_dir(self):
        return os.path.join(self.credentials['SWIFT_DIR'], 'data')

    def kill(self, server):
        """SIGKILL one server (account, container, object, proxy)."""
        pidfile = os.path.join(self.credentials['SWIFT_DIR'], 'run',
                               f'{server}.pid')
        with open(pidfile) as f:
            os.kill(int(f.read()), signal.SIGKILL)

    def restart_missing(self):
        _script('start')

    def options(self):
        """The [swift] options that reach this Swift."""
        return {'auth_strategy': 'tempauth',
                'auth_url': self.credentials['SWIFT_AUTH_URL'],
                'username': self.credentials['SWIFT_USER'],
                'password': self.credentials['SWIFT_KEY'],
                'timeout': '10', 'retries': '1'}

    def conf(self, **overrides):
        """A configuration with storage_strategy swift on this Swift."""
        conf = cfg.ConfigOpts()
        storage.register_opts(conf)
        compute.register_opts(conf)
        conf([], default_config_files=[])
        conf.set_override('storage_strategy', 'swift')
        for name, value in self.options().items():
            conf.set_override(name, value, group='swift')
        for name, value in overrides.items():
            conf.set_override(name, value)
        return conf
