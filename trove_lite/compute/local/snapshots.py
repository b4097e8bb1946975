"""Volume snapshots of the local driver ("cinder" backups): a copy of a
volume's directory, taken while its guest's server is stopped.

A file-by-file copy is not point-in-time: under FLUSH TABLES WITH READ
LOCK InnoDB still flushes pages and moves its checkpoint in the
background, so files copied one after the other may disagree. A server
stopped cleanly leaves consistent files, hence ``stop`` (the guest
stops its server while the copy runs and starts it again).

Layout under ``[local_compute] state_path``::

    snapshots/<project>/<backup_id>/     the volume's files (root's, 0700)
    snapshots/<project>/.tmp-<backup_id>-<random>/   a copy in progress

``snapshots`` is hidden from every guest's view of the filesystem, and
each project's directory is root's, so a snapshot reaches a guest only as
the volume of an instance made from it.
"""

import os
import re
import shutil
import subprocess
import uuid

from trove_lite.common import exceptions

QUIESCE = 'stop'
_SAFE = re.compile(r'[A-Za-z0-9_-]{1,64}')


def root(state_path):
    return os.path.join(state_path, 'snapshots')


def _checked(kind, value):
    # Both come from the control plane's own rows; checked all the same,
    # as they become path components.
    if not isinstance(value, str) or not _SAFE.fullmatch(value):
        raise exceptions.ComputeError(reason=f'invalid {kind} {value!r}')
    return value


def path(state_path, project_id, backup_id):
    return os.path.join(root(state_path), _checked('project', project_id),
                        _checked('backup', backup_id))


def _copy(source, target):
    # cp as the volumes' template copy does: fast, blocks shared where
    # the filesystem can, modes kept; the copies are root's (the guest's
    # uid goes back to the pool), the driver gives a restored volume to
    # its new guest.
    subprocess.run(['cp', '-a', '--no-preserve=ownership', '--reflink=auto',
                    f'{source}/.', target], check=True, capture_output=True)


def _sync_tree(top):
    """On disk before the snapshot takes its name (and the backup is
    COMPLETED)."""
    for folder, _, names in os.walk(top):
        for name in names + ['.']:
            if os.path.islink(os.path.join(folder, name)):
                continue
            fd = os.open(os.path.join(folder, name),
                         os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _size(top):
    total = 0
    for folder, _, names in os.walk(top):
        for name in names:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total


def take(state_path, volume_path, project_id, backup_id):
    """Copy ``volume_path`` into the project's snapshot ``backup_id``
    (the guest's server is stopped); the bytes copied. Nothing partial
    stays under the snapshot's name."""
    target = path(state_path, project_id, backup_id)
    project_dir = os.path.dirname(target)
    os.makedirs(project_dir, 0o700, exist_ok=True)
    temporary = os.path.join(
        project_dir, f'.tmp-{backup_id}-{uuid.uuid4().hex}')
    os.mkdir(temporary, 0o700)
    try:
        _copy(volume_path, temporary)
        _sync_tree(temporary)
        os.rename(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return _size(target)


def restore(state_path, project_id, backup_id, volume_path):
    """Fill the new, empty ``volume_path`` with the snapshot's files."""
    source = path(state_path, project_id, backup_id)
    if not os.path.isdir(source):
        raise exceptions.ComputeError(
            reason=f'volume snapshot {backup_id} does not exist')
    _copy(source, volume_path)


def delete(state_path, project_id, backup_id):
    """Remove the snapshot and what a copy of it left half-made."""
    target = path(state_path, project_id, backup_id)
    shutil.rmtree(target, ignore_errors=True)
    project_dir = os.path.dirname(target)
    try:
        leftovers = os.listdir(project_dir)
    except FileNotFoundError:
        return
    for name in leftovers:
        if name.startswith(f'.tmp-{backup_id}-'):
            shutil.rmtree(os.path.join(project_dir, name),
                          ignore_errors=True)
