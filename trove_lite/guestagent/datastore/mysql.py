"""The MariaDB/MySQL guest manager: the guest agent's RPC methods for the
``mysql`` and ``mariadb`` datastores, carried out on its private
``mariadbd`` (mysql_server) and through its administration (mysql_admin)."""

import logging
import os
import threading
import time

from trove_lite import storage
from trove_lite.common import context as trove_context
from trove_lite.common import exceptions
from trove_lite.conf import CONF
from trove_lite.datastore import mysql_config
from trove_lite.guestagent import manager
from trove_lite.guestagent.datastore import mysql_admin
from trove_lite.guestagent.datastore import mysql_backup
from trove_lite.guestagent.datastore import mysql_binlog
from trove_lite.guestagent.datastore import mysql_freeze
from trove_lite.guestagent.datastore import mysql_logs
from trove_lite.guestagent.datastore import mysql_replication
from trove_lite.guestagent.datastore import mysql_server
from trove_lite.guestagent.datastore import mysql_sql as sql
from trove_lite.records.status import ServiceStatuses

LOG = logging.getLogger(__name__)


class MySqlManager(mysql_replication.ReplicationMethods, manager.Manager):
    """Guest manager for the ``mysql`` and ``mariadb`` datastores."""

    def __init__(self, instance_id, sandbox_path, conductor=None):
        super().__init__(instance_id, sandbox_path, conductor)
        options = CONF.guest_agent
        self.server = mysql_server.MariaDBServer(
            sandbox_path, options.mount_point, options.bind_address,
            getattr(CONF, CONF.datastore_manager).port,
            options.mariadbd_path,
            server_id=mysql_config.server_id_of(instance_id))
        self.replication_role = mysql_replication.ReplicationRole(
            sandbox_path)
        self.server.is_source = lambda: not self.replication_role.read_only
        self.admin = mysql_admin.MariaDBAdmin(self.server.admin_connection)
        self.freezer = mysql_freeze.Freezer(self)
        self.archiver = mysql_binlog.Archiver(
            self.server, instance_id,
            os.path.join(sandbox_path, 'binlog-archive.json'),
            storage.get_storage, self._report_archive)
        self.logs = mysql_logs.GuestLogs(
            self.server, instance_id, CONF.datastore_manager,
            os.path.join(sandbox_path, 'logs.json'), storage.get_storage)
        self.server.enabled_logs = self.logs.enabled_switches
        self._stopping = threading.Event()

    def boot(self):
        super().boot()
        threading.Thread(target=self.archiver.run_forever,
                         args=(self._stopping,), name='binlog-archiver',
                         daemon=True).start()

    def shutdown(self):
        self._stopping.set()
        super().shutdown()

    def report_status(self):
        try:
            self.logs.trim_all()
        except Exception:
            LOG.exception('Could not keep the logs within their size')
        super().report_status()

    def _report_archive(self, since, until):
        self.conductor.update_binlog_archive(
            trove_context.get_admin_context(), self.instance_id, since,
            until, sent=time.time())

    def preboot_datastore(self):
        if CONF.restore_pending:
            # restore_backup fills the datadir (or finds a snapshot's data
            # in it) before the server first runs: a template copied and
            # a server started now would only be thrown away.
            self.server.install(None, memory_mb=0)
            return
        self.server.install(CONF.guest_agent.template_datadir, memory_mb=0)
        self.server.start(CONF.state_change_wait_time)

    def do_prepare(self, context, request):
        position = None
        if request.backup_info:
            position = self.restore_backup(request.backup_info)
        with self.server.connect() as connection:
            self.server.apply_memory(connection, request.memory_mb,
                                     request.config_overrides)
            self.server.secure(connection)
        if request.config_overrides:
            # The configuration group's values all hold from a start (as
            # Trove's apply_overrides_on_prepare).
            self.stop_datastore()
            self.start_datastore()
        if request.snapshot:
            # A replica: its data is its source's snapshot, which it
            # follows from where the snapshot ends.
            self.attach_replica(context, dict(
                request.snapshot, log_position=(position or ('', 0, ''))[2]))
        # The same checks and host rules as databases and users made later.
        self.admin.create_databases(request.databases)
        self.admin.create_users(request.users)
        if request.binlog_archive:
            self.archiver.configure(request.binlog_archive)

    def restore_backup(self, backup_info):
        """Replace the new datastore's data with a backup's (the chain of
        ``backup_info``), then start it with root reachable again the way
        ``secure`` expects, which then resets os_admin and root as for a
        new instance. The users the backup holds keep their passwords.
        Returns where the backup ends in the binary log (see
        mysql_backup.restore), or None."""
        LOG.info('Restoring backup %s', backup_info['id'])
        self.stop_datastore()
        store = storage.get_storage(backup_info['project_id'],
                                    grant=backup_info.get('storage'))
        position = None
        # A volume snapshot's data is in the volume already.
        if not backup_info.get('volume_snapshot'):
            position = mysql_backup.restore(store, backup_info['chain'],
                                            self.server.datadir,
                                            self.sandbox_path)
        self.server.give_datadir_to_server()
        self.server.start(CONF.state_change_wait_time,
                          init_statements=sql.reset_local_root())
        LOG.info('Backup %s restored', backup_info['id'])
        point = backup_info.get('binlog')
        if point:
            self.replay_binlog(store, point, position)
        return position

    def replay_binlog(self, store, point, position):
        """Replay the archived binlog of ``point['instance_id']`` from
        ``position`` (where the restored backup ends) up to, not including,
        the second ``point['stop_time']``."""
        if position is None:
            raise exceptions.DatastoreOperationError(
                reason='the restored backup recorded no binlog position')
        work = mysql_backup.work_directory(self.sandbox_path)
        try:
            started = time.monotonic()
            count = mysql_binlog.replay(
                store, point['container'], point['instance_id'], position,
                int(point['stop_time']), work, self.server.socket)
        finally:
            mysql_backup.remove_work(work)
        LOG.info('Replayed %d archived binlog files of %s up to %s UTC in '
                 '%.1f s', count, point['instance_id'],
                 mysql_binlog.utc_text(int(point['stop_time'])),
                 time.monotonic() - started)

    def datastore_status(self):
        if self.server.is_healthy():
            return ServiceStatuses.HEALTHY
        if self.server.is_running():
            return ServiceStatuses.BLOCKED
        return ServiceStatuses.SHUTDOWN

    def start_datastore(self):
        # A replica (or an ejected source) is read-only before its server
        # accepts a first connection: no write slips in at a restart.
        self.server.start(CONF.state_change_wait_time, init_statements=(
            sql.READ_ONLY_AT_START if self.replication_role.read_only
            else None))
        if self.replication_role.read_only:
            self.refuse_writes(False)
            # Its role may have come while the server was down (an
            # ejected source told to refuse writes).
            with self.server.admin_connection() as connection:
                self.server.apply_role(connection)

    def stop_datastore(self):
        self.server.stop(CONF.state_change_wait_time)

    def resize_memory(self, memory_mb):
        with self.server.admin_connection() as connection:
            self.server.resize_memory(connection, memory_mb)

    def status_extras(self):
        """A replica's seconds behind its source (None while it does not
        replicate)."""
        if not self.replication_role.read_only:
            return {}
        return {'replication_lag': self.get_replication_lag()}

    def refuse_writes(self, refuse):
        """``read_only`` stops every account without the READ ONLY ADMIN
        privilege: tenants' users. The agent (and root, when enabled) can
        still delete data to make room. A replica (replication_role)
        refuses writes whatever its volume."""
        refuse = refuse or self.replication_role.read_only
        with self.server.admin_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(*sql.get_global('read_only'))
            if bool(cursor.fetchone()[0]) != refuse:
                LOG.warning('The volume is %s: %s writes',
                            'full' if refuse else 'no longer full',
                            'refusing' if refuse else 'accepting')
                cursor.execute(*sql.set_global('read_only', int(refuse)))

    # --- RPC: configuration -------------------------------------------------

    def _check_prepared(self):
        if not self.status.is_installed:
            raise exceptions.DatastoreOperationError(
                reason='the datastore is not prepared yet')

    def update_overrides(self, context, overrides, remove=False):
        """Keep ``overrides`` (the values of the instance's configuration
        group, {} for none) in the server's option file: they hold from
        the next start. They replace the previous ones, so ``remove``
        (Trove's: drop those first) changes nothing."""
        self._check_prepared()
        LOG.info('Configuration overrides now %s', sorted(overrides))
        self.server.write_options(overrides=overrides)

    def apply_overrides(self, context, overrides):
        """Set values live (None: back to the instance's default);
        returns the names the server refused to change while running."""
        self._check_prepared()
        # The same names refused as in the option file (write_options).
        try:
            mysql_config.check_overrides(overrides)
        except ValueError as error:
            raise exceptions.DatastoreOperationError(
                reason=str(error)) from None
        with self.server.admin_connection() as connection:
            needs_restart = self.server.apply_live(connection, overrides)
        LOG.info('Applied %s live%s', sorted(overrides),
                 f'; needs a restart: {needs_restart}' if needs_restart
                 else '')
        return needs_restart

    # --- RPC: backups -----------------------------------------------------

    def create_backup(self, context, backup_info):
        """Stream a backup (a BackupInfo) to the backup storage; a cast.
        Progress and the end go to the conductor (``update_backup``)."""
        backup_id = backup_info.id

        def report(**fields):
            self.conductor.update_backup(context, self.instance_id,
                                         backup_id, sent=time.time(),
                                         **fields)

        try:
            self._check_prepared()
            report(state='BUILDING')
            LOG.info('Backup %s (%s) started', backup_id,
                     backup_info.backup_type)
            store = storage.get_storage(backup_info.project_id,
                                        grant=backup_info.storage)
            saved, lsn = mysql_backup.backup(self.server, store,
                                             backup_info, self.sandbox_path)
        except Exception as error:
            LOG.exception('Backup %s failed', backup_id)
            report(state='FAILED', fault=f'The backup failed: {error}')
            return
        LOG.info('Backup %s completed: %d bytes stored, log position %d',
                 backup_id, saved.size, lsn)
        report(state='COMPLETED', size=saved.size / 1024 ** 3,
               checksum=saved.checksum, lsn=lsn)

    # --- RPC: the binlog archive ------------------------------------------

    def set_binlog_archive(self, context, settings):
        """Archive the binary log to ``settings`` ({"project_id",
        "container"}) from now on, or stop (None); a cast."""
        LOG.info('Binlog archive %s', 'on' if settings else 'off')
        self.archiver.configure(settings)

    def archive_binlogs(self, context):
        """Archive now (a call); the archived span (epoch seconds) or
        None."""
        self._check_prepared()
        return self.archiver.archive_once()

    def expire_binlogs(self, context, before):
        """Remove archived files whose last event is before ``before``
        (epoch seconds); a cast from the taskmanager's policy task."""
        self.archiver.expire(float(before))

    def freeze_datastore(self, context, mode, max_seconds):
        """Quiesce the datastore for a snapshot of its volume (``lock`` or
        ``stop``, see mysql_freeze) until ``thaw_datastore``, or at most
        ``max_seconds``; a call."""
        self._check_prepared()
        self.freezer.freeze(mode, max_seconds)

    def thaw_datastore(self, context):
        """End ``freeze_datastore``'s quiesce; a call."""
        self.freezer.thaw()

    # --- RPC: logs ---------------------------------------------------------

    def guest_log_list(self, context, project_id=None):
        """The database logs (Trove's log descriptions); published parts
        go to ``project_id``'s backup storage."""
        return self.logs.list(project_id)

    def guest_log_action(self, context, log_name, enable=False,
                         disable=False, publish=False, discard=False,
                         project_id=None, storage=None):
        """One action on a log (none: describe it); ``storage`` is the
        grant to publish or discard with."""
        return self.logs.action(log_name, project_id, enable=enable,
                                disable=disable, publish=publish,
                                discard=discard, grant=storage)

    # --- RPC: databases ---------------------------------------------------

    def create_database(self, context, databases):
        """Create databases (DatabaseSpecs); a cast."""
        self.admin.create_databases(databases)

    def delete_database(self, context, database):
        """Drop one database (a DatabaseSpec); a cast."""
        self.admin.delete_database(database)

    def list_databases(self, context, limit=None, marker=None,
                       include_marker=False):
        """One page of databases: ``(DatabaseSpecs, next_marker)``."""
        return self.admin.list_databases(limit, marker, include_marker)

    # --- RPC: users and access ----------------------------------------------

    def create_user(self, context, users):
        """Create users (UserSpecs) with their grants; a cast."""
        self.admin.create_users(users)

    def delete_user(self, context, user):
        """Drop one user (a UserSpec); a cast."""
        self.admin.delete_user(user)

    def get_user(self, context, username, hostname):
        """The user (a UserSpec with its databases), or None."""
        return self.admin.get_user(username, hostname)

    def list_users(self, context, limit=None, marker=None,
                   include_marker=False):
        """One page of users: ``(UserSpecs, next_marker)``."""
        return self.admin.list_users(limit, marker, include_marker)

    def list_access(self, context, username, hostname):
        """The databases (DatabaseSpecs) a user may use."""
        return self.admin.list_access(username, hostname)

    def grant_access(self, context, username, hostname, databases):
        """Give a user all privileges on databases (names)."""
        self.admin.grant_access(username, hostname, databases)

    def revoke_access(self, context, username, hostname, database):
        """Take a user's privileges on one database away."""
        self.admin.revoke_access(username, hostname, database)

    def change_passwords(self, context, users):
        """Set new passwords (UserSpecs); a cast."""
        self.admin.change_passwords(users)

    def update_attributes(self, context, username, hostname, user_attrs):
        """Set a user's password and/or rename it; a cast."""
        self.admin.update_attributes(username, hostname, user_attrs)

    # --- RPC: root ----------------------------------------------------------

    def enable_root(self, context):
        """Enable remote root with a generated password (returned)."""
        return self.admin.enable_root()

    def enable_root_with_password(self, context, root_password):
        """Enable remote root with the caller's password."""
        return self.admin.enable_root(root_password)

    def disable_root(self, context):
        self.admin.disable_root()

    def is_root_enabled(self, context):
        return self.admin.is_root_enabled()
