"""The binary log of the MariaDB guest: reading its files, archiving them
to the backup storage, and replaying an archive at a restore.

The archive of an instance lies in its project's space of the backup
storage, under ``binlogs/<instance id>/``: one object per binlog file,
and ``manifest.json`` listing them in order with each file's first and
last event time (UTC epoch seconds) and GTID range, and ``covered_until``:
every transaction written before that second is in the archived files.

The archiver rotates the log (``FLUSH BINARY LOGS``) when the open file
holds a transaction, uploads every closed file not archived yet, writes
the manifest, then purges the local files it archived. A file is in the
manifest only once its object is stored, so a guest killed at any point
leaves an archive that restores to its ``covered_until``.
"""

import dataclasses
import datetime
import json
import logging
import os
import re
import struct
import subprocess
import threading
import time

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.guestagent import durable
from trove_lite.storage import grants

LOG = logging.getLogger(__name__)

MANIFEST = 'manifest.json'
# The server's binlog base name, in its datadir (mysql_config).
BASENAME = 'mysql-bin'
_FILE_NAME = re.compile(re.escape(BASENAME) + r'\.([0-9]{6,9})\Z')

_MAGIC = b'\xfebin'
_HEADER = struct.Struct('<IBIIIH')
_GTID_EVENT = 162
_GTID_BODY = struct.Struct('<QI')


def file_number(name):
    """The sequence number of a binlog file name; ValueError for a name
    that is not one of the server's binlog files."""
    match = _FILE_NAME.fullmatch(name or '')
    if match is None:
        raise ValueError(f'{name!r} is not a binlog file name')
    return int(match.group(1))


@dataclasses.dataclass
class FileInfo:
    """What a binlog file holds: its event times and GTIDs."""

    first_time: int | None = None
    last_time: int | None = None
    first_gtid: str | None = None
    last_gtid: str | None = None
    transactions: int = 0


def read_file_info(path):
    """Walk the events of a binlog file (the open one too: an event still
    being written ends the walk)."""
    info = FileInfo()
    with open(path, 'rb') as binlog:
        if binlog.read(4) != _MAGIC:
            raise ValueError(f'{path} is not a binlog file')
        while True:
            header = binlog.read(_HEADER.size)
            if len(header) < _HEADER.size:
                break
            when, kind, server_id, size, _pos, _flags = _HEADER.unpack(
                header)
            body = binlog.read(size - _HEADER.size) if size > _HEADER.size \
                else b''
            if size < _HEADER.size or len(body) < size - _HEADER.size:
                break
            if when:
                info.first_time = when if info.first_time is None \
                    else min(info.first_time, when)
                info.last_time = max(info.last_time or 0, when)
            if kind == _GTID_EVENT and len(body) >= _GTID_BODY.size:
                sequence, domain = _GTID_BODY.unpack_from(body)
                gtid = f'{domain}-{server_id}-{sequence}'
                info.first_gtid = info.first_gtid or gtid
                info.last_gtid = gtid
                info.transactions += 1
    return info


def utc_text(epoch):
    return datetime.datetime.fromtimestamp(
        epoch, datetime.UTC).strftime('%Y-%m-%d %H:%M:%S')


class Archive:
    """The archive of one instance in a project-bound store."""

    def __init__(self, store, container, instance_id):
        self.store = store
        self.container = container
        self.prefix = grants.binlog_archive_prefix(instance_id)

    def name(self, file_name):
        return self.prefix + file_name

    def read_manifest(self):
        location = self.store.location(self.container, self.name(MANIFEST))
        try:
            with self.store.load(location) as reader:
                manifest = json.loads(reader.read())
        except exceptions.StorageObjectNotFound:
            return {'files': [], 'covered_until': None}
        if not isinstance(manifest.get('files'), list):
            raise exceptions.DatastoreOperationError(
                reason='the binlog archive manifest is damaged')
        return manifest

    def write_manifest(self, manifest):
        self.store.save(self.container, self.name(MANIFEST),
                        [json.dumps(manifest, sort_keys=True).encode()])

    def save_file(self, path, file_name, info):
        with open(path, 'rb') as source:
            saved = self.store.save(self.container, self.name(file_name),
                                    source, {'binlog_file': file_name})
        return dict(dataclasses.asdict(info), name=file_name,
                    location=saved.location, checksum=saved.checksum,
                    size=saved.source_size)

    def delete_file(self, entry):
        self.store.delete(self.store.location(self.container,
                                              self.name(entry['name'])))


