"""The local backup storage opened to local guests, one project each.

With ``storage_strategy = local`` a guest writes and reads its backups
itself, under ``<storage root>/<project>`` (trove_lite.storage.local). Run
as root, every guest is a user of its own, so the guests of one project
share that directory through POSIX ACLs: the directory is root's, and each
living guest of the project has an entry (``user:<uid>:rwx``) on it and on
everything in it, and a default entry on every directory in it, so what
one guest stores the others can read. A guest that restores into a new
instance is one of them from its build on.

Three layers keep a project's backups from other tenants:

- the guest's mount namespace shows the storage root empty but for its
  own project's directory (``LocalDriver._private_view``);
- the root is root's and cannot be listed (0711), a project directory has
  entries for that project's guests only (mode 0770, group and others
  nothing);
- a uid is in one project only: opening a project to a uid first takes
  the uid out of every other project (a deleted guest's uid is reused),
  and a deleted guest's files become root's.

The walks open every entry relative to its directory without following
symlinks, and change only directories and regular files with one link:
a guest plants symlinks, or hard links to files of the host, to have root
open them to it; neither is touched.
"""

import contextlib
import errno
import os
import stat
import struct

from trove_lite.common import exceptions
from trove_lite.compute.local import files
from trove_lite.compute.local import guest_users
from trove_lite.conf import CONF
from trove_lite.conf import storage as storage_conf
from trove_lite.storage import base as storage_base

_ACCESS = 'system.posix_acl_access'
_DEFAULT = 'system.posix_acl_default'
# The xattr form of an ACL (linux/posix_acl_xattr.h): a version, then
# (tag, permissions, id) entries sorted by tag, then id.
_HEADER = struct.Struct('<I')
_ENTRY = struct.Struct('<HHI')
_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = (
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20)
_NO_ID = 0xFFFFFFFF
_GROUP_CLASS = (_USER, _GROUP_OBJ, _GROUP)

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO a guest planted must not hang the walk.
_ENTRY_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def _decode(raw):
    """{(tag, id): permissions} of an ACL in its xattr form."""
    (version,) = _HEADER.unpack_from(raw)
    if version != _VERSION:
        raise ValueError(f'unknown ACL version {version}')
    return {(tag, uid): perm for tag, perm, uid in _ENTRY.iter_unpack(
        raw[_HEADER.size:])}


def _encode(entries):
    """The xattr form of {(tag, id): permissions}, with the mask that
    lets the group class have what it lists."""
    entries = dict(entries)
    if any(tag in (_USER, _GROUP) for tag, _uid in entries):
        entries[(_MASK, _NO_ID)] = _mask(entries)
    return _HEADER.pack(_VERSION) + b''.join(
        _ENTRY.pack(tag, perm, uid)
        for (tag, uid), perm in sorted(entries.items()))


def _mask(entries):
    mask = 0
    for (tag, _uid), perm in entries.items():
        if tag in _GROUP_CLASS:
            mask |= perm
    return mask


def _from_mode(mode):
    """The minimal ACL of a file's mode bits (no ACL set yet)."""
    return {(_USER_OBJ, _NO_ID): (mode >> 6) & 7,
            (_GROUP_OBJ, _NO_ID): (mode >> 3) & 7,
            (_OTHER, _NO_ID): mode & 7}


def _read(fd, name, mode):
    """The ACL ``name`` of an open entry; from its mode when it has
    none."""
    try:
        return _decode(os.getxattr(fd, name))
    except OSError as error:
        if error.errno != errno.ENODATA:
            raise
    return _from_mode(mode)


def _set_user(fd, info, uid, permissions):
    """Give ``uid`` ``permissions`` (None: no entry) on the open entry
    ``fd``; on a directory also by default, for what is made in it."""
    names = [_ACCESS]
    if stat.S_ISDIR(info.st_mode):
        names.append(_DEFAULT)
    for name in names:
        entries = _read(fd, name, info.st_mode)
        if entries.get((_USER, uid)) == permissions:
            continue
        if permissions is None:
            del entries[(_USER, uid)]
        else:
            entries[(_USER, uid)] = permissions
        entries.pop((_MASK, _NO_ID), None)
        os.setxattr(fd, name, _encode(entries))


