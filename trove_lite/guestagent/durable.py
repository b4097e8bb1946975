"""Files the guest writes so that they survive a power loss.

A VM can lose power at any moment (a host crash, a hard reboot), and a
file written but not yet flushed comes back empty: a datadir copied at
prepare would hold empty table definitions, an option file nothing.
"""

import os
import subprocess


def write_private(path, text):
    """Replace ``path`` (owner-only) with ``text``: on disk whole, or the
    old file is still there."""
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(path + '.tmp', path)
    _fsync(os.path.dirname(path), os.O_DIRECTORY)


def sync_tree(path):
    """Flush every file and directory under ``path`` to disk: one
    ``syncfs`` of its filesystem (``sync --file-system``), which flushes
    everything written there. A copied datadir is ~150 files and
    folders, and an fsync of each costs a journal commit: in a burst of a
    hundred builds the one call per guest took the agents' CPU from ~50
    to ~30 ms a build and all of them ACTIVE ~2 s sooner
    (``benchmarks/fleet.py``)."""
    subprocess.run(['sync', '--file-system', path], check=True,
                   capture_output=True)


def _fsync(path, flags=0):
    fd = os.open(path, os.O_RDONLY | flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
