"""Replication of the MariaDB guest: GTID replication from a source, the
replication accounts a source keeps for its replicas, and the read-only
role a replica keeps across restarts.

The guest's RPC methods keep Trove's names (``get_replication_snapshot``,
``attach_replica``, ``detach_replica``, ``make_read_only``,
``enable_as_master``, ``demote_replication_master``,
``get_latest_txn_id``, ``wait_for_txn``,
``cleanup_source_on_replica_detach``).

A source is told only the hash of a replica's password (its account is
made ``IDENTIFIED BY PASSWORD``); the password itself travels, sealed,
only to the replica that logs in with it.
"""

import json
import logging
import os
import time

import pymysql

from trove_lite import storage
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.datastore import mysql_rules
from trove_lite.guestagent import durable
from trove_lite.guestagent.datastore import mysql_backup
from trove_lite.guestagent.datastore import mysql_sql as sql

LOG = logging.getLogger(__name__)

ROLE_FILE = 'replication.json'
# Seconds a new replica may take to connect to its source and run.
ATTACH_TIMEOUT = 60


def _fail(reason):
    return exceptions.DatastoreOperationError(reason=reason)


def _check_user(name):
    if not isinstance(name, str) or not name.startswith(
            mysql_rules.REPLICATION_USER_PREFIX) or len(name) > 32:
        raise _fail(f'{name!r} is no replication account name')


class ReplicationRole:
    """Whether the server refuses tenants' writes for replication's sake
    (a replica, or a source that was ejected), kept in the sandbox so a
    restart keeps it."""

    def __init__(self, sandbox_path):
        self.path = os.path.join(sandbox_path, ROLE_FILE)

    @property
    def read_only(self):
        try:
            with open(self.path) as role:
                return bool(json.load(role).get('read_only'))
        except FileNotFoundError:
            return False

    def set_read_only(self, read_only):
        durable.write_private(self.path,
                              json.dumps({'read_only': bool(read_only)}))


def slave_status(cursor):
    """SHOW SLAVE STATUS as a dict, or None when the server follows no
    source."""
    cursor.execute(*sql.show_slave_status())
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row,
                    strict=True))


def replication_lag(cursor):
    """Seconds the replica is behind its source (None: not a replica, or
    not replicating now)."""
    status = slave_status(cursor)
    if status is None:
        return None
    return status.get('Seconds_Behind_Master')


