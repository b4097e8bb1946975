"""The local storage driver on the real filesystem, driven from other
processes: a saver killed mid-stream, readers racing a replacement."""

import concurrent.futures
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from oslo_config import cfg

from trove_lite import storage
from trove_lite.common import exceptions
from trove_lite.conf import compute
from trove_lite.conf import storage as storage_conf

KEY = 'functional-test-key-' + 'x' * 20
MIB = 2 ** 20


def make_conf(root):
    conf = cfg.ConfigOpts()
    storage_conf.register_opts(conf)
    compute.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('storage_local_path', str(root))
    conf.set_override('backup_aes_cbc_key', KEY)
    return conf


@pytest.fixture
def root(tmp_path):
    return tmp_path / 'storage'


@pytest.fixture
def store(root):
    return storage.get_storage('project-a', make_conf(root))


# Saves its standard input as c/o of project-a until killed.
SAVER = textwrap.dedent('''
    import sys
    from oslo_config import cfg
    from trove_lite import storage
    from trove_lite.conf import compute, storage as storage_conf
    conf = cfg.ConfigOpts()
    storage_conf.register_opts(conf)
    compute.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('storage_local_path', sys.argv[1])
    storage.get_storage('project-a', conf).save('c', 'o', sys.stdin.buffer)
''')


def test_large_object_round_trips_through_the_filesystem(store, root):
    data = os.urandom(16 * MIB) + b'INSERT INTO t VALUES (1);' * MIB
    saved = store.save('database_backups', 'b/full', iter(
        data[i:i + 100_000] for i in range(0, len(data), 100_000)))
    assert saved.source_size == len(data)
    assert saved.size < len(data)
    digest = hashlib.sha256()
    with store.load(saved.location, saved.checksum) as reader:
        for chunk in reader:
            digest.update(chunk)
    assert digest.digest() == hashlib.sha256(data).digest()


def test_saver_killed_mid_stream_leaves_no_object(store, root):
    location = store.location('c', 'o')
    saver = subprocess.Popen([sys.executable, '-c', SAVER, str(root)],
                             stdin=subprocess.PIPE)
    try:
        saver.stdin.write(os.urandom(4 * MIB))
        saver.stdin.flush()
        deadline = time.monotonic() + 30
        directory = root / 'project-a' / 'c'
        while not (directory.is_dir() and os.listdir(directory)):
            assert time.monotonic() < deadline, 'the saver wrote nothing'
            time.sleep(0.05)
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait()
    assert not store.exists(location)
    assert store.list('c') == []
    assert [name[:7] for name in os.listdir(directory)] == ['.tmp-o-']
    store.delete(location)
    assert os.listdir(directory) == []


def test_readers_see_the_old_or_the_new_object_never_a_mix(store):
    old, new = os.urandom(2 * MIB), os.urandom(2 * MIB)
    location = store.save('c', 'o', [old]).location

    def read():
        try:
            return store.load(location).read()
        except exceptions.StorageIntegrityError as e:
            # Replaced between opening and reading: refused, never mixed.
            assert 'replaced while read' in str(e)
            return None
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        readers = [pool.submit(read) for _ in range(40)]
        for _ in range(5):
            store.save('c', 'o', [new])
            store.save('c', 'o', [old])
        results = [reader.result() for reader in readers]
    assert {result for result in results if result is not None} <= {old, new}
    assert any(result is not None for result in results)


def test_projects_are_separate_directories(root):
    conf = make_conf(root)
    a = storage.get_storage('project-a', conf)
    b = storage.get_storage('project-b', conf)
    a.save('c', 'o', [b'a'])
    b.save('c', 'o', [b'b'])
    assert sorted(os.listdir(root)) == ['project-a', 'project-b']
    assert a.load(a.location('c', 'o')).read() == b'a'
    assert b.load(b.location('c', 'o')).read() == b'b'
