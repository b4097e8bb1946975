"""The local storage driver: a directory per project on this machine.

Object ``<container>/<name>`` of a project is the file
``<storage_local_path>/<project>/<container>/<name>`` ("/" in a name makes
subdirectories). Its location is ``local://<container>/<project>/<name>``,
independent of where the root is mounted. A file holds the stored bytes
followed by a footer: a JSON document (size, SHA-256, metadata), its length
(8 bytes) and the magic ``TLLOCAL1``, so data and metadata are replaced
together by one rename.

Directories are 0700 and files 0600, but in a directory shared by a
default ACL (local guests of one project, compute.local.storage_access)
0770 and 0660, so the ACL's entries, not the mode, decide. Every path is
walked one component at a time with O_NOFOLLOW from the root (which a
guest may pass but not list): a symlink planted anywhere below the
root is refused, never followed. A save writes ``.tmp-<leaf>-<random>``
beside its target and renames it into place when complete; ``delete``
removes such leftovers of a process that died mid-save.
"""

import contextlib
import errno
import hashlib
import json
import os
import stat
import struct
import uuid

from trove_lite.common import exceptions
from trove_lite.conf import storage as storage_conf
from trove_lite.storage import base

SCHEME = 'local://'
_FOOTER = struct.Struct('>Q8s')
_MAGIC = b'TLLOCAL1'
_MAX_FOOTER_DOCUMENT = 2 ** 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# Passing through: a guest may pass the root but not list it.
_PASS_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO planted as an object must not hang the open.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def _shared(dir_fd):
    """Whether what is made in ``dir_fd`` takes its access from the
    directory's default ACL (then the mode given only caps it)."""
    try:
        os.getxattr(dir_fd, 'system.posix_acl_default')
    except OSError:
        return False
    return True


