"""The swift storage driver: OpenStack Swift, through python-swiftclient
with the account of [swift] (the control plane), or through temporary URLs
signed for one job (a guest, with a storage grant: see storage.grants).

Layout in the account::

    <container>/<project>/<name>
        the object: a manifest (JSON, content type MANIFEST_TYPE) of
        ``{"upload", "segments": [[MD5, bytes], ...], "metadata",
        "encoded"}``; or, saved unencoded (published logs), the bytes
        themselves, so any Swift client reads them
    <container>_segments/<project>/<name>/.upload-<upload>/<index, 8 digits>
        its segments, each at most backup_segment_max_size bytes

The manifest is our own, not a Static Large Object: Swift's tempurl
middleware passes no ``multipart-manifest`` query, and a guest that could
write SLO manifests could point one at objects it may not read. The
location is ``<storage URL>/<container>/<project>/<name>``, Trove's
``locationRef`` form. The checksum of a segmented object is the MD5 of
its segments' MD5s (as an SLO's ETag), of a plain one its MD5. A save
checks each segment's MD5 against the ETag Swift returns; a load reads
only segments of the object's own upload and checks each one's MD5 and
size against the manifest.
"""

import contextlib
import dataclasses
import hashlib
import json
import re
import uuid

import requests
from keystoneauth1 import exceptions as ks_exceptions
from oslo_log import log as logging
from swiftclient import exceptions as swift_exceptions

from trove_lite.common import exceptions
from trove_lite.storage import base
from trove_lite.storage import swift_connection
from trove_lite.storage import swift_signed

LOG = logging.getLogger(__name__)

MANIFEST_TYPE = 'application/x-trove-lite-manifest+json'
_META = 'x-object-meta-'
_UPLOAD = '.upload-'
_UPLOAD_ID = re.compile(r'[0-9a-f]{32}')
# A manifest lists at most this many segments (Swift's default
# max_manifest_segments, kept from when these were SLOs).
MAX_SEGMENTS = 1000
_MAX_MANIFEST = 2 ** 20
# Reads of one object when it keeps being replaced under the reader.
_LOAD_ATTEMPTS = 3


def failure(error, what):
    """The storage exception for a Swift or network error."""
    if isinstance(error, exceptions.StorageError):
        return error
    status = getattr(error, 'http_status', None)
    if status is not None and status < 500 and status != 408:
        return exceptions.StorageError(reason=f'{what}: {error}')
    return exceptions.StorageUnavailable(reason=f'{what}: {error}')


SWIFT_ERRORS = (swift_exceptions.ClientException,
                ks_exceptions.ClientException, requests.RequestException,
                OSError)


def _not_found(error):
    return getattr(error, 'http_status', None) == 404


def _etag(headers):
    return headers.get('etag', '').strip('"')


def _md5(data=b''):
    return hashlib.md5(data, usedforsecurity=False)


def _own(metadata):
    """The caller's metadata, without the storage's own keys."""
    return {key: value for key, value in metadata.items()
            if not key.startswith(base.RESERVED_PREFIX)}


def _checksum(segments):
    return _md5(''.join(md5 for md5, _ in segments).encode()).hexdigest()


