"""Throughput of the storage drivers, against plain copies of the same bytes.

In one run, on one data file (half random, half repetitive, like database
pages):

* floor (local): a plain file copy (read, write, fsync) and a plain read;
* the local driver saving and loading it raw, zstd + AES-256-GCM, and
  gzip + AES-256-GCM;
* floor (swift): a plain python-swiftclient upload of the file as one
  object and its download, on the real Swift of tools/swift.sh;
* the swift driver (segments of --segment-mib) framed only, zstd + AES-256-GCM,
  and zstd + AES-256-GCM through a guest's grant (temporary URLs).

Prints MB/s (of the original bytes) and the ratio to the floor of the
same kind. Each figure is the best of --rounds runs.

    python benchmarks/storage_throughput.py [--size-mib 256] [--no-swift]
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time

from oslo_config import cfg

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import swift_server as swift_module  # noqa: E402
from trove_lite import storage  # noqa: E402
from trove_lite.conf import compute  # noqa: E402
from trove_lite.conf import storage as storage_conf  # noqa: E402
from trove_lite.storage import grants  # noqa: E402

MIB = 2 ** 20
CHUNK = 2 ** 16
KEY = 'benchmark-key-' + 'x' * 30


def make_data(path, size):
    with open(path, 'wb') as f:
        for _ in range(size // MIB):
            f.write(os.urandom(MIB // 2))
            f.write(b'INSERT INTO t VALUES (42, "row");'[:32] * (MIB // 64))


def best(rounds, action):
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def read_all(reader):
    for _ in reader:
        pass


def local_conf(root, compression, key):
    conf = cfg.ConfigOpts()
    storage_conf.register_opts(conf)
    compute.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('storage_local_path', root)
    conf.set_override('backup_compression', compression)
    conf.set_override('backup_aes_cbc_key', key)
    return conf


def driver_rows(store, source, label, rounds, encode=True):
    """(label save, seconds), (label load, seconds) for one driver."""
    saved = []

    def save():
        with open(source, 'rb') as f:
            saved[:] = [store.save('bench', 'object', f, encode=encode)]

    save_time = best(rounds, save)
    load_time = best(rounds, lambda: read_all(store.load(saved[0].location)))
    store.delete(saved[0].location)
    return [(f'{label} save', save_time, saved[0].size),
            (f'{label} load', load_time, saved[0].size)]


def local_rows(work, source, size, rounds):
    copy = os.path.join(work, 'copy')

    def plain_copy():
        with open(source, 'rb') as f, open(copy, 'wb') as out:
            shutil.copyfileobj(f, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())

    def plain_read():
        with open(copy, 'rb') as f:
            while f.read(CHUNK):
                pass
    rows = [('plain file copy', best(rounds, plain_copy), size),
            ('plain file read', best(rounds, plain_read), size)]
    root = os.path.join(work, 'store')
    for label, compression, key, encode in (
            ('local raw', 'none', '', False),
            ('local zstd+aes', 'zstd', KEY, True),
            ('local gzip+aes', 'gzip', KEY, True)):
        store = storage.get_storage('bench', local_conf(root, compression,
                                                        key))
        rows += driver_rows(store, source, label, rounds, encode)
    return rows


def swift_rows(source, size, rounds, segment_mib):
    server = swift_module.SwiftServer().start()
    print(f'Swift started in {server.startup_seconds:.1f} s')
    try:
        conf = server.conf(backup_segment_max_size=segment_mib * MIB,
                           backup_aes_cbc_key=KEY)
        store = storage.get_storage('bench', conf)
        connection = store.connection
        connection.put_container('bench-plain')

        def plain_upload():
            with open(source, 'rb') as f:
                connection.put_object('bench-plain', 'object', f,
                                      content_length=size, chunk_size=CHUNK)

        def plain_download():
            _, body = connection.get_object('bench-plain', 'object',
                                            resp_chunk_size=CHUNK)
            digest = hashlib.md5(usedforsecurity=False)
            for chunk in body:
                digest.update(chunk)
        rows = [('plain swiftclient upload', best(rounds, plain_upload),
                 size),
                ('plain swiftclient download',
                 best(rounds, plain_download), size)]
        connection.delete_object('bench-plain', 'object')
        framed = storage.get_storage('bench', server.conf(
            backup_segment_max_size=segment_mib * MIB,
            backup_compression='none'))
        rows += driver_rows(framed, source, 'swift framed', rounds)
        rows += driver_rows(store, source, 'swift zstd+aes', rounds)
        # As a guest writes: temporary URLs of a grant, no credentials.
        grant = grants.make('bench', [('bench', 'object', grants.WRITE)],
                            conf)
        guest = storage.get_storage('bench', conf, grant=grant)
        rows += driver_rows(guest, source, 'swift zstd+aes (grant)', rounds)
        return rows
    finally:
        server.stop()


def report(rows, size):
    floors = {}
    print(f'\n{"":32} {"MB/s":>8} {"ratio":>7} {"stored MB":>10}')
    for label, seconds, stored in rows:
        rate = size / seconds / 1e6
        kind = ('save' if label.endswith(('save', 'copy', 'upload'))
                else 'load')
        group = 'swift' if label.startswith(('swift', 'plain swift')) \
            else 'local'
        if label.startswith('plain'):
            floors[group, kind] = rate
            ratio = '1.00'
        else:
            ratio = f'{rate / floors[group, kind]:.2f}'
        print(f'{label:32} {rate:8.0f} {ratio:>7} {stored / 1e6:10.1f}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size-mib', type=int, default=256)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--segment-mib', type=int, default=64)
    parser.add_argument('--no-swift', action='store_true')
    args = parser.parse_args()
    size = args.size_mib * MIB
    with tempfile.TemporaryDirectory(prefix='tl-storage-bench-') as work:
        source = os.path.join(work, 'source')
        make_data(source, size)
        rows = local_rows(work, source, size, args.rounds)
        if not args.no_swift:
            rows += swift_rows(source, size, args.rounds, args.segment_mib)
    print(f'{args.size_mib} MiB, best of {args.rounds}; ratio: to the plain '
          f'copy of the same kind (save to copy/upload, load to '
          f'read/download)')
    report(rows, size)


if __name__ == '__main__':
    main()
