"""Compression and encryption of stored objects, both streaming.

An encoded object is self-describing: readers take the compression and the
protection from its header, never from the current configuration.
Version 1, integers big-endian::

    object  = header frame* last-frame
    header  = "TLSF" | version (1 byte, 1) | compression (1) | protection (1)
              | reserved (1, 0) | frame size F (4) | key id (8) | salt (32)
    frame   = sealed payload of exactly F bytes | tag (16)
    last    = sealed payload of 0..F bytes | tag (16)

The payload is the compressed stream (0 none, 1 gzip, 2 zstd with frame
checksums) cut into frames. Frame i is sealed with the 12-byte nonce
``i (11 bytes) | 1 if it is the last frame else 0`` and the header as
associated data. Protection 1 is AES-256-GCM with the object's own key,
HKDF-SHA256(project key, salt, "trove-lite storage v1") -- the project key
is itself derived from backup_aes_cbc_key (project_key) -- so a nonce
never repeats under a key. Protection 0 (no key configured) tags each frame
with the first 16 bytes of SHA-256(header | nonce | payload): the same
detection of accidents, without secrecy or defence against a deliberate
rewrite. Either way a changed byte, a dropped, repeated or moved frame, and
a stream cut anywhere (only the real last frame carries the flag 1) fail
the check before any of the frame's bytes are passed on. The key id,
HKDF-SHA256(key, no salt, "trove-lite key id")[:8] (zeros without a key),
tells a wrong key from damage.
"""

import hashlib
import os
import queue
import struct
import threading
import zlib

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from trove_lite.common import exceptions

MAGIC = b'TLSF'
VERSION = 1
COMPRESSIONS = {'none': 0, 'gzip': 1, 'zstd': 2}
PROTECTION_DIGEST, PROTECTION_AES_GCM = 0, 1
TAG_SIZE = 16
MIN_KEY_LENGTH = 32
# A reader holds one frame in memory: a hostile header must not make it
# buffer gigabytes (backup_chunk_size has the same maximum).
MAX_FRAME_SIZE = 16 * 2 ** 20
_HEADER = struct.Struct('>4sBBBBI8s32s')
HEADER_SIZE = _HEADER.size
# The most a decompressor hands on at once: a small compressed frame can
# stand for gigabytes of output.
_OUTPUT_LIMIT = 2 ** 20


def _hkdf(key, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt,
                info=info).derive(key)


def project_key(master_key, project_id):
    """The key a project's objects are encrypted with: HKDF-SHA256 of the
    configured backup_aes_cbc_key and the project id, so a guest, which is
    given only its own project's key, reads no other project's objects and
    never learns the configured one. None without a configured key."""
    if not master_key:
        return None
    if isinstance(master_key, str):
        master_key = master_key.encode()
    if len(master_key) < MIN_KEY_LENGTH:
        raise exceptions.StorageError(
            reason=f'backup_aes_cbc_key is shorter than {MIN_KEY_LENGTH} '
                   f'characters')
    return _hkdf(master_key, None,
                 b'trove-lite project key ' + project_id.encode())


def _key_id(key):
    return _hkdf(key, None, b'trove-lite key id', 8) if key else bytes(8)


def _nonce(index, last):
    return index.to_bytes(11, 'big') + (b'\x01' if last else b'\x00')


class _Sealer:
    """Seals and opens the frames of one object."""

    def __init__(self, header, protection, key, salt):
        self.header = header
        self.aead = (AESGCM(_hkdf(key, salt, b'trove-lite storage v1'))
                     if protection == PROTECTION_AES_GCM else None)

    def _digest(self, nonce, payload):
        digest = hashlib.sha256(self.header)
        digest.update(nonce)
        digest.update(payload)
        return digest.digest()[:TAG_SIZE]

    def seal(self, index, last, payload):
        nonce = _nonce(index, last)
        if self.aead:
            return self.aead.encrypt(nonce, payload, self.header)
        return payload + self._digest(nonce, payload)

    def open(self, index, last, frame):
        """The payload of a frame, or None if the frame fails its check."""
        nonce = _nonce(index, last)
        if self.aead:
            try:
                return self.aead.decrypt(nonce, frame, self.header)
            except InvalidTag:
                return None
        payload = frame[:-TAG_SIZE]
        if self._digest(nonce, payload) != frame[-TAG_SIZE:]:
            return None
        return payload