class ReplicationMethods:
    """The replication RPCs of the MariaDB guest manager (a mix-in of
    mysql.MySqlManager, which supplies ``server``, ``replication_role``,
    ``sandbox_path`` and ``_check_prepared``)."""

    def _set_read_only(self, cursor, read_only):
        # The role decides the source side of semi-synchronous
        # replication (mysql_config.for_role): on for every write the
        # server takes, off before its applier runs.
        self.replication_role.set_read_only(read_only)
        if read_only:
            cursor.execute(*sql.set_global('read_only', 1))
        self.server.apply_role(cursor.connection)
        if not read_only:
            cursor.execute(*sql.set_global('read_only', 0))

    def get_replication_snapshot(self, context, snapshot_info,
                                 replica_source_config=None):
        """Make the replication account of a new replica
        (``snapshot_info['replication_user']``: its name and password
        hash), then write a backup of this server
        (``snapshot_info['backup_info']``, a BackupInfo) the replica is
        built from; a call. Returns the backup's dataset."""
        self._check_prepared()
        user = snapshot_info['replication_user']
        _check_user(user['name'])
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.skip_binlog())
            cursor.execute(*sql.create_replication_user(
                user['name'], user['password_hash']))
            cursor.execute(*sql.grant_replication(user['name']))
        info = snapshot_info['backup_info']
        LOG.info('Replication snapshot %s started', info.id)
        saved, lsn = mysql_backup.backup(
            self.server, storage.get_storage(info.project_id,
                                             grant=info.storage),
            info, self.sandbox_path)
        LOG.info('Replication snapshot %s written', info.id)
        return {'dataset': {'snapshot_id': info.id,
                            'size': saved.size / 1024 ** 3,
                            'checksum': saved.checksum, 'lsn': lsn}}

    def attach_replica(self, context, replica_info, slave_config=None,
                       restart=False):
        """Follow the source ``replica_info['master']`` ({"host", "port",
        "user", "password"}) with GTID replication, from
        ``replica_info['log_position']`` when given (a new replica: where
        its snapshot ends), else from where this server is (a replica
        re-pointed, or a former source); read-only from now on. Returns
        once replication runs."""
        master = replica_info['master']
        position = replica_info.get('log_position')
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            self._set_read_only(cursor, True)
            cursor.execute(*sql.stop_slave())
            if position is not None:
                # Its own history (the prepare's accounts) is not the
                # source's: the log starts again at the snapshot's end.
                cursor.execute(*sql.reset_master())
            else:
                # A former source applied nothing as a replica: where it
                # is, is what it logged.
                cursor.execute(*sql.get_global('gtid_current_pos'))
                position = cursor.fetchone()[0]
            cursor.execute(*sql.set_global('gtid_slave_pos', position))
            cursor.execute(*sql.change_master(
                master['host'], master['port'], master['user'],
                master['password']))
            cursor.execute(*sql.start_slave())
            self._wait_replicating(cursor)
        LOG.info('Replicating from %s:%s', master['host'], master['port'])

    @staticmethod
    def _wait_replicating(cursor):
        deadline = time.monotonic() + ATTACH_TIMEOUT
        while True:
            status = slave_status(cursor) or {}
            if status.get('Slave_IO_Running') == 'Yes' and \
                    status.get('Slave_SQL_Running') == 'Yes':
                return
            if time.monotonic() > deadline:
                raise _fail('replication did not start: ' + (
                    status.get('Last_IO_Error') or
                    status.get('Last_SQL_Error') or 'no error reported'))
            time.sleep(0.2)

    def detach_replica(self, context, for_failover=False):
        """Stop following the source and forget it; writable again unless
        ``for_failover`` (the caller decides then). Returns the GTID
        position applied."""
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.stop_slave())
            cursor.execute(*sql.reset_slave_all())
            if not for_failover:
                self._set_read_only(cursor, False)
            cursor.execute(*sql.get_global('gtid_slave_pos'))
            position = cursor.fetchone()[0]
        LOG.info('Detached from the source at %s', position)
        return position

    def cleanup_source_on_replica_detach(self, context, replica_info):
        """Drop the replication account of a detached replica
        (``replica_info['user']``)."""
        _check_user(replica_info['user'])
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.skip_binlog())
            cursor.execute(*sql.drop_replication_user(replica_info['user']))

    def make_read_only(self, context, read_only):
        """Refuse (or accept again) tenants' writes, kept across restarts:
        kept first, so a server that is not up yet starts that way
        (MySqlManager.start_datastore)."""
        self.replication_role.set_read_only(read_only)
        with self.server.admin_connection() as connection:
            self._set_read_only(connection.cursor(), read_only)

    def enable_as_master(self, context, replica_source_config=None):
        """Become a source: follow nobody, make the replication accounts
        of the replicas to come (``replica_source_config
        ['replication_users']``: names and password hashes), accept
        writes."""
        users = (replica_source_config or {}).get('replication_users', [])
        for user in users:
            _check_user(user['name'])
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.skip_binlog())
            for user in users:
                cursor.execute(*sql.create_replication_user(
                    user['name'], user['password_hash']))
                cursor.execute(*sql.grant_replication(user['name']))
        self.detach_replica(context)

    def demote_replication_master(self, context):
        """Stop being a source: refuse writes."""
        self.make_read_only(context, True)

    def get_latest_txn_id(self, context):
        """Where this server is: the GTID position it logged or applied
        last (``gtid_current_pos``)."""
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.get_global('gtid_current_pos'))
            return cursor.fetchone()[0]

    def wait_for_txn(self, context, txn):
        """Wait until this replica has applied GTID position ``txn``
        (at most ``agent_call_high_timeout`` seconds)."""
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.master_gtid_wait(
                txn, CONF.agent_call_high_timeout))
            if cursor.fetchone()[0] != 0:
                raise _fail(f'transactions up to {txn} were not applied in '
                            f'time')

    def get_replication_lag(self):
        """replication_lag of this server, None when it cannot tell."""
        try:
            with self.server.admin_connection() as connection:
                return replication_lag(connection.cursor())
        except (pymysql.err.Error, OSError):
            return None
