"""The local compute driver: a server is a sandbox directory plus a guest
agent process; a volume is a directory the guest keeps its datadir in.

Layout under ``[local_compute] state_path``::

    servers/<server_id>/server.json   address, volume, image, pid, uid
    servers/<server_id>/guest.conf    what cloud-init would write in a VM
    servers/<server_id>/guest.log     the agent's (and its database's) logs
    servers/<server_id>/sandbox/      the guest's own files
    logs/<instance_id>/<server_id>.log  the guest log of a failed build
    volumes/<volume_id>/              the guest's datadir
    images/<version>.datadir          template datadirs

Guest processes run in their own session, so they outlive a taskmanager
restart the way VMs do; a server is removed by signalling its process
group.

Run as root, the driver gives each server a unix user of its own
(``guest_users``): the guest's agent and database run as that user, which
owns only the server's sandbox and volume (0700). What the driver relies
on (the server's record, its config, its log) stays root's, in a
directory the guest can pass through but not change, so a guest that
runs code of its choosing can neither rewrite what the driver reads nor
reach the host's or another guest's files.
"""

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import threading
import uuid

from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.local import addresses
from trove_lite.compute.local import cgroups
from trove_lite.compute.local import files
from trove_lite.compute.local import firewall
from trove_lite.compute.local import guest_users
from trove_lite.compute.local import guests
from trove_lite.compute.local import images
from trove_lite.compute.local import snapshots
from trove_lite.compute.local import storage_access
from trove_lite.compute.local import volumes
from trove_lite.conf import CONF
from trove_lite.datastore import mysql_config

LOG = logging.getLogger(__name__)

NETWORK_NAME = 'local'

# What of a failed build's guest log goes into its fault's details.
GUEST_LOG_TAIL_LINES = 20
GUEST_LOG_TAIL_BYTES = 4096


