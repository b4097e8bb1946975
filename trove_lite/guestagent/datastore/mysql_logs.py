"""The database logs of the MariaDB guest (Trove's guest logs):
``general`` and ``slow_query`` (USER logs the owner turns on and off) and
``error`` (a SYS log, always on), each a file in the sandbox's log
directory.

Enabling sets the server's switch live (``SET GLOBAL``) and in the
option file for every later start. Publishing uploads what the file
gained since the last publish to the project's backup storage, as it is
(not compressed, not encrypted: the owner reads it with any Swift
client), one object per publish under the log's prefix, each with its
number of lines (``lines``, which python-troveclient's ``log_generator``
reads), then a metafile saying how much is published. Discarding removes
those objects. What is published is counted in bytes of the file; a file
found shorter than that was rotated, and publishing starts again at its
beginning.

A log that outgrows ``guest_log_max_size`` is cut back to its newest part
before it is read, so logs never fill the guest's disk.
"""

import json
import logging
import os
import threading
import time

from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.datastore import mysql_config
from trove_lite.guestagent import durable
from trove_lite.guestagent.datastore import mysql_sql as sql
from trove_lite.storage import grants

LOG = logging.getLogger(__name__)

USER = 'USER'
SYS = 'SYS'
# name: (type, file name in the log directory, server switch or None)
LOGS = {
    'general': (USER, mysql_config.LOG_FILES['general'], 'general_log'),
    'slow_query': (USER, mysql_config.LOG_FILES['slow_query'],
                   'slow_query_log'),
    'error': (SYS, mysql_config.LOG_FILES['error'], None),
}
ACTIONS = ('enable', 'disable', 'publish', 'discard')


def log_prefix(instance_id, manager, name):
    """Where the published parts of a log go (Trove's prefix)."""
    return f'{grants.published_logs_prefix(instance_id)}{manager}-{name}/'


def metafile_name(instance_id, manager, name):
    return log_prefix(instance_id, manager, name).rstrip('/') + '_metafile'


