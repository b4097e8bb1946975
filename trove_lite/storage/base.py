"""The storage driver interface, and what every driver shares: name rules,
the source stream, the reader handed back by ``load``.

Names come from tenants (a request's ``swift_container``) and locations
from guests (``update_backup``): both are checked here before a driver uses
them.
"""

import abc
import base64
import dataclasses
import re

from trove_lite.common import exceptions
from trove_lite.storage import codec

_PROJECT = re.compile(r'[A-Za-z0-9_-]{1,64}')
_CONTAINER = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,199}')
# No part starts with a dot: ".", ".." and the drivers' own files
# (".tmp-*", ".upload-*") can never be object names.
_NAME_PART = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.:=+-]{0,199}')
_PREFIX = re.compile(r'[A-Za-z0-9_.:=+/-]{0,512}')
_METADATA_KEY = re.compile(r'[a-z][a-z0-9_]{0,63}')
_METADATA_VALUE = re.compile(r'[\x20-\x7e]{0,256}')
MAX_NAME_LENGTH = 512
MAX_METADATA_ITEMS = 64
SEGMENTS_SUFFIX = '_segments'
# Metadata keys the storage keeps for itself.
RESERVED_PREFIX = 'storage_'
FORMAT_KEY = 'storage_format'
ENCODED_FORMAT = 'tlsf1'


def _invalid(kind, name, reason):
    return exceptions.StorageInvalidName(kind=kind, name=name, reason=reason)


def check_project(project_id):
    if not isinstance(project_id, str) or not _PROJECT.fullmatch(project_id):
        raise _invalid('project', project_id,
                       'use 1-64 letters, digits, "_" or "-"')
    return project_id


def check_container(container):
    if not isinstance(container, str) or not _CONTAINER.fullmatch(container):
        raise _invalid('container', container,
                       'use up to 200 letters, digits, "_", "-" or ".", '
                       'starting with a letter or digit')
    if container.endswith(SEGMENTS_SUFFIX):
        raise _invalid('container', container,
                       f'names ending in "{SEGMENTS_SUFFIX}" hold segments')
    return container


