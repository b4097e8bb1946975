"""What the guest launcher prepares before it forks guests."""

import subprocess
import sys

PROBE = '''
import gc
from trove_lite.cmd import guest_launcher
guest_launcher.preload()
print('frozen' if gc.get_freeze_count() else 'not frozen')
'''


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
print(sys.modules.get('eventlet', 'absent'))
'''


def test_guests_run_without_eventlet():
    """No service, a guest agent least of all, loads eventlet (nor what it
    imports): importing trove_lite.cmd keeps it out."""
    result = subprocess.run([sys.executable, '-c', EVENTLET_PROBE],
                            capture_output=True, text=True)
    assert result.stdout.split() == ['None'], \
        result.stderr[-2000:]
