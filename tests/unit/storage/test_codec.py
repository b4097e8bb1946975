"""The encoded-object format: round trips, and every kind of damage, cut,
reordering and wrong key detected before bytes are passed on."""

import os
import threading
import zlib

import pytest

from trove_lite.common import exceptions
from trove_lite.storage import codec

KEY = 'k' * 40
FRAME = 4096
FRAME_BYTES = FRAME + codec.TAG_SIZE


def encode(data, compression='none', key=KEY, frame=FRAME, piece=1000):
    chunks = [data[i:i + piece] for i in range(0, len(data), piece)]
    return b''.join(codec.Codec(compression, key, frame).encode(chunks))


def decode(encoded, compression='none', key=KEY, frame=FRAME):
    return b''.join(codec.Codec(compression, key, frame).decode(
        [encoded[i:i + 777] for i in range(0, len(encoded), 777)], 'loc'))


def frames(encoded):
    body = encoded[codec.HEADER_SIZE:]
    return [body[i:i + FRAME_BYTES] for i in range(0, len(body),
                                                   FRAME_BYTES)]


def assemble(encoded, parts):
    return encoded[:codec.HEADER_SIZE] + b''.join(parts)


@pytest.mark.parametrize('compression', ['none', 'gzip', 'zstd'])
@pytest.mark.parametrize('key', [KEY, None])
@pytest.mark.parametrize('size', [0, 1, FRAME - 1, FRAME, FRAME + 1,
                                  3 * FRAME, 100_003])
def test_round_trip(compression, key, size):
    data = os.urandom(size // 2) + b'row' * (size - size // 2)
    data = data[:size]
    encoded = encode(data, compression, key)
    assert decode(encoded, compression, key) == data


def test_encrypted_object_hides_the_plaintext():
    data = b'secret row ' * 2000
    encoded = encode(data)
    assert b'secret row' not in encoded
    assert encoded[:4] == codec.MAGIC


def test_every_object_has_its_own_salt():
    data = b'x' * 10_000
    first, second = encode(data), encode(data)
    assert first[:8] == second[:8]
    assert first != second


def test_compression_shrinks_redundant_data():
    data = b'0123456789' * 100_000
    assert len(encode(data, 'zstd')) < len(data) // 50
    assert len(encode(data, 'gzip')) < len(data) // 50


@pytest.mark.parametrize('key', [KEY, None])
def test_changed_byte_in_a_frame_is_detected(key):
    encoded = bytearray(encode(os.urandom(3 * FRAME), key=key))
    encoded[codec.HEADER_SIZE + FRAME_BYTES + 10] ^= 1
    with pytest.raises(exceptions.StorageIntegrityError, match='frame 1'):
        decode(bytes(encoded), key=key)


@pytest.mark.parametrize('key', [KEY, None])
def test_changed_header_is_detected(key):
    encoded = bytearray(encode(os.urandom(100), key=key))
    encoded[codec.HEADER_SIZE - 1] ^= 1   # the last byte of the salt
    with pytest.raises(exceptions.StorageIntegrityError, match='frame 0'):
        decode(bytes(encoded), key=key)


def test_changed_compression_byte_is_detected():
    encoded = bytearray(encode(b'a' * 100, 'gzip'))
    encoded[5] = codec.COMPRESSIONS['none']
    with pytest.raises(exceptions.StorageIntegrityError, match='frame 0'):
        decode(bytes(encoded))


@pytest.mark.parametrize('key', [KEY, None])
def test_cut_at_a_frame_boundary_is_detected(key):
    encoded = encode(os.urandom(3 * FRAME + 5), key=key)
    cut = assemble(encoded, frames(encoded)[:2])
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='frame 1 fails'):
        decode(cut, key=key)


@pytest.mark.parametrize('key', [KEY, None])
def test_cut_inside_a_frame_is_detected(key):
    encoded = encode(os.urandom(3 * FRAME), key=key)
    with pytest.raises(exceptions.StorageIntegrityError):
        decode(encoded[:-7], key=key)


def test_cut_to_the_header_is_detected():
    encoded = encode(b'abc')
    with pytest.raises(exceptions.StorageIntegrityError, match='ends'):
        decode(encoded[:codec.HEADER_SIZE])


def test_cut_inside_the_header_is_detected():
    with pytest.raises(exceptions.StorageIntegrityError,
                       match='not an encoded'):
        decode(encode(b'abc')[:20])


@pytest.mark.parametrize('key', [KEY, None])
def test_reordered_frames_are_detected(key):
    encoded = encode(os.urandom(3 * FRAME + 5), key=key)
    parts = frames(encoded)
    parts[0], parts[1] = parts[1], parts[0]
    with pytest.raises(exceptions.StorageIntegrityError, match='frame 0'):
        decode(assemble(encoded, parts), key=key)


@pytest.mark.parametrize('key', [KEY, None])
def test_repeated_frame_is_detected(key):
    encoded = encode(os.urandom(3 * FRAME + 5), key=key)
    parts = frames(encoded)
    with pytest.raises(exceptions.StorageIntegrityError, match='frame 1'):
        decode(assemble(encoded, [parts[0], parts[0], *parts[1:]]), key=key)


