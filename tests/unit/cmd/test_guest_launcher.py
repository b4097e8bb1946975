"""What the guest launcher prepares before it forks guests."""

import os
import subprocess
import sys

# A fresh interpreter with no entry point cache file: preload, then make
# reading the installed packages' entry points fail, then look up a
# transport driver as each guest does when it connects.
PROBE = '''
import gc
import importlib.metadata
from trove_lite.cmd import guest_launcher
guest_launcher.preload()
print('frozen' if gc.get_freeze_count() else 'not frozen')

def refuse():
    raise AssertionError('the entry points were read again')

importlib.metadata.entry_points = refuse
from stevedore import driver
driver.DriverManager('oslo.messaging.drivers', 'rabbit')
print('found')
'''


def test_guests_fork_with_the_entry_points_already_read(tmp_path):
    """Each guest would otherwise read every installed package's entry
    points again (~0.1 s of CPU each) when it opens its transport."""
    result = subprocess.run(
        [sys.executable, '-c', PROBE], capture_output=True, text=True,
        env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path)))
    assert result.stdout.split()[-1:] == ['found'], result.stderr[-2000:]


def test_what_guests_share_is_frozen():
    """Frozen, what the launcher loaded is never walked by a guest's
    garbage collector, which would copy every page of it."""
    result = subprocess.run([sys.executable, '-c', PROBE],
                            capture_output=True, text=True)
    assert result.stdout.split()[:1] == ['frozen'], result.stderr[-2000:]


EVENTLET_PROBE = '''
import sys
from trove_lite.cmd import guest_launcher
guest_launcher.preload()
from oslo_service import backend
print(backend.get_backend_type().name, sys.modules.get('eventlet', 'absent'))
'''


def test_guests_run_without_eventlet():
    """Every service, a guest agent most of all, runs oslo.service's
    threading backend and never loads eventlet (nor what it imports)."""
    result = subprocess.run([sys.executable, '-c', EVENTLET_PROBE],
                            capture_output=True, text=True)
    assert result.stdout.split() == ['THREADING', 'None'], \
        result.stderr[-2000:]