def archived_span(manifest):
    """(since, until) epoch seconds the archive restores to without a gap
    up to its end, or None: since is the first event of the oldest file
    after the last gap in the file numbers, or, when expiry removed the
    files before it, the last event of the newest file removed."""
    files = manifest.get('files') or []
    until = manifest.get('covered_until')
    expired = manifest.get('expired_until')
    if until is None or not (files or expired):
        return None
    if not files:
        return expired, until
    start = len(files) - 1
    while start > 0 and file_number(files[start - 1]['name']) + 1 == \
            file_number(files[start]['name']):
        start -= 1
    since = files[start].get('first_time')
    if start == 0 and expired is not None:
        since = expired if since is None else min(since, expired)
    return None if since is None else (since, until)


class Archiver:
    """Archives the guest's binary log every ``interval`` seconds while a
    policy asks for it (the settings kept in ``settings_file``)."""

    def __init__(self, server, instance_id, settings_file, get_store,
                 report):
        self.server = server
        self.instance_id = instance_id
        self.settings_file = settings_file
        self.get_store = get_store
        self.report = report
        self.lock = threading.Lock()
        self._wake = threading.Event()

    # --- settings -----------------------------------------------------------

    def settings(self):
        try:
            with open(self.settings_file) as kept:
                return json.load(kept)
        except FileNotFoundError:
            return None

    def configure(self, settings):
        """Archive to ``settings`` ({"project_id", "container", "storage":
        the grant to write with}), or stop (None); archives at once. A
        renewed grant comes the same way."""
        with self.lock:
            if settings is None:
                try:
                    os.unlink(self.settings_file)
                except FileNotFoundError:
                    pass
            else:
                durable.write_private(self.settings_file, json.dumps(
                    {'project_id': settings['project_id'],
                     'container': settings['container'],
                     'storage': settings['storage']}))
        self._wake.set()

    def archive(self, settings):
        store = self.get_store(settings['project_id'],
                               grant=settings['storage'])
        return Archive(store, settings['container'], self.instance_id)

    # --- the loop -----------------------------------------------------------

    def run_forever(self, stopping):
        while not stopping.is_set():
            self._wake.wait(CONF.binlog_archive_interval)
            self._wake.clear()
            if stopping.is_set():
                return
            try:
                self.archive_once()
            except Exception:
                # The next pass archives what this one left.
                LOG.exception('Archiving the binary log failed')

    def archive_once(self):
        """One pass; returns the archived span (or None)."""
        with self.lock:
            settings = self.settings()
            if settings is None or not self.server.is_healthy():
                return None
            archive = self.archive(settings)
            manifest = archive.read_manifest()
            covered = self._rotate()
            archived = {entry['name'] for entry in manifest['files']}
            closed = self._closed_files()
            for file_name in closed:
                if file_name in archived:
                    continue
                path = os.path.join(self.server.datadir, file_name)
                info = read_file_info(path)
                manifest['files'].append(archive.save_file(path, file_name,
                                                           info))
                archived.add(file_name)
            manifest['files'].sort(key=lambda e: file_number(e['name']))
            manifest['covered_until'] = covered
            archive.write_manifest(manifest)
            if closed:
                self._purge_to(self._open_file())
            span = archived_span(manifest)
        if span is not None:
            self.report(*span)
        return span

    def expire(self, before):
        """Remove archived files whose last event is before ``before``
        (epoch seconds); the archive then restores from the last event of
        the newest file removed."""
        with self.lock:
            settings = self.settings()
            if settings is None:
                return
            archive = self.archive(settings)
            manifest = archive.read_manifest()
            files = manifest['files']
            expired = [e for e in files if (e.get('last_time') or 0) < before]
            if not expired:
                return
            for entry in expired:
                archive.delete_file(entry)
            manifest['files'] = [e for e in files if e not in expired]
            manifest['expired_until'] = max(
                [manifest.get('expired_until') or 0] +
                [e.get('last_time') or 0 for e in expired])
            archive.write_manifest(manifest)
            LOG.info('Expired %d archived binlog files', len(expired))

    # --- the server's binlog files ------------------------------------------

    def _query(self, statement):
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def _open_file(self):
        return self._query('SHOW MASTER STATUS')[0][0]

    def _closed_files(self):
        names = [row[0] for row in self._query('SHOW BINARY LOGS')]
        return names[:-1]

    def _rotate(self):
        """Close the open file when it holds a transaction; the second
        before which every transaction is in a closed file."""
        now = int(time.time()) - 1
        path = os.path.join(self.server.datadir, self._open_file())
        if read_file_info(path).transactions:
            self._query('FLUSH BINARY LOGS')
        return now

    def _purge_to(self, file_name):
        with self.server.admin_connection() as connection:
            connection.cursor().execute('PURGE BINARY LOGS TO %s',
                                        (file_name,))


