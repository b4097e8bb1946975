"""The swift storage driver: OpenStack Swift through python-swiftclient.

Layout in the account (the shared account of [swift], or the project's own
when the caller passes a keystoneauth session holding the user's token, as
Trove does)::

    <container>/<project>/<name>
        the object: a Static Large Object manifest with the metadata
        (a plain empty object when nothing was saved)
    <container>_segments/<project>/<name>/.upload-<id>/<index, 8 digits>
        its segments, each at most backup_segment_max_size bytes

The location is ``<storage URL>/<container>/<project>/<name>``, Trove's
``locationRef`` form. The checksum is the SLO ETag, as Trove records it:
the MD5 of the concatenated segment MD5s. A save checks each segment's MD5
against the ETag Swift returns and the manifest's ETag and size at the end;
a load checks every segment's MD5 and size against the manifest, the
manifest against the object's ETag, and only reads segments of that
object's own upload.
"""

import contextlib
import hashlib
import json
import uuid

import requests
from keystoneauth1 import exceptions as ks_exceptions
from oslo_log import log as logging
from swiftclient import exceptions as swift_exceptions

from trove_lite.common import exceptions
from trove_lite.storage import base
from trove_lite.storage import swift_connection

LOG = logging.getLogger(__name__)

# Swift's default max_manifest_segments.
MAX_SEGMENTS = 1000
_META = 'x-object-meta-'
_UPLOAD = '.upload-'
# Reads of one object when it keeps being replaced under the reader.
_LOAD_ATTEMPTS = 3


def _failure(error, what):
    """The storage exception for a Swift or network error."""
    if isinstance(error, exceptions.StorageError):
        return error
    status = getattr(error, 'http_status', None)
    if status is not None and status < 500 and status != 408:
        return exceptions.StorageError(reason=f'{what}: {error}')
    return exceptions.StorageUnavailable(reason=f'{what}: {error}')


_SWIFT_ERRORS = (swift_exceptions.ClientException,
                 ks_exceptions.ClientException, requests.RequestException,
                 OSError)


def _not_found(error):
    return getattr(error, 'http_status', None) == 404


def _etag(headers):
    return headers.get('etag', '').strip('"')


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


