"""Files of the local driver: records replaced atomically, configs only
the driver writes and only the guest's group reads, directories that
belong to one guest."""

import configparser
import contextlib
import fcntl
import json
import os

from trove_lite.common import exceptions


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on the file ``path`` (made if missing)
    against other threads and processes."""
    with open(path, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def entry(directory, name):
    """``directory``/``name``, where ``name`` (a server's or a volume's
    id) must be one entry of it, never a path (``..``, ``/``): what is
    done to a server's or volume's directory (stop what runs in it,
    remove it) must never reach anything else."""
    if not name or os.sep in name or name in (os.curdir, os.pardir):
        raise exceptions.ComputeError(reason=f'{name!r} is not an id')
    return os.path.join(directory, name)


def tail(path, lines, max_bytes):
    """The last ``lines`` lines of a file, reading at most its last
    ``max_bytes`` bytes (a guest controls what its log holds)."""
    with open(path, 'rb') as source:
        source.seek(0, os.SEEK_END)
        source.seek(max(0, source.tell() - max_bytes))
        text = source.read().decode('utf-8', 'replace')
    return '\n'.join(text.splitlines()[-lines:])


def read_json(path):
    """A JSON record, or None where there is none (or half of one)."""
    try:
        with open(path) as record:
            return json.load(record)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_json(path, obj):
    """Replace a JSON record atomically: readers never see half of it."""
    with open(path + '.tmp', 'w') as out:
        json.dump(obj, out)
    os.rename(path + '.tmp', path)


def write_config(path, gid, *section_maps):
    parser = configparser.ConfigParser(interpolation=None)
    for sections in section_maps:
        for section, values in sections.items():
            if section != 'DEFAULT' and not parser.has_section(section):
                parser.add_section(section)
            for key, value in values.items():
                parser.set(section, key, str(value))
    write_private_config(path, gid, parser)


def write_private_config(path, gid, parser):
    """Replace a config file atomically, readable by its owner and by
    the guest's group (``gid``, None: no group of its own) only: it holds
    the guest's broker credentials, and the guest may read but not change
    it."""
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, 'w') as out:
        parser.write(out)
        if gid is not None:
            os.fchown(out.fileno(), 0, gid)
            os.fchmod(out.fileno(), 0o640)
    os.rename(path + '.tmp', path)


def set_config(path, gid, section, option, value):
    """Change one option of a guest's config file."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    if not parser.has_section(section):
        parser.add_section(section)
    parser.set(section, option, str(value))
    write_private_config(path, gid, parser)


def make_private_dir(path, owner):
    """``path`` (made if missing) for its guest only: owned by ``owner``
    ((uid, gid); None: this process's user), mode 0700."""
    os.makedirs(path, 0o700, exist_ok=True)
    uid, gid = owner
    if uid is not None:
        os.chown(path, uid, gid, follow_symlinks=False)
    os.chmod(path, 0o700, follow_symlinks=False)


def reclaim(path):
    """Take a guest's directory back for root, closed to everyone else
    (its contents stay as they are, out of reach)."""
    try:
        os.chown(path, 0, 0, follow_symlinks=False)
        os.chmod(path, 0o700, follow_symlinks=False)
    except FileNotFoundError:
        pass


def check_passable(path):
    """Guests reach their directories under ``path`` only if every
    directory above it lets others pass (x); refuse to start otherwise,
    rather than have every guest fail at its first file."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & 0o001:
            raise exceptions.ComputeError(
                reason=f'{path} does not let other users pass (chmod o+x '
                       f'it, or choose another [local_compute] state_path):'
                       f' local guests run as users of their own')
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