def _walk(dir_fd, visit):
    """Call ``visit(fd, stat)`` on the directory ``dir_fd`` and on every
    directory and single-linked regular file below it; nothing is
    followed."""
    info = os.fstat(dir_fd)
    visit(dir_fd, info)
    for entry in os.scandir(dir_fd):
        try:
            fd = os.open(entry.name, _ENTRY_FLAGS, dir_fd=dir_fd)
        except OSError:
            continue  # a symlink (ELOOP), or gone meanwhile
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                _walk(fd, visit)
            elif stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
                visit(fd, info)
        finally:
            os.close(fd)


class StorageAccess:
    """Opens the local storage's project directories to guest uids."""

    def __init__(self, root, lock_path):
        self.root = root
        self.lock_path = lock_path

    def _locked(self):
        """One change at a time: each rewrites whole ACLs."""
        return files.locked(self.lock_path)

    def project_path(self, project_id):
        return os.path.join(self.root,
                            storage_base.check_project(project_id))

    def _root_fd(self):
        """The root, made if missing: root's, passable, not listable."""
        os.makedirs(self.root, 0o711, exist_ok=True)
        fd = os.open(self.root, _DIR_FLAGS)
        os.fchown(fd, 0, 0)
        os.fchmod(fd, 0o711)
        return fd

    def _projects(self, root_fd):
        """(name, fd) of each project directory."""
        for entry in os.scandir(root_fd):
            if entry.name.startswith('.'):
                continue
            try:
                fd = os.open(entry.name, _DIR_FLAGS, dir_fd=root_fd)
            except OSError:
                continue
            yield entry.name, fd

    def open_to(self, uid, project_id):
        """Let ``uid`` (a new guest of ``project_id``) read and write its
        project's backups, and no other project's."""
        path = self.project_path(project_id)
        try:
            self._open_to(uid, project_id)
        except OSError as error:
            if error.errno != errno.EOPNOTSUPP:
                raise
            raise exceptions.ComputeError(
                reason=f'the backup storage {self.root} does not support '
                       f'POSIX ACLs, by which a project\'s local guests '
                       f'share its backups: mount its filesystem with ACLs'
                       f' or set storage_local_path elsewhere') from None
        return path

    def _open_to(self, uid, project_id):
        with self._locked():
            root_fd = self._root_fd()
            try:
                self._close(root_fd, uid, skip=project_id)
                with contextlib.suppress(FileExistsError):
                    os.mkdir(project_id, 0o770, dir_fd=root_fd)
                fd = os.open(project_id, _DIR_FLAGS, dir_fd=root_fd)
            finally:
                os.close(root_fd)
            try:
                os.fchown(fd, 0, 0)
                # Root's; its guests by their entries; nobody else.
                os.fchmod(fd, 0o770)
                _walk(fd, lambda entry, info: _set_user(
                    entry, info, uid,
                    7 if stat.S_ISDIR(info.st_mode) else 6))
            finally:
                os.close(fd)

    def close_to(self, uid):
        """Take every entry of ``uid`` (a deleted guest) away, and give
        root what it made."""
        if not os.path.isdir(self.root):
            return
        with self._locked():
            root_fd = self._root_fd()
            try:
                self._close(root_fd, uid)
            finally:
                os.close(root_fd)

    def _close(self, root_fd, uid, skip=None):
        def disown(fd, info):
            _set_user(fd, info, uid, None)
            if info.st_uid == uid:
                os.fchown(fd, 0, 0)
                # Nothing it made stays executable or set-id.
                os.fchmod(fd, stat.S_IMODE(info.st_mode) & (
                    0o770 if stat.S_ISDIR(info.st_mode) else 0o660))

        for name, fd in self._projects(root_fd):
            try:
                if name != skip:
                    _walk(fd, disown)
            finally:
                os.close(fd)


def for_driver(state_path):
    """The StorageAccess of a local driver whose guests are users of
    their own and store backups locally; None otherwise (guests then
    use the storage as the driver's own user, or do not use it)."""
    if CONF.storage_strategy != 'local' or not guest_users.enabled():
        return None
    return StorageAccess(storage_conf.local_root(CONF),
                         os.path.join(state_path, 'storage-access.lock'))