class _Segmenter:
    """Cuts a stream of chunks into segments without copying it whole."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b''

    def more(self):
        while not self._pending:
            self._pending = next(self._chunks, None)
            if self._pending is None:
                self._pending = b''
                return False
        return True

    def segment(self, limit, digest):
        """Yield the next at most ``limit`` bytes, fed to ``digest``;
        ``taken`` counts them."""
        self.taken = 0
        while limit and self.more():
            chunk = self._pending[:limit]
            self._pending = self._pending[limit:]
            limit -= len(chunk)
            self.taken += len(chunk)
            digest.update(chunk)
            yield chunk


@dataclasses.dataclass
class _Manifest:
    upload: str
    segments: list
    metadata: dict
    encoded: bool

    def body(self):
        return json.dumps({'upload': self.upload, 'segments': self.segments,
                           'metadata': self.metadata,
                           'encoded': self.encoded}).encode()

    @classmethod
    def parse(cls, body, location):
        def damaged(reason):
            return exceptions.StorageIntegrityError(location=location,
                                                    reason=reason)
        if len(body) > _MAX_MANIFEST:
            raise damaged('its manifest is too big')
        try:
            document = json.loads(body)
            manifest = cls(document['upload'], document['segments'],
                           document['metadata'], document['encoded'])
        except (ValueError, KeyError, TypeError):
            raise damaged('its manifest is not one') from None
        if not (isinstance(manifest.upload, str)
                and _UPLOAD_ID.fullmatch(manifest.upload)
                and isinstance(manifest.segments, list)
                and len(manifest.segments) <= MAX_SEGMENTS
                and all(isinstance(s, list) and len(s) == 2
                        and isinstance(s[0], str) and isinstance(s[1], int)
                        for s in manifest.segments)
                and isinstance(manifest.metadata, dict)
                and isinstance(manifest.encoded, bool)):
            raise damaged('its manifest is not one')
        return manifest


class SwiftStorage(base.Storage):
    """Objects of one project in Swift: with ``grant`` (a guest) through
    its temporary URLs, otherwise with the [swift] account."""

    def __init__(self, project_id, conf, grant=None):
        super().__init__(project_id, conf, grant)
        self.segment_size = conf.backup_segment_max_size
        self._grant = grant
        # A grant lists nothing: a guest finds segments in manifests.
        self._can_list = grant is None
        self._connection = None

    @property
    def connection(self):
        """Made on first use (the account's URL may need an
        authentication)."""
        if self._connection is None:
            if self._grant is not None:
                self._connection = swift_signed.SignedConnection(
                    self._grant, self.conf.swift.timeout,
                    self.conf.swift.retries,
                    verify=not self.conf.swift_api_insecure)
            else:
                try:
                    self._connection = swift_connection.connect(
                        self.conf, self.project_id)
                except SWIFT_ERRORS as e:
                    raise failure(e, 'authenticating to Swift') from e
        return self._connection

    def _storage_url(self):
        if not self.connection.url:
            try:
                self.connection.get_auth()
            except SWIFT_ERRORS as e:
                raise failure(e, 'authenticating to Swift') from e
        return self.connection.url.rstrip('/')

    def _location(self, container, name):
        return f'{self._storage_url()}/{container}/{self.project_id}/{name}'

    def split(self, location):
        return base.parse_location(location, self._storage_url() + '/',
                                   self.project_id)

    def _parse(self, location):
        """(container, object name in Swift, object name) of a location."""
        container, name = self.split(location)
        return container, f'{self.project_id}/{name}', name

    @staticmethod
    def _segment(obj, upload, index):
        return f'{obj}/{_UPLOAD}{upload}/{index:08d}'

    # --- save ---------------------------------------------------------

    def _save(self, container, name, chunks, metadata, encoded):
        location = self._location(container, name)
        obj = f'{self.project_id}/{name}'
        try:
            if not encoded:
                return self._save_plain(container, obj, chunks, metadata,
                                        location)
            previous = self._manifest_or_none(container, obj, location)
            return self._save_segmented(container, obj, chunks, metadata,
                                        location, previous)
        except SWIFT_ERRORS as e:
            raise failure(e, f'saving {location}') from e

    def _save_plain(self, container, obj, chunks, metadata, location):
        """One object as it is (a published log part): it must fit in a
        segment."""
        data = b''.join(chunks)
        if len(data) > self.segment_size:
            raise exceptions.StorageError(
                reason=f'{location}: {len(data)} bytes unencoded is more '
                       f'than a segment')
        if self._can_list:
            self.connection.put_container(container)
        headers = {_META + key.replace('_', '-'): value
                   for key, value in metadata.items()}
        etag = self.connection.put_object(
            container, obj, data, headers=headers,
            content_type='application/octet-stream')
        checksum = _md5(data).hexdigest()
        if etag != checksum:
            self._remove(container, [obj])
            raise exceptions.StorageIntegrityError(
                location=location,
                reason=f'Swift stored it with MD5 {etag}, {checksum} was '
                       f'sent')
        return location, len(data), checksum

    def _save_segmented(self, container, obj, chunks, metadata, location,
                        previous):
        segments_container = container + base.SEGMENTS_SUFFIX
        upload = uuid.uuid4().hex
        written = []
        manifest_written = False
        try:
            if self._can_list:
                for each in (container, segments_container):
                    self.connection.put_container(each)
            segments = self._put_segments(segments_container, obj, upload,
                                          chunks, written, location)
            manifest = _Manifest(upload, segments, metadata, True)
            body = manifest.body()
            manifest_written = True
            etag = self.connection.put_object(container, obj, body,
                                              content_type=MANIFEST_TYPE)
            if etag != _md5(body).hexdigest():
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason='Swift stored another manifest than was sent')
        except BaseException as e:
            left = self._remove(container, [obj] if manifest_written else [])
            left += self._remove(segments_container, written)
            error = failure(e, f'saving {location}') \
                if isinstance(e, SWIFT_ERRORS) else e
            if left and isinstance(error, exceptions.StorageError):
                error.msg += (f'; {left} objects could not be removed '
                              f'(delete {location} when Swift is back)')
            if error is e:
                raise
            raise error from e
        self._remove_old_uploads(segments_container, obj, upload, previous)
        return (location, sum(size for _, size in segments),
                _checksum(segments))

    def _remove_old_uploads(self, segments_container, obj, upload,
                            previous):
        """Remove the segments of the object this save replaced (and, where
        the account can be listed, of failed saves of the same name); the
        save stands if this fails."""
        old = []
        if previous is not None:
            old = [self._segment(obj, previous.upload, index)
                   for index in range(len(previous.segments))]
        if self._can_list:
            try:
                old = self._uploads(segments_container, obj)
            except SWIFT_ERRORS as e:
                LOG.warning('Could not list old segments of %s: %s', obj, e)
        current = f'{obj}/{_UPLOAD}{upload}/'
        self._remove(segments_container,
                     [name for name in old if not name.startswith(current)])

    def _put_segments(self, segments_container, obj, upload, chunks,
                      written, location):
        segmenter = _Segmenter(chunks)
        segments = []
        while segmenter.more():
            if len(segments) == MAX_SEGMENTS:
                raise exceptions.StorageError(
                    reason=f'{location} needs more than {MAX_SEGMENTS} '
                           f'segments of backup_segment_max_size bytes')
            segment = self._segment(obj, upload, len(segments))
            written.append(segment)
            digest = _md5()
            etag = self.connection.put_object(
                segments_container, segment,
                segmenter.segment(self.segment_size, digest),
                content_type='application/octet-stream')
            if etag != digest.hexdigest():
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'Swift stored segment {len(segments)} with MD5 '
                           f'{etag}, {digest.hexdigest()} was sent')
            segments.append([etag, segmenter.taken])
        return segments

    def _uploads(self, segments_container, obj):
        """Names of every segment stored for ``obj``, of any upload."""
        try:
            _, listing = self.connection.get_container(
                segments_container, prefix=f'{obj}/{_UPLOAD}',
                full_listing=True)
        except swift_exceptions.ClientException as e:
            if _not_found(e):
                return []
            raise
        return [item['name'] for item in listing]

    def _remove(self, container, names):
        """Delete objects, best effort; return how many are left. Gives up
        at the first failure: Swift is down or refuses."""
        for done, name in enumerate(names):
            try:
                self.connection.delete_object(container, name)
            except SWIFT_ERRORS as e:
                if not _not_found(e):
                    LOG.warning('Could not delete %s/%s: %s', container,
                                name, e)
                    return len(names) - done
        return 0

    # --- read -----------------------------------------------------------

    def _manifest_or_none(self, container, obj, location):
        """The manifest stored at ``obj`` (None: no object, or a plain
        one)."""
        try:
            headers, body = self.connection.get_object(container, obj)
        except SWIFT_ERRORS as e:
            if _not_found(e):
                return None
            raise failure(e, f'reading {location}') from e
        if headers.get('content-type', '').split(';')[0] != MANIFEST_TYPE:
            return None
        return _Manifest.parse(body, location)

    def _head(self, location):
        container, obj, name = self._parse(location)
        try:
            return container, obj, name, self.connection.head_object(
                container, obj)
        except SWIFT_ERRORS as e:
            if _not_found(e):
                raise exceptions.StorageObjectNotFound(
                    location=location) from e
            raise failure(e, f'reading {location}') from e

    def _described(self, location):
        """(ObjectInfo, manifest or None for a plain object)."""
        container, obj, name, headers = self._head(location)
        if headers.get('content-type', '').split(';')[0] != MANIFEST_TYPE:
            stored = {key[len(_META):].replace('-', '_'): value
                      for key, value in headers.items()
                      if key.startswith(_META)}
            return base.ObjectInfo(
                location=location, name=name,
                size=int(headers.get('content-length', 0)),
                checksum=_etag(headers), metadata=_own(stored)), None
        manifest = self._manifest_or_none(container, obj, location)
        if manifest is None:
            raise exceptions.StorageObjectNotFound(location=location)
        return base.ObjectInfo(
            location=location, name=name,
            size=sum(size for _, size in manifest.segments),
            checksum=_checksum(manifest.segments),
            metadata=_own(manifest.metadata),
            encoded=manifest.encoded), manifest

    def get_info(self, location):
        return self._described(location)[0]

    def _load(self, location, checksum):
        # An object replaced between its HEAD and the GET of its manifest
        # (a guest re-writes its binlog manifest while a restore reads
        # it) is read again.
        for attempt in range(_LOAD_ATTEMPTS):
            info, manifest = self._described(location)
            if checksum is None or checksum == info.checksum:
                break
            if attempt == _LOAD_ATTEMPTS - 1:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'its checksum is {info.checksum}, not the '
                           f'expected {checksum}')
            LOG.info('%s changed while read; reading it again', location)
        container, obj, _ = self._parse(location)
        if manifest is None:
            parts = [(container, obj, info.checksum, info.size)]
        else:
            parts = [(container + base.SEGMENTS_SUFFIX,
                      self._segment(obj, manifest.upload, index), md5, size)
                     for index, (md5, size) in enumerate(manifest.segments)]
        return info, self._read(parts, location)

    def _read(self, parts, location):
        for index, (container, name, md5, size) in enumerate(parts):
            try:
                headers, body = self.connection.get_object(
                    container, name, resp_chunk_size=self.chunk_size)
            except SWIFT_ERRORS as e:
                raise failure(e, f'reading {location}') from e
            if _etag(headers) != md5:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'segment {index} was replaced')
            digest = _md5()
            read = 0
            try:
                for chunk in body:
                    digest.update(chunk)
                    read += len(chunk)
                    yield chunk
            except SWIFT_ERRORS as e:
                raise failure(e, f'reading {location}') from e
            if digest.hexdigest() != md5 or read != size:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'segment {index} does not match its checksum')

    # --- delete and list --------------------------------------------------

    def delete(self, location):
        container, obj, _ = self._parse(location)
        segments_container = container + base.SEGMENTS_SUFFIX
        try:
            try:
                manifest = self._manifest_or_none(container, obj, location)
            except exceptions.StorageIntegrityError:
                manifest = None
            segments = [] if manifest is None else [
                self._segment(obj, manifest.upload, index)
                for index in range(len(manifest.segments))]
            if self._can_list:
                # Failed saves of the same name left segments too.
                segments = self._uploads(segments_container, obj)
            try:
                self.connection.delete_object(container, obj)
            except swift_exceptions.ClientException as e:
                if not _not_found(e):
                    raise
            left = self._remove(segments_container, segments)
        except SWIFT_ERRORS as e:
            raise failure(e, f'deleting {location}') from e
        if left:
            raise exceptions.StorageUnavailable(
                reason=f'deleting {location}: {left} segments are left')

    def list(self, container, prefix=''):
        container = base.check_container(container)
        prefix = base.check_prefix(prefix)
        if not self._can_list:
            raise exceptions.StorageAccessDenied(
                location=f'the listing of {container} (not in the grant)')
        try:
            _, listing = self.connection.get_container(
                container, prefix=f'{self.project_id}/{prefix}',
                full_listing=True)
        except SWIFT_ERRORS as e:
            if _not_found(e):
                return []
            raise failure(e, f'listing {container}') from e
        found = []
        for item in listing:
            name = item['name'].partition('/')[2]
            with contextlib.suppress(exceptions.StorageInvalidName):
                found.append(base.ObjectInfo(
                    self._location(container, base.check_name(name)), name,
                    int(item['bytes'])))
        return found