def replay(store, container, source_id, start, stop_time, work, socket):
    """Apply the archived binlog of instance ``source_id`` from ``start``
    ((file name, position) a restored backup ends at) up to, not
    including, the second ``stop_time`` (epoch), into the server at
    ``socket`` as root. Returns the number of files replayed."""
    archive = Archive(store, container, source_id)
    manifest = archive.read_manifest()
    first = file_number(start[0])
    files = [entry for entry in manifest['files']
             if file_number(entry['name']) >= first]
    if (manifest.get('covered_until') or 0) + 1 < stop_time:
        raise exceptions.DatastoreOperationError(
            reason=f'the binlog archive of {source_id} reaches only '
                   f'{utc_text(manifest.get("covered_until") or 0)} UTC')
    if files and file_number(files[0]['name']) != first or any(
            file_number(b['name']) != file_number(a['name']) + 1
            for a, b in zip(files, files[1:], strict=False)):
        raise exceptions.DatastoreOperationError(
            reason=f'the binlog archive of {source_id} has a gap after '
                   f'{start[0]}')
    paths = []
    for entry in files:
        if (entry.get('first_time') or 0) >= stop_time and paths:
            break
        path = os.path.join(work, entry['name'])
        with store.load(entry['location'], entry.get('checksum')) as reader, \
                open(path, 'wb') as local:
            for chunk in reader:
                local.write(chunk)
        paths.append(path)
    if not paths:
        return 0
    binlog = subprocess.Popen(
        [CONF.guest_agent.mariadb_binlog_path, '--no-defaults',
         f'--start-position={int(start[1])}',
         f'--stop-datetime={utc_text(stop_time)}', *paths],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, close_fds=True,
        # mariadb-binlog reads --stop-datetime in local time.
        env=dict(os.environ, TZ='UTC'))
    client = subprocess.run(
        [CONF.guest_agent.mariadb_client_path, '--no-defaults',
         f'--socket={socket}', '--user=root', '--binary-mode'],
        stdin=binlog.stdout, capture_output=True, close_fds=True)
    binlog.stdout.close()
    errors = binlog.stderr.read() + client.stderr
    if binlog.wait() != 0 or client.returncode != 0:
        raise exceptions.DatastoreOperationError(
            reason=f'replaying the binlog failed: '
                   f'{errors.decode(errors="replace").strip()[-300:]}')
    return len(paths)