def test_frames_of_another_object_are_detected():
    data = os.urandom(3 * FRAME)
    first, second = encode(data), encode(data)
    mixed = assemble(first, [frames(first)[0], frames(second)[1],
                             *frames(first)[2:]])
    with pytest.raises(exceptions.StorageIntegrityError, match='frame 1'):
        decode(mixed)


def test_wrong_key_is_told_apart_from_damage():
    encoded = encode(b'data')
    with pytest.raises(exceptions.StorageKeyError, match='another key'):
        decode(encoded, key='z' * 40)


def test_encrypted_object_without_a_key_is_refused():
    with pytest.raises(exceptions.StorageKeyError, match='no backup_aes'):
        decode(encode(b'data'), key=None)


def test_nothing_of_a_damaged_frame_is_passed_on():
    data = os.urandom(3 * FRAME)
    encoded = bytearray(encode(data))
    encoded[codec.HEADER_SIZE + FRAME_BYTES + 10] ^= 1
    received = []
    decoder = codec.Codec('none', KEY, FRAME).decode([bytes(encoded)], 'l')
    with pytest.raises(exceptions.StorageIntegrityError):
        for chunk in decoder:
            received.append(chunk)
    assert b''.join(received) == data[:FRAME]


def test_short_key_is_refused():
    with pytest.raises(exceptions.StorageError, match='32 characters'):
        codec.Codec('zstd', 'short')


def test_unknown_version_is_refused():
    encoded = bytearray(encode(b'abc'))
    encoded[4] = 9
    with pytest.raises(exceptions.StorageIntegrityError, match='version 9'):
        decode(bytes(encoded))


@pytest.mark.parametrize('compression', ['gzip', 'zstd'])
def test_decompression_hands_on_bounded_pieces(compression):
    # A few KB of compressed zeros stand for 64 MiB: never one piece.
    data = bytes(64 * 2 ** 20)
    decoder = codec.Codec(compression, None, 65536).decode(
        codec.Codec(compression, None, 65536).encode([data]), 'loc')
    sizes = [len(chunk) for chunk in decoder]
    assert sum(sizes) == len(data)
    assert max(sizes) <= 2 ** 20


def test_gzip_stream_cut_before_its_end_is_detected():
    # A writer without a key that frames a cut gzip stream correctly.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    cut = (compressor.compress(os.urandom(5000)) + compressor.flush())[:-8]
    header = encode(b'', 'gzip', key=None)[:codec.HEADER_SIZE]
    sealer = codec._Sealer(header, codec.PROTECTION_DIGEST, None, bytes(32))
    with pytest.raises(exceptions.StorageIntegrityError, match='cut short'):
        decode(header + sealer.seal(0, True, cut), key=None)


def test_huge_frame_size_in_a_header_is_refused():
    # A reader buffers one frame: a forged header must not make it 4 GiB.
    encoded = bytearray(encode(b'abc', key=None))
    encoded[8:12] = (2 ** 32 - 1).to_bytes(4, 'big')
    with pytest.raises(exceptions.StorageIntegrityError, match='frame size'):
        decode(bytes(encoded), key=None)


def test_the_compression_level_is_the_writers_choice_only():
    data = b''.join(b'row %d of a table, ' % n for n in range(20000))
    small = codec.Codec('gzip', None, 65536, level=9)
    fast = codec.Codec('gzip', None, 65536, level=1)
    zstd_19 = codec.Codec('zstd', None, 65536, level=19)
    stored = {name: b''.join(made.encode([data])) for name, made in (
        ('small', small), ('fast', fast), ('zstd_19', zstd_19),
        ('zstd', codec.Codec('zstd', None, 65536)))}
    assert len(stored['small']) < len(stored['fast'])
    assert stored['zstd_19'] != stored['zstd']
    # Any reader decodes either: the level is not part of the format.
    for encoded in stored.values():
        assert b''.join(codec.Codec('none').decode([encoded], 'l')) == data


def test_the_reading_thread_ends_with_an_abandoned_decode(monkeypatch):
    # A consumer that stops early (mbstream failed) must not leave the
    # thread that reads and checks frames running, nor the source open.
    # A queue of one: the thread waits with the source still unread.
    monkeypatch.setattr(codec, '_QUEUE_DEPTH', 1)
    closed = []

    def source():
        try:
            encoded = encode(os.urandom(20 * FRAME))
            for i in range(0, len(encoded), 777):
                yield encoded[i:i + 777]
        finally:
            closed.append(True)

    decoder = codec.Codec('none', KEY, FRAME).decode(source(), 'l')
    next(decoder)
    readers = [thread for thread in threading.enumerate()
               if thread.name == 'codec-read']
    assert any(thread.is_alive() for thread in readers)
    decoder.close()
    assert closed == [True]
    assert not any(thread.is_alive() for thread in readers)


def test_an_error_of_the_source_reaches_the_consumer():
    class Unreachable(Exception):
        pass

    def source():
        encoded = encode(os.urandom(5 * FRAME))
        yield encoded[:codec.HEADER_SIZE + FRAME_BYTES + 1]
        raise Unreachable('storage went away')

    with pytest.raises(Unreachable, match='went away'):
        b''.join(codec.Codec('none', KEY, FRAME).decode(source(), 'l'))