class LocalStorage(base.Storage):
    """Objects of one project under ``storage_local_path`` (by default
    the "storage" directory of [local_compute] state_path)."""

    def __init__(self, project_id, conf, grant=None):
        # A guest's grant gives it its project's key; the scopes are not
        # checked here: the guest can reach no other project's directory.
        super().__init__(project_id, conf, grant)
        self.root = storage_conf.local_root(conf)

    def _location(self, container, name):
        return f'{SCHEME}{container}/{self.project_id}/{name}'

    def split(self, location):
        return base.parse_location(location, SCHEME, self.project_id)

    def _path(self, location):
        """(directories from the root, file name) of a location."""
        container, name = self.split(location)
        *dirs, leaf = name.split('/')
        return [self.project_id, container, *dirs], leaf

    def _open_dirs(self, parts, create=False):
        """An fd of root/parts..., walked without following symlinks."""
        if create:
            os.makedirs(self.root, mode=0o700, exist_ok=True)
        fd = os.open(self.root, _PASS_FLAGS if parts else _DIR_FLAGS)
        try:
            for part in parts:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o770 if _shared(fd) else 0o700,
                                 dir_fd=fd)
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open_object(self, location):
        """An fd of the object's file; only a regular file is one."""
        dirs, leaf = self._path(location)
        try:
            dir_fd = self._open_dirs(dirs)
            try:
                fd = os.open(leaf, _FILE_FLAGS, dir_fd=dir_fd)
            finally:
                os.close(dir_fd)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise exceptions.StorageObjectNotFound(location=location) from None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise exceptions.StorageAccessDenied(location=location) from e
            raise exceptions.StorageError(
                reason=f'cannot open {location}: {e.strerror}') from e
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise exceptions.StorageAccessDenied(location=location)
        os.set_blocking(fd, True)
        return fd

    def _save(self, container, name, chunks, metadata, encoded):
        location = self._location(container, name)
        *dirs, leaf = name.split('/')
        try:
            dir_fd = self._open_dirs([self.project_id, container, *dirs],
                                     create=True)
        except OSError as e:
            raise exceptions.StorageError(
                reason=f'cannot make the directory of {location}: '
                       f'{e.strerror}') from e
        temporary = f'.tmp-{leaf}-{uuid.uuid4().hex}'
        try:
            size, checksum = self._write(dir_fd, temporary, chunks, metadata)
            os.rename(temporary, leaf, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            os.fsync(dir_fd)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=dir_fd)
            if isinstance(e, OSError):
                raise exceptions.StorageError(
                    reason=f'writing {location} failed: '
                           f'{e.strerror or e}') from e
            raise
        finally:
            os.close(dir_fd)
        return location, size, checksum

    @staticmethod
    def _write(dir_fd, filename, chunks, metadata):
        fd = os.open(filename, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o660 if _shared(dir_fd) else 0o600, dir_fd=dir_fd)
        digest = hashlib.sha256()
        size = 0
        with open(fd, 'wb') as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            document = json.dumps({'size': size,
                                   'sha256': digest.hexdigest(),
                                   'metadata': metadata}).encode()
            out.write(document + _FOOTER.pack(len(document), _MAGIC))
            out.flush()
            os.fsync(out.fileno())
        return size, digest.hexdigest()

    @staticmethod
    def _read_footer(fd, location):
        """(data size, footer document) of an object file."""
        def damaged(reason):
            return exceptions.StorageIntegrityError(location=location,
                                                    reason=reason)
        file_size = os.fstat(fd).st_size
        if file_size < _FOOTER.size:
            raise damaged('it is too short to hold its footer')
        length, magic = _FOOTER.unpack(
            os.pread(fd, _FOOTER.size, file_size - _FOOTER.size))
        if magic != _MAGIC or length > min(_MAX_FOOTER_DOCUMENT,
                                           file_size - _FOOTER.size):
            raise damaged('its footer is missing or damaged')
        data_size = file_size - _FOOTER.size - length
        try:
            document = json.loads(os.pread(fd, length, data_size))
            if document['size'] != data_size:
                raise ValueError('size')
        except (ValueError, KeyError, TypeError):
            raise damaged('its footer is damaged') from None
        return data_size, document

    def _info(self, fd, location):
        size, document = self._read_footer(fd, location)
        metadata = document.get('metadata', {})
        return base.ObjectInfo(
            location=location,
            name=base.parse_location(location, SCHEME, self.project_id)[1],
            size=size, checksum=document['sha256'],
            metadata={k: v for k, v in metadata.items()
                      if not k.startswith(base.RESERVED_PREFIX)},
            encoded=metadata.get(base.FORMAT_KEY) == base.ENCODED_FORMAT)

    def get_info(self, location):
        fd = self._open_object(location)
        try:
            return self._info(fd, location)
        finally:
            os.close(fd)

    def _load(self, location, checksum):
        info = self.get_info(location)
        if checksum is not None and checksum != info.checksum:
            raise exceptions.StorageIntegrityError(
                location=location, reason=f'its checksum is {info.checksum}'
                                          f', not the expected {checksum}')
        return info, self._read(location, info.checksum)

    def _read(self, location, checksum):
        # Opened again when reading starts: a reader never iterated holds
        # no file open.
        fd = self._open_object(location)
        try:
            size, document = self._read_footer(fd, location)
            if document['sha256'] != checksum:
                raise exceptions.StorageIntegrityError(
                    location=location, reason='it was replaced while read')
            digest = hashlib.sha256()
            remaining = size
            while remaining:
                chunk = os.read(fd, min(self.chunk_size, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                digest.update(chunk)
                yield chunk
            if remaining or digest.hexdigest() != checksum:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason='its bytes do not match its checksum')
        finally:
            os.close(fd)

    def delete(self, location):
        dirs, leaf = self._path(location)
        try:
            dir_fd = self._open_dirs(dirs)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise exceptions.StorageAccessDenied(location=location) from e
            raise exceptions.StorageError(
                reason=f'cannot delete {location}: {e.strerror}') from e
        try:
            leftovers = [entry.name for entry in os.scandir(dir_fd)
                         if entry.name.startswith(f'.tmp-{leaf}-')]
            for filename in [leaf, *leftovers]:
                with contextlib.suppress(FileNotFoundError,
                                         IsADirectoryError):
                    os.unlink(filename, dir_fd=dir_fd)
        except OSError as e:
            raise exceptions.StorageError(
                reason=f'cannot delete {location}: {e.strerror}') from e
        finally:
            os.close(dir_fd)
        self._remove_empty_dirs(dirs)

    def _remove_empty_dirs(self, dirs):
        """Remove the directories a name made, deepest first, while empty
        (never the project's or the container's)."""
        for depth in range(len(dirs), 2, -1):
            try:
                parent_fd = self._open_dirs(dirs[:depth - 1])
            except OSError:
                return
            try:
                os.rmdir(dirs[depth - 1], dir_fd=parent_fd)
            except OSError:
                return
            finally:
                os.close(parent_fd)

    def list(self, container, prefix=''):
        container = base.check_container(container)
        prefix = base.check_prefix(prefix)
        try:
            dir_fd = self._open_dirs([self.project_id, container])
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = []
        try:
            self._walk(dir_fd, container, '', prefix, found)
        finally:
            os.close(dir_fd)
        return sorted(found, key=lambda info: info.name)

    def _walk(self, dir_fd, container, path, prefix, found):
        with os.scandir(dir_fd) as entries:
            for entry in entries:
                if entry.name.startswith('.'):
                    continue
                name = path + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if (name + '/').startswith(prefix) or \
                            prefix.startswith(name + '/'):
                        child = os.open(entry.name, _DIR_FLAGS,
                                        dir_fd=dir_fd)
                        try:
                            self._walk(child, container, name + '/', prefix,
                                       found)
                        finally:
                            os.close(child)
                elif entry.is_file(follow_symlinks=False) and \
                        name.startswith(prefix):
                    location = self._location(container, name)
                    fd = os.open(entry.name, _FILE_FLAGS, dir_fd=dir_fd)
                    try:
                        size = self._read_footer(fd, location)[0]
                    finally:
                        os.close(fd)
                    found.append(base.ObjectInfo(location, name, size))