# Levels when none is configured. zstd 1 rather than zstd's own default
# 3: on database pages it compresses nearly as well at several times the
# speed, which keeps a backup near the speed of mariabackup alone
# (benchmarks/backup_restore.py).
DEFAULT_LEVELS = {COMPRESSIONS['zstd']: 1, COMPRESSIONS['gzip']: 6}


def _compressor(compression, level=None):
    level = level or DEFAULT_LEVELS.get(compression)
    if compression == COMPRESSIONS['zstd']:
        return zstandard.ZstdCompressor(level=level,
                                        write_checksum=True).compressobj()
    if compression == COMPRESSIONS['gzip']:
        return zlib.compressobj(min(level, 9), zlib.DEFLATED, 31)
    return None


class _ChunkReader:
    """A ``read(n)`` file interface over an iterator of byte strings."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b''

    def read(self, size=-1):
        if not self._pending:
            self._pending = next(self._chunks, b'')
        if size < 0:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


class Codec:
    """Encodes and decodes objects in the format above.

    ``compression`` is one of COMPRESSIONS' names; ``key`` the configured
    key (str or bytes, empty for none); ``frame_size`` the payload bytes of
    a frame.
    """

    def __init__(self, compression='zstd', key=None, frame_size=2 ** 16,
                 level=None):
        if isinstance(key, str):
            key = key.encode()
        if key and len(key) < MIN_KEY_LENGTH:
            raise exceptions.StorageError(
                reason=f'backup_aes_cbc_key is shorter than '
                       f'{MIN_KEY_LENGTH} characters')
        self.compression = COMPRESSIONS[compression]
        self.key = key or None
        self.frame_size = frame_size
        self.level = level

    @classmethod
    def from_conf(cls, conf, key):
        """The configured compression with ``key`` (a project's key, see
        project_key; None: not encrypted)."""
        return cls(conf.backup_compression, key, conf.backup_chunk_size,
                   conf.backup_compression_level)

    def encode(self, chunks):
        """Yield the encoded object made of the byte strings ``chunks``."""
        protection = PROTECTION_AES_GCM if self.key else PROTECTION_DIGEST
        salt = os.urandom(32) if self.key else bytes(32)
        header = _HEADER.pack(MAGIC, VERSION, self.compression, protection,
                              0, self.frame_size, _key_id(self.key), salt)
        sealer = _Sealer(header, protection, self.key, salt)
        compressor = _compressor(self.compression, self.level)
        yield header
        pending = bytearray()
        index = 0
        size = self.frame_size
        # Reading the source (mariabackup's pipe) in a thread of its own
        # overlaps it with compressing and sealing, which release the GIL.
        for chunk in _in_background(chunks):
            pending += compressor.compress(chunk) if compressor else chunk
            # A frame leaves only when more follows it: the last frame is
            # the one sealed as last.
            while len(pending) > size:
                yield sealer.seal(index, False, _take(pending, size))
                index += 1
        if compressor:
            pending += compressor.flush()
        while len(pending) > size:
            yield sealer.seal(index, False, _take(pending, size))
            index += 1
        yield sealer.seal(index, True, bytes(pending))

    def decode(self, chunks, location):
        """Yield the original bytes of the encoded object ``chunks``;
        raise StorageIntegrityError or StorageKeyError at the first sign of
        damage or of a wrong key. ``location`` names the object in errors.
        """
        reader = _ChunkReader(chunks)
        header = _read_exactly(reader, HEADER_SIZE)
        sealer, compression, frame_size = self._check_header(header,
                                                             location)
        # Reading and checking the frames (a hash or AES-GCM, and the
        # driver's own checksum) runs beside the decompression: both
        # release the GIL, so a restore uses two cores.
        payloads = _in_background(
            _open_frames(reader, sealer, frame_size, location))
        try:
            yield from _decompress(payloads, compression, location)
        except (zstandard.ZstdError, zlib.error) as e:
            raise exceptions.StorageIntegrityError(
                location=location, reason=f'cannot decompress: {e}') from e

    def _check_header(self, header, location):
        if len(header) < HEADER_SIZE or header[:4] != MAGIC:
            raise exceptions.StorageIntegrityError(
                location=location, reason='not an encoded object')
        (_, version, compression, protection, _, frame_size, key_id,
         salt) = _HEADER.unpack(header)
        if (version != VERSION or compression not in COMPRESSIONS.values()
                or protection not in (PROTECTION_DIGEST, PROTECTION_AES_GCM)
                or not 0 < frame_size <= MAX_FRAME_SIZE):
            raise exceptions.StorageIntegrityError(
                location=location,
                reason=f'unknown format (version {version}, compression '
                       f'{compression}, protection {protection}, frame '
                       f'size {frame_size})')
        if protection == PROTECTION_AES_GCM:
            if not self.key:
                raise exceptions.StorageKeyError(
                    location=location, reason='it is encrypted and no '
                                              'backup_aes_cbc_key is set')
            if key_id != _key_id(self.key):
                raise exceptions.StorageKeyError(
                    location=location,
                    reason='it was encrypted with another key')
        return (_Sealer(header, protection, self.key, salt), compression,
                frame_size)


def _take(pending, size):
    """Remove and return the first ``size`` bytes of a bytearray."""
    data = bytes(pending[:size])
    del pending[:size]
    return data


def _read_exactly(reader, size):
    data = b''
    while len(data) < size:
        piece = reader.read(size - len(data))
        if not piece:
            break
        data += piece
    return data


def _open_frames(reader, sealer, frame_size, location):
    """Yield the payloads of the frames, each checked before it leaves."""
    full = frame_size + TAG_SIZE
    pending = bytearray()
    index = 0
    exhausted = False
    while True:
        while len(pending) <= full and not exhausted:
            piece = reader.read(-1)
            exhausted = not piece
            pending += piece
        last = len(pending) <= full
        if last and len(pending) < TAG_SIZE:
            raise exceptions.StorageIntegrityError(
                location=location, reason=f'it ends inside frame {index}')
        frame = bytes(pending) if last else _take(pending, full)
        payload = sealer.open(index, last, frame)
        if payload is None:
            raise exceptions.StorageIntegrityError(
                location=location,
                reason=f'frame {index} fails its check (changed, moved or '
                       f'cut short)')
        yield payload
        if last:
            return
        index += 1


_QUEUE_DEPTH = 64
_DONE = object()


def _in_background(iterator):
    """Yield the items of ``iterator``, produced by a thread of its own
    up to _QUEUE_DEPTH ahead; its exception is raised here. Closing this
    generator stops the thread (and closes ``iterator`` there)."""
    items = queue.Queue(_QUEUE_DEPTH)
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def produce():
        try:
            for item in iterator:
                if not put((item, None)):
                    return
            put((_DONE, None))
        except BaseException as error:
            put((_DONE, error))
        finally:
            close = getattr(iterator, 'close', None)
            if close:
                close()

    thread = threading.Thread(target=produce, name='codec-read',
                              daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _decompress(payloads, compression, location):
    if compression == COMPRESSIONS['none']:
        yield from (payload for payload in payloads if payload)
    elif compression == COMPRESSIONS['gzip']:
        yield from _gunzip(payloads, location)
    else:
        stream = zstandard.ZstdDecompressor().stream_reader(
            _ChunkReader(payloads), read_size=2 ** 16)
        while True:
            data = stream.read(_OUTPUT_LIMIT)
            if not data:
                return
            yield data


def _gunzip(payloads, location):
    inflater = zlib.decompressobj(31)
    for payload in payloads:
        data = payload
        while data:
            if inflater.eof:
                raise exceptions.StorageIntegrityError(
                    location=location,
                    reason='data after the end of the gzip stream')
            out = inflater.decompress(data, _OUTPUT_LIMIT)
            if out:
                yield out
            data = inflater.unconsumed_tail or inflater.unused_data
    if not inflater.eof:
        raise exceptions.StorageIntegrityError(
            location=location, reason='the gzip stream is cut short')