def check_name(name):
    """An object name: parts joined by "/", each of letters, digits and
    ``_.:=+-``, none starting with a dot."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not all(
            _NAME_PART.fullmatch(part) for part in name.split('/')):
        raise _invalid('object', name,
                       'use "/"-separated parts of letters, digits and '
                       '"_.:=+-", none empty or starting with ".", at most '
                       f'{MAX_NAME_LENGTH} characters')
    return name


def check_prefix(prefix):
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise _invalid('prefix', prefix,
                       'use letters, digits and "_.:=+/-"')
    return prefix


def check_metadata(metadata):
    """A copy of ``metadata`` with every value as str. Keys are lower-case
    identifiers (they travel as Swift headers); values printable ASCII."""
    checked = {}
    for key, value in (metadata or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if (not isinstance(key, str) or not _METADATA_KEY.fullmatch(key)
                or key.startswith(RESERVED_PREFIX)):
            raise _invalid('metadata key', key,
                           'use a lower-case identifier not starting with '
                           f'"{RESERVED_PREFIX}"')
        if not isinstance(value, str) or not _METADATA_VALUE.fullmatch(value):
            raise _invalid('metadata value', f'{key}={value!r}',
                           'use up to 256 printable ASCII characters')
        checked[key] = value
    if len(checked) > MAX_METADATA_ITEMS:
        raise _invalid('metadata', f'{len(checked)} items',
                       f'at most {MAX_METADATA_ITEMS}')
    return checked


def parse_location(location, prefix, project_id):
    """(container, name) of a location that must be ``prefix`` followed by
    ``<container>/<project_id>/<name>``; anything else belongs to no one
    this driver may serve."""
    if not isinstance(location, str) or not location.startswith(prefix):
        raise exceptions.StorageAccessDenied(location=location)
    container, _, rest = location[len(prefix):].partition('/')
    project, _, name = rest.partition('/')
    if project != project_id:
        raise exceptions.StorageAccessDenied(location=location)
    return check_container(container), check_name(name)


@dataclasses.dataclass(frozen=True)
class SavedObject:
    """What ``save`` stored."""

    location: str
    #: Bytes in the store (compressed and encrypted when encoded).
    size: int
    #: The driver's checksum of the stored bytes; ``load(location,
    #: checksum)`` refuses an object that no longer matches it.
    checksum: str
    #: Bytes read from the stream given to ``save``.
    source_size: int


@dataclasses.dataclass(frozen=True)
class ObjectInfo:
    """A stored object as ``get_info`` (every field) or ``list`` (location,
    name, size) sees it."""

    location: str
    name: str
    size: int
    checksum: str = None
    metadata: dict = dataclasses.field(default_factory=dict)
    encoded: bool = False


class Source:
    """The stream given to ``save``: a file object (``read``) or an
    iterable of byte strings. Counts what it yields, and keeps the error it
    raised, so a driver can tell a failing source from a failing store."""

    def __init__(self, stream, chunk_size):
        self._stream = stream
        self._chunk_size = chunk_size
        self.size = 0
        self.error = None

    def _chunks(self):
        if hasattr(self._stream, 'read'):
            return iter(lambda: self._stream.read(self._chunk_size), b'')
        return iter(self._stream)

    def __iter__(self):
        try:
            for chunk in self._chunks():
                if chunk:
                    chunk = bytes(chunk)
                    self.size += len(chunk)
                    yield chunk
        except Exception as e:
            self.error = e
            raise


class ObjectReader:
    """A stored object's original bytes as a stream: iterate over it for
    chunks, or ``read(n)``. ``info`` is its ObjectInfo.

    Damage is reported by StorageIntegrityError from the read that meets
    it, at the latest the one that reaches the end: a consumer treats what
    it read as bad until it has read to the end without an error.
    """

    def __init__(self, info, chunks):
        self.info = info
        self._chunks = chunks
        self._iterator = iter(chunks)
        self._pending = b''

    def __iter__(self):
        if self._pending:
            pending, self._pending = self._pending, b''
            yield pending
        yield from self._iterator

    def read(self, size=-1):
        if size is None or size < 0:
            return b''.join(self)
        data = bytearray(self._pending)
        self._pending = b''
        while len(data) < size:
            chunk = next(self._iterator, b'')
            if not chunk:
                break
            data += chunk
        self._pending = bytes(data[size:])
        return bytes(data[:size])

    def close(self):
        close = getattr(self._chunks, 'close', None)
        if close:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Storage(abc.ABC):
    """Objects of one project, in containers, under "/"-separated names.

    Bound to a project at construction: every location it makes or accepts
    lies in that project's space. ``save`` streams (nothing is held whole
    in memory or copied locally) and either stores the complete object or
    raises, leaving no partial object behind when the store lets it; a
    failing source stream raises its own exception after the clean-up.
    """

    def __init__(self, project_id, conf, grant=None):
        self.project_id = check_project(project_id)
        self.conf = conf
        self.chunk_size = conf.backup_chunk_size
        if grant is None:
            key = codec.project_key(conf.backup_aes_cbc_key, project_id)
        else:
            if grant.get('project_id') != project_id:
                raise exceptions.StorageAccessDenied(
                    location=f'the storage of project {project_id}')
            key = base64.b64decode(grant['key']) if grant.get('key') \
                else None
        self.codec = codec.Codec.from_conf(conf, key)

    def location(self, container, name):
        """Where ``save(container, name, ...)`` stores its object: known
        before the save, so a caller can record it first and ``delete``
        whatever a crashed save left there."""
        return self._location(check_container(container), check_name(name))

    def save(self, container, name, stream, metadata=None, encode=True):
        """Store the bytes of ``stream`` as ``container``/``name``, with
        ``metadata`` (lower-case keys, values printable ASCII up to 256
        characters, returned as str). ``encode`` compresses and encrypts
        per the configuration (backups, binlogs); ``encode=False`` stores
        the bytes as given (logs published to users). Replaces an object
        of the same name. Returns a SavedObject.
        """
        container, name = check_container(container), check_name(name)
        metadata = check_metadata(metadata)
        source = Source(stream, self.chunk_size)
        chunks = source
        if encode:
            chunks = self.codec.encode(source)
            metadata[FORMAT_KEY] = ENCODED_FORMAT
        try:
            location, size, checksum = self._save(container, name, chunks,
                                                  metadata, encode)
        except Exception:
            if source.error is not None:
                raise source.error from None
            raise
        return SavedObject(location, size, checksum, source.size)

    def load(self, location, checksum=None):
        """An ObjectReader of the object at ``location``, decoded when it
        was saved encoded. With ``checksum`` (as ``save`` returned it) a
        changed object is refused."""
        info, chunks = self._load(location, checksum)
        if info.encoded:
            chunks = self.codec.decode(chunks, location)
        return ObjectReader(info, chunks)

    def exists(self, location):
        try:
            self.get_info(location)
        except exceptions.StorageObjectNotFound:
            return False
        return True

    @abc.abstractmethod
    def _location(self, container, name):
        """The location of a checked container and name."""

    @abc.abstractmethod
    def split(self, location):
        """(container, name) of a location of this project; refused
        (StorageAccessDenied) for any other."""

    @abc.abstractmethod
    def _save(self, container, name, chunks, metadata, encoded):
        """Store ``chunks`` (``encoded``: made by the codec); return
        (location, size, checksum). On any error remove what was written,
        then raise."""

    @abc.abstractmethod
    def _load(self, location, checksum):
        """(ObjectInfo, iterator of the stored bytes, verified as read)."""

    @abc.abstractmethod
    def get_info(self, location):
        """The ObjectInfo of ``location``; StorageObjectNotFound if there
        is no object."""

    @abc.abstractmethod
    def delete(self, location):
        """Remove the object at ``location`` and anything a failed save of
        it left behind. Nothing there is not an error."""

    @abc.abstractmethod
    def list(self, container, prefix=''):
        """ObjectInfo (location, name, size) of the project's objects in
        ``container`` whose names start with ``prefix``, sorted by name."""