class LocalDriver(volumes.LocalVolumes, firewall.ServerAccess,
                  base.ComputeDriver):
    """Servers as local processes with their own loopback address."""

    @classmethod
    def host_local(cls):
        return not CONF.local_compute.shared_state

    @classmethod
    def capacity(cls):
        return CONF.local_compute.max_servers or None

    def __init__(self):
        self.state_path = CONF.local_compute.state_path
        self._deletes = _OneAtATime()
        for folder in ('servers', 'volumes'):
            path = os.path.join(self.state_path, folder)
            os.makedirs(path, exist_ok=True)
            # Guests pass through to their own directories; nobody but
            # the driver lists them.
            os.chmod(path, 0o711)
        os.makedirs(snapshots.root(self.state_path), 0o700, exist_ok=True)
        if guest_users.enabled():
            files.check_passable(self.state_path)
            LOG.info('Local guests run as users of their own (uids %s)',
                     CONF.local_compute.guest_uid_range)
        else:
            LOG.warning('Not running as root: local guests run as this '
                        'service\'s own user, not isolated from it or '
                        'from each other')
        # Each guest reaches its own project's local backups only.
        self._storage = storage_access.for_driver(self.state_path)
        self._guests = guests.Guests(os.path.join(self.state_path,
                                                  'servers'))
        self._firewall = firewall.for_driver(self.state_path,
                                             CONF.local_compute.nft_table,
                                             CONF.local_compute.firewall)

    @classmethod
    def enforces_access(cls):
        return True

    # --- volumes (the rest in volumes.LocalVolumes) ----------------------

    def extend_volume(self, volume_id, size_gb):
        """A local volume's size is the disk allowance of the guest using
        it: the new size goes into the volume's record and into the
        guest's config, which the guest re-reads in ``resize_fs``."""
        record = self._volume_record(volume_id)
        record['size'] = size_gb
        files.write_json(self._volume_path(volume_id) + '.json', record)
        servers = os.path.join(self.state_path, 'servers')
        for server_id in os.listdir(servers):
            server = self._read_server(server_id)
            if server and server.get('volume_id') == volume_id:
                files.set_config(os.path.join(self._server_path(server_id),
                                         'guest.conf'), server.get('gid'),
                            'guest_agent', 'disk_allowance_gb', size_gb)
        LOG.info('Volume %s extended to %s GB', volume_id, size_gb)

    # --- servers ---------------------------------------------------------

    def _server_path(self, server_id):
        return files.entry(os.path.join(self.state_path, 'servers'),
                           server_id)

    def _read_server(self, server_id):
        return files.read_json(os.path.join(self._server_path(server_id),
                                            'server.json'))

    def _write_server(self, server_id, record):
        files.write_json(os.path.join(self._server_path(server_id),
                                 'server.json'), record)

    def _records(self):
        servers = os.path.join(self.state_path, 'servers')
        records = (self._read_server(server_id)
                   for server_id in os.listdir(servers))
        return [record for record in records if record]

    def _allocate(self, server_id, record):
        """Pick a free address (and, with guest users, a free uid) and
        record the server, under a file lock so concurrent creates
        (threads or processes) never share one."""
        lock_path = os.path.join(self.state_path, 'servers.lock')
        with open(lock_path, 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._records()
            limit = CONF.local_compute.max_servers
            if limit and len(records) >= limit:
                raise exceptions.ServerBuildError(
                    reason=f'this host runs its most servers ({limit})')
            address = addresses.pick_free(
                CONF.local_compute.address_pools,
                {other['address'] for other in records}, record['port'])
            if address is None:
                raise exceptions.ServerBuildError(
                    reason='no free address left in the local pools')
            record['address'] = address
            if guest_users.enabled():
                uid = guest_users.pick_uid(
                    {other.get('uid') for other in records})
                if uid is None:
                    raise exceptions.ServerBuildError(
                        reason='no free uid left in [local_compute] '
                               'guest_uid_range')
                record['uid'] = uid
            os.makedirs(self._server_path(server_id), 0o711)
            os.chmod(self._server_path(server_id), 0o711)
            self._write_server(server_id, record)
        return address

    def guest_transport_url(self):
        return CONF.local_compute.guest_transport_url or CONF.transport_url

    def create_server(self, instance_id, name, flavor, image_id, volume_id,
                      guest_config, security_group_id=None,
                      availability_zone=None, allowed_cidrs=None, nics=None):
        # A local server has one loopback address, so networks, zones and
        # security groups do not apply; its access is filtered on that
        # address (firewall).
        server_id = str(uuid.uuid4())
        port = getattr(CONF, guest_config.datastore_manager).port
        record = {'id': server_id, 'instance_id': instance_id, 'name': name,
                  'image_id': image_id, 'volume_id': volume_id,
                  'flavor_id': flavor['id'], 'port': port, 'pid': None,
                  'uid': None, 'gid': None, 'ram_mb': flavor.get('ram'),
                  'project_id': guest_config.project_id,
                  'allowed_cidrs': list(allowed_cidrs or [])}
        address = self._allocate(server_id, record)
        try:
            return self._build(server_id, record, address, guest_config)
        except BaseException:
            self.delete_server(server_id)
            raise

    def _build(self, server_id, record, address, guest_config):
        """Limit its access, make the server's user, sandbox and config,
        and boot it."""
        if record['allowed_cidrs']:
            self._firewall.apply(server_id, address, record['port'],
                                 record['allowed_cidrs'])
        if record['uid'] is not None:
            try:
                record['uid'], record['gid'] = guest_users.create(
                    record['uid'])
            except exceptions.ComputeError:
                # Not ours to remove (another deployment took the uid).
                record['uid'] = None
                self._write_server(server_id, record)
                raise
            self._write_server(server_id, record)
            if self._storage and record['project_id']:
                self._storage.open_to(record['uid'], record['project_id'])
        owner = (record['uid'], record['gid'])
        template = images.template_datadir(guest_config.datastore_version,
                                           builder=owner)
        sandbox = self._sandbox_path(server_id)
        files.make_private_dir(sandbox, owner)
        volume_id = record['volume_id']
        if volume_id:
            files.make_private_dir(self._volume_path(volume_id), owner)
            if owner[0] is not None:
                # A volume made from a snapshot holds root's copies.
                subprocess.run(['chown', '-R', '--no-dereference',
                                f'{owner[0]}:{owner[1]}',
                                self._volume_path(volume_id)],
                               check=True, capture_output=True)
        config_file = os.path.join(self._server_path(server_id),
                                   'guest.conf')
        agent_options = {
            'sandbox_path': sandbox,
            'bind_address': address,
            'mount_point': self._volume_path(volume_id),
            'template_datadir': template,
            'mariadbd_path': CONF.local_compute.mariadbd_path,
            'disk_allowance_gb': (self._volume_record(volume_id)['size']
                                  if volume_id else 0),
        }
        files.write_config(config_file, record['gid'],
                           guest_config.sections(),
                           {'guest_agent': agent_options})
        record['cgroups'] = cgroups.make(
            self.state_path, server_id,
            record['ram_mb'] if CONF.local_compute.guest_memory_limit
            else None, CONF.local_compute.guest_nice)
        self._write_server(server_id, record)
        record['pid'] = self._boot(server_id, record)
        self._write_server(server_id, record)
        LOG.info('Server %s for instance %s started at %s (pid %s, uid %s)',
                 server_id, record['instance_id'], address, record['pid'],
                 record['uid'])
        return self._server(record)

    def _private_view(self, server_id, record):
        """(hidden, needed) paths of a guest's mount namespace: other
        servers and volumes, other projects' backups, and the host's
        private directories, are hidden; its own server directory, volume,
        project's backups and the images are needed. Without guest users
        (not root), no namespace."""
        if record['uid'] is None:
            return [], []
        hidden = [os.path.join(self.state_path, 'servers'),
                  os.path.join(self.state_path, 'volumes'),
                  snapshots.root(self.state_path)]
        hidden += CONF.local_compute.guest_hidden_paths
        needed = [self._server_path(server_id),
                  os.path.join(self.state_path, 'images')]
        if record['volume_id']:
            needed.append(self._volume_path(record['volume_id']))
        if self._storage and record.get('project_id'):
            hidden.append(self._storage.root)
            needed.append(self._storage.project_path(record['project_id']))
        return hidden, needed

    def _sandbox_path(self, server_id):
        return guests.sandbox_of(self._server_path(server_id))

    def _boot(self, server_id, record):
        hidden, needed = self._private_view(server_id, record)
        return self._guests.start(record, hidden, needed)

    def _server(self, record):
        alive = self._is_running(record)
        return base.Server(
            id=record['id'], status='ACTIVE' if alive else 'SHUTDOWN',
            addresses=[{'address': record['address'], 'type': 'private',
                        'network': NETWORK_NAME}],
            instance_id=record['instance_id'],
            volume_id=record['volume_id'])

    def _is_running(self, record):
        return self._guests.is_running(record)

    def list_servers(self):
        """The recorded servers, and as servers of no instance the guests
        still running in a sandbox whose record is gone (a crash)."""
        found = [self._server(record) for record in self._records()]
        recorded = {server.id for server in found}
        for server_id in sorted(self._guests.unrecorded() - recorded):
            # A server made since the listing has its record by now (it
            # is written before its guest starts).
            if self._read_server(server_id) is None:
                found.append(base.Server(id=server_id, status='ACTIVE'))
        return found

    def get_server(self, server_id):
        record = self._read_server(server_id)
        return None if record is None else self._server(record)

    def start_server(self, server_id):
        record = self._read_server(server_id)
        if record is None:
            raise exceptions.ComputeError(
                reason=f'server {server_id} does not exist')
        if self._is_running(record):
            return self._server(record)
        record['pid'] = self._boot(server_id, record)
        self._write_server(server_id, record)
        LOG.info('Server %s started again (pid %s)', server_id,
                 record['pid'])
        return self._server(record)

    def reboot_server(self, server_id):
        record = self._read_server(server_id)
        if record is None:
            raise exceptions.ComputeError(
                reason=f'server {server_id} does not exist')
        self._stop(server_id, record)
        LOG.info('Server %s stopped for a reboot', server_id)
        return self.start_server(server_id)

    def resize_server(self, server_id, flavor):
        """A local server takes no resources by flavor: the new flavor is
        recorded, and its guest sizes the datastore (``apply_flavor``)."""
        record = self._read_server(server_id)
        if record is None:
            raise exceptions.ComputeError(
                reason=f'server {server_id} does not exist')
        record['flavor_id'] = flavor['id']
        record['ram_mb'] = flavor.get('ram')
        if record['ram_mb']:
            cgroups.set_limit(cgroups.of(record), record['ram_mb'])
        self._write_server(server_id, record)
        return self._server(record)

    def keep_guest_log(self, server_id):
        """Copy the guest's log to ``logs/<instance id>/<server id>.log``
        under the state path; its last GUEST_LOG_TAIL_LINES lines."""
        record = self._read_server(server_id)
        source = os.path.join(self._server_path(server_id), 'guest.log')
        if record is None or not os.path.exists(source):
            return None
        kept_dir = os.path.join(self.state_path, 'logs',
                                record['instance_id'])
        os.makedirs(kept_dir, exist_ok=True)
        kept = os.path.join(kept_dir, f'{server_id}.log')
        shutil.copyfile(source, kept)
        LOG.info('Log of the guest of %s kept in %s', record['instance_id'],
                 kept)
        return files.tail(kept, GUEST_LOG_TAIL_LINES, GUEST_LOG_TAIL_BYTES)

    def delete_server(self, server_id):
        # A delete request and the reaper can meet on one server: the
        # second waits, then finds it gone, and so never removes a user
        # whose uid has meanwhile gone to a new guest.
        with self._deletes.of(server_id):
            self._delete_server(server_id)

    def _delete_server(self, server_id):
        record = self._read_server(server_id)
        self._stop(server_id, record)
        # A deep sandbox keeps its database socket outside (see run_dir_for).
        shutil.rmtree(mysql_config.run_dir_for(self._sandbox_path(server_id)),
                      ignore_errors=True)
        uid = record.get('uid') if record else self._owner_of_sandbox(
            server_id)
        if record and uid is not None and record.get('volume_id'):
            # The uid goes back to the pool: a later guest given it must
            # not find this tenant's data open to it.
            files.reclaim(self._volume_path(record['volume_id']))
        if uid is not None and self._storage:
            # Before the uid goes back to the pool.
            self._storage.close_to(uid)
        # Found by the server's id: one whose record was lost has it too.
        for group in cgroups.group_paths(self.state_path, server_id):
            cgroups.remove(group)
        if record:
            if record.get('allowed_cidrs'):
                self._firewall.remove(server_id, record['address'],
                                      record['port'])
        # The record holds the uid until the user is gone, so no create
        # picks it while userdel is still removing the user's group.
        guest_users.remove(uid)
        shutil.rmtree(self._server_path(server_id), ignore_errors=True)
        LOG.info('Server %s deleted', server_id)

    def _owner_of_sandbox(self, server_id):
        """The guest user of a server whose record was lost: the owner of
        its sandbox (made by the driver for that user alone) when that is
        a guest user, else None."""
        try:
            owner = os.stat(self._sandbox_path(server_id)).st_uid
        except FileNotFoundError:
            return None
        return owner if guest_users.is_guest_user(owner) else None

    def _stop(self, server_id, record):
        volume_id = record.get('volume_id') if record else None
        self._guests.stop(server_id, record,
                          self._volume_path(volume_id) if volume_id else None)


class _OneAtATime:
    """A lock per key (a server id), held by one thread at a time and
    forgotten when nobody holds or waits for it."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks = {}  # key -> [lock, holders and waiters]

    @contextlib.contextmanager
    def of(self, key):
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[key]
