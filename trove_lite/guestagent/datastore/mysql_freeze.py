"""Quiescing the MariaDB server while its volume is snapshotted (a
"cinder" backup), in the way the compute driver asks:

- ``lock``: FLUSH TABLES WITH READ LOCK, held on a connection of the
  agent's until thawed. Writes wait and the tables are flushed, so a
  block snapshot (point-in-time) of the volume is consistent.
- ``stop``: the server stops cleanly until thawed. A copy of files is not
  point-in-time, and InnoDB keeps writing pages under a read lock; only a
  stopped server's files are consistent.

Whatever happens to whoever asked, the server thaws by itself after the
timeout it was given.
"""

import logging
import threading

from trove_lite.common import exceptions

LOG = logging.getLogger(__name__)

MODES = ('lock', 'stop')


class Freezer:
    """One quiesce at a time of ``manager``'s server."""

    def __init__(self, manager):
        self._manager = manager
        self._lock = threading.Lock()
        self._mode = None
        self._connection = None
        self._timer = None

    @property
    def frozen(self):
        return self._mode is not None

    def freeze(self, mode, timeout):
        if mode not in MODES:
            raise exceptions.DatastoreOperationError(
                reason=f'unknown quiesce mode {mode!r}')
        with self._lock:
            if self._mode is not None:
                raise exceptions.DatastoreOperationError(
                    reason='the datastore is quiesced already')
            if mode == 'lock':
                connection = self._manager.server.admin_connection()
                try:
                    connection.cursor().execute(
                        'FLUSH TABLES WITH READ LOCK')
                except BaseException:
                    connection.close()
                    raise
                self._connection = connection
            else:
                self._manager.stop_datastore()
            self._mode = mode
            self._timer = threading.Timer(timeout, self._expire)
            self._timer.daemon = True
            self._timer.start()
        LOG.info('Datastore quiesced (%s) for a volume snapshot', mode)

    def _expire(self):
        LOG.warning('Volume snapshot not done in time: thawing the '
                    'datastore')
        self.thaw()

    def thaw(self):
        """End the quiesce (nothing to end is no error)."""
        with self._lock:
            mode, self._mode = self._mode, None
            if mode is None:
                return
            self._timer.cancel()
            if mode == 'lock':
                connection, self._connection = self._connection, None
                try:
                    connection.cursor().execute('UNLOCK TABLES')
                finally:
                    connection.close()
            else:
                self._manager.start_datastore()
        LOG.info('Datastore thawed (%s)', mode)
