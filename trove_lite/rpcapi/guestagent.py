"""Client side of a guest agent (topic ``guestagent.<instance_id>``).

Which methods are casts and which are calls, and with which timeout,
follows Trove's guest API: a call waits ``agent_call_low_timeout`` or
``agent_call_high_timeout`` seconds, then fails with GuestTimeout instead
of waiting for a guest that does not answer. Except ``prepare`` (sent by
the taskmanager, which keeps trying), messages retry sending only
``rpc_cast_retry`` times: an API request must not hang while the broker
is away; it fails with 503 instead.
"""

import contextlib

import oslo_messaging as messaging

from trove_lite.common import broker_users
from trove_lite.common import exceptions
from trove_lite.common import rpc
from trove_lite.common import topics
from trove_lite.conf import CONF


class API:
    """Talks to the guest agent of one instance; messages are sealed with
    ``key``, the instance's key (None: in the clear)."""

    RPC_API_VERSION = '1.0'

    def __init__(self, instance_id, key, max_wait=None, admission=None):
        """``max_wait``: the most seconds any call waits, whatever its
        usual timeout; ``admission()``: a context manager entered around
        each call (refusing raises before anything is sent). Both are for
        callers that must not wait long, the API's request threads."""
        self.instance_id = instance_id
        self._max_wait = max_wait
        self._admission = admission or contextlib.nullcontext
        target = messaging.Target(topic=topics.guest_topic(instance_id),
                                  server=instance_id,
                                  version=self.RPC_API_VERSION)
        self._client = rpc.SealedClient(target, key, instance_id)

    def declare_queue(self):
        """Create the guest's queues, on the guest's own exchange, so
        ``prepare`` waits for the guest."""
        rpc.declare_topic_queue(
            topics.guest_topic(self.instance_id), self.instance_id,
            exchange=broker_users.guest_exchange(self.instance_id))

    def delete_queue(self):
        rpc.delete_topic_queues(topics.guest_topic(self.instance_id),
                                self.instance_id)

    def _call(self, context, method, timeout, **kwargs):
        if self._max_wait is not None:
            timeout = min(timeout, self._max_wait)
        try:
            with self._admission():
                return self._client.prepare(
                    timeout=timeout, retry=CONF.rpc_cast_retry).call(
                        context, method, **kwargs)
        except messaging.MessagingTimeout:
            raise exceptions.GuestTimeout() from None
        except messaging.RemoteError as error:
            raise exceptions.GuestError(original_message=error.value) \
                from None
        except messaging.MessageDeliveryFailure as error:
            raise exceptions.ServiceUnavailable() from error

    def _call_low(self, context, method, **kwargs):
        return self._call(context, method, CONF.agent_call_low_timeout,
                          **kwargs)

    def _call_high(self, context, method, **kwargs):
        return self._call(context, method, CONF.agent_call_high_timeout,
                          **kwargs)

    def _cast(self, context, method, **kwargs):
        try:
            self._client.prepare(retry=CONF.rpc_cast_retry).cast(
                context, method, **kwargs)
        except messaging.MessageDeliveryFailure as error:
            raise exceptions.ServiceUnavailable() from error

    def prepare(self, context, request):
        """Set up the datastore (cast: progress comes back as heartbeats)."""
        self._client.prepare().cast(context, 'prepare', request=request)

    # --- databases ------------------------------------------------------

    def create_database(self, context, databases):
        """Create DatabaseSpecs (cast)."""
        self._cast(context, 'create_database', databases=databases)

    def delete_database(self, context, database):
        self._cast(context, 'delete_database', database=database)

    def list_databases(self, context, limit=None, marker=None,
                       include_marker=False):
        """One page of databases: ``(DatabaseSpecs, next_marker)``."""
        return self._call_low(
            context, 'list_databases', limit=limit, marker=marker,
            include_marker=include_marker)

    # --- users and their access ------------------------------------------

    def create_user(self, context, users):
        """Create UserSpecs with their grants (cast)."""
        self._cast(context, 'create_user', users=users)

    def delete_user(self, context, user):
        self._cast(context, 'delete_user', user=user)

    def change_passwords(self, context, users):
        """Set new passwords of existing users, UserSpecs (cast)."""
        self._cast(context, 'change_passwords', users=users)

    def update_attributes(self, context, username, hostname, user_attrs):
        """Rename a user, move it to another host or set its password
        (cast)."""
        self._cast(context, 'update_attributes', username=username,
                   hostname=hostname, user_attrs=user_attrs)

    def list_users(self, context, limit=None, marker=None,
                   include_marker=False):
        """One page of users: ``(UserSpecs, next_marker)``."""
        return self._call_high(
            context, 'list_users', limit=limit, marker=marker,
            include_marker=include_marker)

    def get_user(self, context, username, hostname):
        """The UserSpec (with its databases), or None."""
        return self._call_low(context, 'get_user', username=username,
                              hostname=hostname)

    def list_access(self, context, username, hostname):
        """Names of the databases the user may use."""
        return self._call_low(context, 'list_access', username=username,
                              hostname=hostname)

    def grant_access(self, context, username, hostname, databases):
        self._call_low(context, 'grant_access', username=username,
                       hostname=hostname, databases=databases)

    def revoke_access(self, context, username, hostname, database):
        self._call_low(context, 'revoke_access', username=username,
                       hostname=hostname, database=database)

    # --- logs ---------------------------------------------------------------

    def guest_log_list(self, context, project_id):
        """The guest's database logs (Trove's descriptions)."""
        return self._call_high(context, 'guest_log_list',
                               project_id=project_id)

    def guest_log_action(self, context, log_name, enable=False,
                         disable=False, publish=False, discard=False,
                         project_id=None, storage=None):
        """Enable, disable, publish or discard one log (none: describe
        it); its description afterwards. ``storage``: the grant to publish
        or discard with."""
        return self._call_high(context, 'guest_log_action',
                               log_name=log_name, enable=enable,
                               disable=disable, publish=publish,
                               discard=discard, project_id=project_id,
                               storage=storage)

    # --- root ---------------------------------------------------------------

    def enable_root(self, context):
        """Enable remote root with a new password; returns its UserSpec."""
        return self._call_high(context, 'enable_root')

    def enable_root_with_password(self, context, root_password):
        return self._call_high(context, 'enable_root_with_password',
                               root_password=root_password)

    def disable_root(self, context):
        self._call_low(context, 'disable_root')

    def is_root_enabled(self, context):
        return self._call_low(context, 'is_root_enabled')

    # --- the datastore and its volume ---------------------------------------

    def rpc_ping(self, context):
        """Whether the agent answers within ``agent_call_low_timeout``."""
        try:
            return bool(self._call_low(context, 'rpc_ping'))
        except (exceptions.GuestTimeout, exceptions.GuestError):
            return False

    def restart(self, context):
        """Restart the datastore; returns the guest clock stamp of the
        heartbeat that reports its status afterwards."""
        return self._call_high(context, 'restart')

    def apply_flavor(self, context, memory_mb):
        """Size the datastore for a new flavor's RAM, now and for every
        later start. (Trove renders a whole new config in the taskmanager
        and sends it through ``start_db_with_conf_changes``; this guest
        renders its own settings, so it needs only the RAM.)"""
        self._call_high(context, 'apply_flavor', memory_mb=memory_mb)

    def update_overrides(self, context, overrides, remove=False):
        """Keep ``overrides`` (the values of the instance's configuration
        group) in the datastore's configuration for every later start."""
        self._call_high(context, 'update_overrides', overrides=overrides,
                        remove=remove)

    def apply_overrides(self, context, overrides):
        """Set values in the running datastore (None: back to the
        instance's default); returns the names it takes only at a
        start."""
        return self._call_high(context, 'apply_overrides',
                               overrides=overrides)

    def resize_fs(self, context, device_path=None, mount_point=None,
                  online=True):
        """The volume under the datastore has grown: use the new size."""
        self._call_high(context, 'resize_fs', device_path=device_path,
                        mount_point=mount_point, online=online)

    # --- backups --------------------------------------------------------

    def create_backup(self, context, backup_info):
        """Write a backup (a BackupInfo) to the backup storage (cast: the
        guest reports through the conductor's ``update_backup``)."""
        self._cast(context, 'create_backup', backup_info=backup_info)

    # --- the binlog archive ---------------------------------------------

    def set_binlog_archive(self, context, settings):
        """Archive the binary log to ``settings`` ({"project_id",
        "container"}), or stop (None); a cast."""
        self._cast(context, 'set_binlog_archive', settings=settings)

    def archive_binlogs(self, context):
        """Archive the binary log now; the archived span (epoch seconds
        since, until) or None."""
        return self._call_high(context, 'archive_binlogs')

    def expire_binlogs(self, context, before):
        """Remove archived binlog files whose last event is before
        ``before`` (epoch seconds); a cast."""
        self._cast(context, 'expire_binlogs', before=before)

    def freeze_datastore(self, context, mode, max_seconds):
        """Quiesce the datastore for a snapshot of its volume (``lock``:
        a read lock held; ``stop``: stopped) until ``thaw_datastore``, at
        most ``max_seconds``."""
        self._call_high(context, 'freeze_datastore', mode=mode,
                        max_seconds=max_seconds)

    def thaw_datastore(self, context):
        self._call_high(context, 'thaw_datastore')

    # --- replication (Trove's names) -----------------------------------

    def get_replication_snapshot(self, context, snapshot_info,
                                 replica_source_config=None):
        """Make a new replica's replication account and write the backup
        it is built from; waits up to
        ``agent_replication_snapshot_timeout``."""
        return self._call(context, 'get_replication_snapshot',
                          CONF.agent_replication_snapshot_timeout,
                          snapshot_info=snapshot_info,
                          replica_source_config=replica_source_config)

    def attach_replica(self, context, replica_info, slave_config=None):
        """Follow the source ``replica_info['master']``, read-only."""
        self._call_high(context, 'attach_replica', replica_info=replica_info,
                        slave_config=slave_config)

    def detach_replica(self, context, for_failover=False):
        """Stop following the source; returns the GTID position applied."""
        return self._call_high(context, 'detach_replica',
                               for_failover=for_failover)

    def cleanup_source_on_replica_detach(self, context, replica_info):
        """Drop the replication account of a detached replica."""
        self._call_low(context, 'cleanup_source_on_replica_detach',
                       replica_info=replica_info)

    def make_read_only(self, context, read_only, wait=True):
        """Refuse (or accept) tenants' writes, for good. Without
        ``wait`` a cast, which waits in the queue of a guest that is
        down (an ejected source) and holds when it comes back."""
        if wait:
            self._call_low(context, 'make_read_only', read_only=read_only)
        else:
            self._cast(context, 'make_read_only', read_only=read_only)

    def enable_as_master(self, context, replica_source_config=None):
        self._call_high(context, 'enable_as_master',
                        replica_source_config=replica_source_config)

    def demote_replication_master(self, context):
        self._call_high(context, 'demote_replication_master')

    def get_latest_txn_id(self, context):
        """The GTID position of the guest's binary log."""
        return self._call_low(context, 'get_latest_txn_id')

    def wait_for_txn(self, context, txn):
        """Wait until the replica has applied GTID position ``txn``."""
        self._call_high(context, 'wait_for_txn', txn=txn)