class SwiftStorage(base.Storage):
    """Objects of one project in Swift. ``session``: a keystoneauth
    session to act with instead of the [swift] credentials."""

    def __init__(self, project_id, conf, session=None):
        super().__init__(project_id, conf)
        self.segment_size = conf.backup_segment_max_size
        self.connection = swift_connection.connect(conf, session)

    def _storage_url(self):
        if not self.connection.url:
            try:
                self.connection.get_auth()
            except _SWIFT_ERRORS as e:
                raise _failure(e, 'authenticating to Swift') from e
        return self.connection.url.rstrip('/')

    def _location(self, container, name):
        return f'{self._storage_url()}/{container}/{self.project_id}/{name}'

    def _parse(self, location):
        """(container, object name in Swift, object name) of a location."""
        container, name = base.parse_location(
            location, self._storage_url() + '/', self.project_id)
        return container, f'{self.project_id}/{name}', name

    def _save(self, container, name, chunks, metadata):
        location = self._location(container, name)
        obj = f'{self.project_id}/{name}'
        segments_container = container + base.SEGMENTS_SUFFIX
        upload = f'{obj}/{_UPLOAD}{uuid.uuid4().hex}/'
        written = []
        manifest_written = False
        try:
            for each in (container, segments_container):
                self.connection.put_container(each)
            segments = self._put_segments(segments_container, upload,
                                          chunks, written, location)
            headers = {_META + key.replace('_', '-'): value
                       for key, value in metadata.items()}
            manifest_written = True
            checksum, size = self._put_manifest(container, obj, segments,
                                                headers)
            self._check_saved(container, obj, checksum, size, location)
        except BaseException as e:
            left = self._remove(container, [obj] if manifest_written else [])
            left += self._remove(segments_container, written)
            error = _failure(e, f'saving {location}') \
                if isinstance(e, _SWIFT_ERRORS) else e
            if left and isinstance(error, exceptions.StorageError):
                error.msg += (f'; {left} objects could not be removed '
                              f'(delete {location} when Swift is back)')
            if error is e:
                raise
            raise error from e
        self._remove_old_uploads(segments_container, obj, upload)
        return location, size, checksum

    def _remove_old_uploads(self, segments_container, obj, upload):
        """Remove the segments of an object this save replaced, and of
        failed saves of the same name; the save stands if this fails."""
        try:
            old = [segment for segment in
                   self._uploads(segments_container, obj)
                   if not segment.startswith(upload)]
        except _SWIFT_ERRORS as e:
            LOG.warning('Could not list old segments of %s: %s', obj, e)
            return
        self._remove(segments_container, old)

    def _put_segments(self, segments_container, upload, chunks, written,
                      location):
        segmenter = _Segmenter(chunks)
        segments = []
        while segmenter.more():
            if len(segments) == MAX_SEGMENTS:
                raise exceptions.StorageError(
                    reason=f'{location} needs more than {MAX_SEGMENTS} '
                           f'segments of backup_segment_max_size bytes')
            segment = f'{upload}{len(segments):08d}'
            written.append(segment)
            digest = hashlib.md5(usedforsecurity=False)
            etag = self.connection.put_object(
                segments_container, segment,
                segmenter.segment(self.segment_size, digest),
                content_type='application/octet-stream')
            if etag != digest.hexdigest():
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'Swift stored segment {len(segments)} with MD5 '
                           f'{etag}, {digest.hexdigest()} was sent')
            segments.append({'path': f'/{segments_container}/{segment}',
                             'etag': etag, 'size_bytes': segmenter.taken})
        return segments

    def _put_manifest(self, container, obj, segments, headers):
        """Write the object; return its (checksum, size)."""
        if not segments:
            self.connection.put_object(container, obj, b'', headers=headers)
            return hashlib.md5(b'', usedforsecurity=False).hexdigest(), 0
        self.connection.put_object(container, obj, json.dumps(segments),
                                   headers=headers,
                                   query_string='multipart-manifest=put')
        checksum = hashlib.md5(''.join(s['etag'] for s in segments).encode(),
                               usedforsecurity=False).hexdigest()
        return checksum, sum(s['size_bytes'] for s in segments)

    def _check_saved(self, container, obj, checksum, size, location):
        headers = self.connection.head_object(container, obj)
        if _etag(headers) != checksum or \
                int(headers.get('content-length', -1)) != size:
            raise exceptions.StorageIntegrityError(
                location=location,
                reason=f'Swift reports ETag {_etag(headers)} and '
                       f'{headers.get("content-length")} bytes, expected '
                       f'{checksum} and {size}')

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
            except _SWIFT_ERRORS as e:
                if not _not_found(e):
                    LOG.warning('Could not delete %s/%s: %s', container,
                                name, e)
                    return len(names) - done
        return 0

    def _head(self, location):
        container, obj, name = self._parse(location)
        try:
            return container, obj, name, self.connection.head_object(
                container, obj)
        except _SWIFT_ERRORS as e:
            if _not_found(e):
                raise exceptions.StorageObjectNotFound(
                    location=location) from e
            raise _failure(e, f'reading {location}') from e

    def get_info(self, location):
        return self._info(location, *self._head(location)[2:])

    @staticmethod
    def _info(location, name, headers):
        stored = {key[len(_META):].replace('-', '_'): value
                  for key, value in headers.items() if key.startswith(_META)}
        return base.ObjectInfo(
            location=location, name=name,
            size=int(headers.get('content-length', 0)),
            checksum=_etag(headers),
            metadata={key: value for key, value in stored.items()
                      if not key.startswith(base.RESERVED_PREFIX)},
            encoded=stored.get(base.FORMAT_KEY) == base.ENCODED_FORMAT)

    def _load(self, location, checksum):
        # An object overwritten between its HEAD and the GET of its
        # manifest (a guest re-writes its binlog manifest while a restore
        # reads it) looks damaged: it is one only if it is still the
        # object the HEAD saw.
        for attempt in range(_LOAD_ATTEMPTS):
            container, obj, name, headers = self._head(location)
            info = self._info(location, name, headers)
            if checksum is not None and checksum != info.checksum:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'its checksum is {info.checksum}, not the '
                           f'expected {checksum}')
            if headers.get('x-static-large-object', '').lower() != 'true':
                parts = [{'name': f'/{container}/{obj}',
                          'hash': info.checksum, 'bytes': info.size}]
                break
            try:
                parts = self._manifest(container, obj, info, location)
                break
            except exceptions.StorageIntegrityError:
                replaced = _etag(self._head(location)[3]) != info.checksum
                if not replaced or attempt == _LOAD_ATTEMPTS - 1:
                    raise
                LOG.info('%s was replaced while read; reading it again',
                         location)
        return info, self._read(parts, location)

    def _manifest(self, container, obj, info, location):
        def damaged(reason):
            return exceptions.StorageIntegrityError(location=location,
                                                    reason=reason)
        try:
            _, body = self.connection.get_object(
                container, obj, query_string='multipart-manifest=get')
            parts = json.loads(body)
        except _SWIFT_ERRORS as e:
            raise _failure(e, f'reading {location}') from e
        except ValueError:
            raise damaged('its manifest is not JSON') from None
        own = f'/{container}{base.SEGMENTS_SUFFIX}/{obj}/{_UPLOAD}'
        if not isinstance(parts, list) or not all(
                isinstance(part, dict)
                and isinstance(part.get('name'), str)
                and isinstance(part.get('hash'), str)
                and isinstance(part.get('bytes'), int) for part in parts):
            raise damaged('its manifest is not a list of segments')
        if not all(part['name'].startswith(own) for part in parts):
            raise damaged('its manifest names segments of another object')
        hashes = ''.join(part['hash'] for part in parts)
        if hashlib.md5(hashes.encode(), usedforsecurity=False
                       ).hexdigest() != info.checksum or \
                sum(part['bytes'] for part in parts) != info.size:
            raise damaged('its manifest does not match its ETag and size')
        return parts

    def _read(self, parts, location):
        for index, part in enumerate(parts):
            container, _, segment = part['name'][1:].partition('/')
            try:
                headers, body = self.connection.get_object(
                    container, segment, resp_chunk_size=self.chunk_size)
            except _SWIFT_ERRORS as e:
                raise _failure(e, f'reading {location}') from e
            if _etag(headers) != part['hash']:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'segment {index} was replaced')
            digest = hashlib.md5(usedforsecurity=False)
            size = 0
            try:
                for chunk in body:
                    digest.update(chunk)
                    size += len(chunk)
                    yield chunk
            except _SWIFT_ERRORS as e:
                raise _failure(e, f'reading {location}') from e
            if digest.hexdigest() != part['hash'] or size != part['bytes']:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason=f'segment {index} does not match its checksum')

    def delete(self, location):
        container, obj, _ = self._parse(location)
        segments_container = container + base.SEGMENTS_SUFFIX
        try:
            # A plain DELETE removes the manifest only: the segments, of
            # this object and of failed saves, are all under one prefix.
            try:
                self.connection.delete_object(container, obj)
            except swift_exceptions.ClientException as e:
                if not _not_found(e):
                    raise
            left = self._remove(segments_container,
                                self._uploads(segments_container, obj))
        except _SWIFT_ERRORS as e:
            raise _failure(e, f'deleting {location}') from e
        if left:
            raise exceptions.StorageUnavailable(
                reason=f'deleting {location}: {left} segments are left')

    def list(self, container, prefix=''):
        container = base.check_container(container)
        prefix = base.check_prefix(prefix)
        try:
            _, listing = self.connection.get_container(
                container, prefix=f'{self.project_id}/{prefix}',
                full_listing=True)
        except _SWIFT_ERRORS as e:
            if _not_found(e):
                return []
            raise _failure(e, f'listing {container}') from e
        found = []
        for item in listing:
            name = item['name'].partition('/')[2]
            with contextlib.suppress(exceptions.StorageInvalidName):
                found.append(base.ObjectInfo(
                    self._location(container, base.check_name(name)), name,
                    int(item['bytes'])))
        return found
