"""The one stand-in for a guest agent in the unit tests (the fake compute
driver is trove_lite.compute.fake). Install it with ``FakeGuest.install``;
its state is on the class, shared by every client as the guest behind a
queue is, and set afresh by ``install``."""

import inspect

from trove_lite.common import exceptions
from trove_lite.common import objects


class FakeWaiters:
    """Stands in for the taskmanager's GuestStatusWaiters: the guest
    reports ``outcome`` (None: it never reports)."""

    def __init__(self, outcome):
        self.outcome = outcome

    def wait(self, instance_id, is_done, timeout, check_interval):
        if self.outcome is None:
            return None
        is_done(self.outcome)  # may raise, as with a failed guest
        return self.outcome


class FakeGuest:
    """Stands in for rpcapi.guestagent.API.

    ``sent``: ``(instance_id, method, arguments)`` for every message, the
    arguments a dict of those given other than their default;
    ``fail``: method name, or (instance id, method name) for one
    guest's, -> the exception that method raises;
    ``fail_every``: an exception every method raises;
    ``databases``, ``users``: what its server has;
    ``refuse_live``: parameters its server takes only at a start;
    ``answers``: whether it answers a ping;
    ``positions``: instance id -> its GTID position (get_latest_txn_id).
    """

    @classmethod
    def install(cls, monkeypatch, rpcapi_module):
        cls.sent = []
        cls.fail = {}
        cls.fail_every = None
        cls.databases = {}
        cls.users = {}
        cls.refuse_live = ()
        cls.answers = True
        cls.positions = {}
        monkeypatch.setattr(rpcapi_module, 'API', cls)
        return cls

    @classmethod
    def fails(cls, *methods):
        """The guest fails ``methods`` as a guest that raised does."""
        cls.fail = {method: exceptions.GuestError(
            original_message=f'{method} broke') for method in methods}

    @classmethod
    def fails_on(cls, instance_id, *methods):
        """The guest of ``instance_id`` fails ``methods``."""
        cls.fail.update({(instance_id, method): exceptions.GuestError(
            original_message=f'{method} broke') for method in methods})

    @classmethod
    def methods(cls):
        return [method for _instance, method, _arguments in cls.sent]

    def __init__(self, instance_id, key, max_wait=None, admission=None):
        self.instance_id = instance_id

    def _record(self):
        caller = inspect.currentframe().f_back
        method = caller.f_code.co_name
        given = inspect.getargvalues(caller).locals
        parameters = inspect.signature(getattr(FakeGuest, method)).parameters
        arguments = {name: given[name] for name, parameter
                     in parameters.items()
                     if name not in ('self', 'context')
                     and given[name] is not parameter.default}
        FakeGuest.sent.append((self.instance_id, method, arguments))
        if FakeGuest.fail_every is not None:
            raise FakeGuest.fail_every
        for failing in (method, (self.instance_id, method)):
            if failing in FakeGuest.fail:
                raise FakeGuest.fail[failing]

    # --- the build ------------------------------------------------------

    def declare_queue(self):
        self._record()

    def delete_queue(self):
        self._record()

    def prepare(self, context, request):
        self._record()

    def rpc_ping(self, context):
        return FakeGuest.answers

    # --- the binlog archive ----------------------------------------------

    def set_binlog_archive(self, context, settings):
        self._record()

    def expire_binlogs(self, context, before):
        self._record()

    # --- restart, resize, configuration --------------------------------

    def restart(self, context):
        self._record()
        return 1234.5

    def update_overrides(self, context, overrides, remove=False):
        self._record()

    def apply_overrides(self, context, overrides):
        self._record()
        return [name for name in overrides if name in FakeGuest.refuse_live]

    def apply_flavor(self, context, memory_mb):
        self._record()

    def resize_fs(self, context):
        self._record()

    # --- databases, users, root -----------------------------------------

    @staticmethod
    def _page(items, key, limit, marker, include_marker):
        items = sorted(items, key=key)
        if marker is not None:
            items = [i for i in items if key(i) > marker
                     or (include_marker and key(i) == marker)]
        if limit is not None and len(items) > limit:
            return items[:limit], key(items[limit - 1])
        return items, None

    def list_databases(self, context, limit=None, marker=None,
                       include_marker=False):
        self._record()
        return self._page(FakeGuest.databases.values(), lambda d: d.name,
                          limit, marker, include_marker)

    def create_database(self, context, databases):
        self._record()
        for database in databases:
            FakeGuest.databases[database.name] = database

    def delete_database(self, context, database):
        self._record()
        FakeGuest.databases.pop(database.name)

    def list_users(self, context, limit=None, marker=None,
                   include_marker=False):
        self._record()
        return self._page(FakeGuest.users.values(),
                          lambda u: f'{u.name}@{u.host}', limit, marker,
                          include_marker)

    def get_user(self, context, username, hostname):
        self._record()
        return FakeGuest.users.get((username, hostname))

    def create_user(self, context, users):
        self._record()
        for user in users:
            FakeGuest.users[(user.name, user.host)] = user

    def delete_user(self, context, user):
        self._record()

    def update_attributes(self, context, username, hostname, user_attrs):
        self._record()

    def change_passwords(self, context, users):
        self._record()

    def list_access(self, context, username, hostname):
        self._record()
        return [objects.DatabaseSpec(name=name) for name in
                FakeGuest.users[(username, hostname)].databases]

    def grant_access(self, context, username, hostname, databases):
        self._record()

    def revoke_access(self, context, username, hostname, database):
        self._record()

    def enable_root(self, context):
        self._record()
        return objects.UserSpec(name='root', host='%', password='generated1')

    def enable_root_with_password(self, context, root_password):
        self._record()
        return objects.UserSpec(name='root', host='%',
                                password=root_password)

    def disable_root(self, context):
        self._record()

    # --- replication ------------------------------------------------------

    def make_read_only(self, context, read_only, wait=True):
        self._record()

    def get_latest_txn_id(self, context):
        self._record()
        return FakeGuest.positions.get(self.instance_id, '')

    def wait_for_txn(self, context, txn):
        self._record()

    def detach_replica(self, context, for_failover=False):
        self._record()

    def enable_as_master(self, context, replica_source_config=None):
        self._record()

    def attach_replica(self, context, replica_info, slave_config=None):
        self._record()

    def cleanup_source_on_replica_detach(self, context, replica_info):
        self._record()