class GuestLogs:
    """The logs of one guest: ``server`` is its MariaDBServer,
    ``state_path`` the JSON file keeping what is enabled and published,
    ``get_storage(project_id)`` opens the backup storage."""

    def __init__(self, server, instance_id, manager, state_path,
                 get_storage):
        self.server = server
        self.instance_id = instance_id
        self.manager = manager
        self.state_path = state_path
        self.get_storage = get_storage
        self._lock = threading.Lock()

    # --- state --------------------------------------------------------

    def _state(self):
        try:
            with open(self.state_path) as kept:
                return json.load(kept)
        except FileNotFoundError:
            return {}

    def _save_state(self, state):
        durable.write_private(self.state_path, json.dumps(state))

    def enabled_switches(self):
        """The server switches of the enabled logs (for the option file)."""
        state = self._state()
        return sorted(LOGS[name][2] for name, kept in state.items()
                      if name in LOGS and LOGS[name][2]
                      and kept.get('enabled'))

    # --- views --------------------------------------------------------

    def _path(self, name):
        return os.path.join(self.server.log_dir, LOGS[name][1])

    def _size(self, name):
        try:
            return os.path.getsize(self._path(name))
        except FileNotFoundError:
            return 0

    def view(self, name, project_id, state=None):
        """One log as Trove shows it: its container, prefix and metafile
        as a Swift client sees them (the storage keeps a project's objects
        under its id)."""
        kept = (state if state is not None else self._state()).get(name, {})
        log_type = LOGS[name][0]
        size = self._size(name)
        published = kept.get('published', 0)
        if published > size:  # rotated since
            published = 0
        pending = size - published
        if log_type == USER and not kept.get('enabled'):
            status = 'Disabled'
        elif kept.get('parts'):
            status = 'Partial' if pending else 'Published'
        else:
            status = 'Enabled' if log_type == USER else 'Ready'
        return {
            'name': name, 'type': log_type, 'status': status,
            'published': published, 'pending': pending,
            'container': CONF.guest_log_container_name,
            'prefix': f'{project_id}/{self._prefix(name)}',
            'metafile': f'{project_id}/{self._metafile(name)}',
        }

    def _prefix(self, name):
        return log_prefix(self.instance_id, self.manager, name)

    def _metafile(self, name):
        return metafile_name(self.instance_id, self.manager, name)

    def list(self, project_id):
        state = self._state()
        return [self.view(name, project_id, state) for name in LOGS]

    # --- actions ------------------------------------------------------

    def action(self, name, project_id, enable=False, disable=False,
               publish=False, discard=False, grant=None):
        """Carry out one action on the log ``name`` (none: show it), a
        publish or discard with the storage ``grant``; returns its
        view."""
        if name not in LOGS:
            raise exceptions.BadRequest(f"Log '{name}' does not exist.")
        log_type, _file, switch = LOGS[name]
        with self._lock:
            state = self._state()
            kept = state.setdefault(name, {})
            if (enable or disable) and log_type == SYS:
                raise exceptions.BadRequest(
                    f"Log '{name}' is a system log: it is always on.")
            if enable or disable:
                self._switch(switch, bool(enable))
                kept['enabled'] = bool(enable)
                self._save_state(state)
            elif publish:
                self._publish(name, self.get_storage(project_id, grant=grant),
                              kept)
                self._save_state(state)
            elif discard:
                self._discard(name, self.get_storage(project_id, grant=grant),
                              kept)
                self._save_state(state)
            return self.view(name, project_id, state)

    def _switch(self, switch, on):
        with self.server.admin_connection() as connection:
            connection.cursor().execute(*sql.set_global(switch,
                                                         'ON' if on else
                                                         'OFF'))
        # For every later start too (the option file).
        self.server.write_options()

    def _publish(self, name, store, kept):
        path = self._path(name)
        cut = self.trim(name)
        kept['published'] = max(0, kept.get('published', 0) - cut)
        size = self._size(name)
        start = kept.get('published', 0)
        if start > size:
            start = 0  # the file was rotated
        if size > start:
            with open(path, 'rb') as log:
                log.seek(start)
                data = log.read(size - start)
            part = kept.get('parts', 0) + 1
            # Numbered, so the names sort in the order of the parts.
            object_name = (f'{self._prefix(name)}log-{part:06d}-'
                           f'{time.strftime("%Y%m%dT%H%M%S")}')
            store.save(CONF.guest_log_container_name, object_name, [data],
                       {'lines': str(data.count(b'\n'))}, encode=False)
            # Kept to discard them: a guest cannot list the storage.
            kept.setdefault('objects', []).append(object_name)
            kept['parts'] = part
            kept['published'] = size
            self._write_metafile(store, name, kept)
        LOG.info('Log %s published up to byte %s', name, kept.get('published'))

    def _write_metafile(self, store, name, kept):
        meta = json.dumps({'name': name, 'published': kept['published'],
                           'parts': kept['parts']}).encode()
        store.save(CONF.guest_log_container_name, self._metafile(name),
                   [meta], encode=False)

    def _discard(self, name, store, kept):
        container = CONF.guest_log_container_name
        for object_name in kept.get('objects', []):
            store.delete(store.location(container, object_name))
        store.delete(store.location(container, self._metafile(name)))
        kept.pop('parts', None)
        kept.pop('objects', None)
        LOG.info('Published parts of log %s discarded', name)

    def trim(self, name):
        """Cut a log bigger than ``guest_log_max_size`` back to its newest
        half (the server appends, so it writes on at the new end); the
        bytes cut."""
        limit = CONF.guest_agent.guest_log_max_size
        path = self._path(name)
        size = self._size(name)
        if not limit or size <= limit:
            return 0
        with open(path, 'r+b') as log:
            log.seek(size - limit // 2)
            tail = log.read()
            log.seek(0)
            log.write(tail)
            log.truncate(len(tail))
        LOG.warning('Log %s cut to its newest %d bytes', name, len(tail))
        return size - len(tail)

    def trim_all(self):
        """Keep every log within ``guest_log_max_size`` (periodic), the
        cut counted off what was published."""
        with self._lock:
            state = self._state()
            changed = False
            for name in LOGS:
                cut = self.trim(name)
                if cut and name in state:
                    kept = state[name]
                    kept['published'] = max(0, kept.get('published', 0) - cut)
                    changed = True
            if changed:
                self._save_state(state)
