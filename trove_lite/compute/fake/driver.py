"""The fake compute driver: servers, volumes and security groups kept in
memory, nothing started. Tests use it (one driver instead of one per test
module), and a taskmanager configured with ``compute_driver = fake`` runs
its flows without making anything, as Ironic's fake hardware does; no
guest ever answers such a server.

Every call is recorded in ``calls`` as ``(method, *arguments)``; a method
named in ``fail`` raises ComputeError after it was recorded.
"""

import itertools

from trove_lite.common import exceptions
from trove_lite.compute import base

ADDRESS = '127.0.2.9'
PUBLIC_ADDRESS = '203.0.113.9'


class FakeDriver(base.ComputeDriver):
    """``firewall``: the driver makes security groups (Nova's way) instead
    of having none to make (the local driver's); ``public``: it gives
    public addresses (Nova's with a public network) instead of having
    none (calls to them are recorded only then)."""

    def __init__(self, fail=(), firewall=False, public=False):
        self.fail = set(fail)
        self.firewall = firewall
        self.public = public
        self.public_addresses = {}
        self.calls = []
        self.servers = {}
        self.volumes = {}
        self.security_groups = {}
        self._numbers = itertools.count(1)

    def _call(self, method, *arguments):
        self.calls.append((method, *arguments))
        if method in self.fail:
            raise exceptions.ComputeError(reason=f'{method} broke')

    def called(self):
        """The names of the methods called, in order."""
        return [call[0] for call in self.calls]

    # --- what a test plants ---------------------------------------------

    def add_server(self, instance_id, status='ACTIVE', server_id=None,
                   volume_id=None):
        """A server this driver knows without a create (an orphan, or
        one made before a restart)."""
        server_id = server_id or f'server-{next(self._numbers)}'
        self.servers[server_id] = base.Server(
            id=server_id, status=status, instance_id=instance_id,
            volume_id=volume_id, addresses=[
                {'address': ADDRESS, 'type': 'private', 'network': 'fake'}])
        return self.servers[server_id]

    def add_volume(self, instance_id, size_gb=1, volume_id=None):
        volume_id = volume_id or f'volume-{next(self._numbers)}'
        self.volumes[volume_id] = base.Volume(
            id=volume_id, instance_id=instance_id, size=size_gb)
        return self.volumes[volume_id]

    # --- the driver -----------------------------------------------------

    def create_volume(self, instance_id, size_gb, volume_type=None,
                      snapshot=None):
        if snapshot is not None:
            raise self.no_volume_snapshots()
        self._call('create_volume', instance_id, size_gb)
        return self.add_volume(instance_id, size_gb).id

    def delete_volume(self, volume_id):
        self._call('delete_volume', volume_id)
        self.volumes.pop(volume_id, None)

    def extend_volume(self, volume_id, size_gb):
        self._call('extend_volume', volume_id, size_gb)
        self.volumes[volume_id].size = size_gb

    def list_volumes(self):
        return list(self.volumes.values())

    @classmethod
    def enforces_access(cls):
        return True

    def create_security_group(self, instance_id, port, allowed_cidrs=None):
        self._call('create_security_group', instance_id, port,
                   *([allowed_cidrs] if allowed_cidrs else []))
        if not self.firewall:
            return None
        group_id = f'group-{next(self._numbers)}'
        self.security_groups[instance_id] = group_id
        return group_id

    def delete_security_group(self, instance_id):
        self._call('delete_security_group', instance_id)
        self.security_groups.pop(instance_id, None)

    def create_server(self, instance_id, name, flavor, image_id, volume_id,
                      guest_config, security_group_id=None,
                      availability_zone=None, allowed_cidrs=None, nics=None):
        self._call('create_server', instance_id, volume_id,
                   security_group_id, availability_zone,
                   *([allowed_cidrs] if allowed_cidrs else []))
        return self.add_server(instance_id, volume_id=volume_id)

    def update_access(self, instance_id, server_id, port, allowed_cidrs):
        self._call('update_access', instance_id, server_id, port,
                   allowed_cidrs)

    def gives_public_addresses(self):
        return self.public

    def set_public(self, instance_id, server_id, is_public):
        self._call('set_public', instance_id, server_id, is_public)
        if not is_public:
            self.public_addresses.pop(instance_id, None)
            return None
        self.public_addresses[instance_id] = PUBLIC_ADDRESS
        return PUBLIC_ADDRESS

    def release_public_addresses(self, instance_id):
        if self.public:
            # Teardown asks every driver; only one that gives them says.
            self._call('release_public_addresses', instance_id)
            self.public_addresses.pop(instance_id, None)

    def get_server(self, server_id):
        return self.servers.get(server_id)

    def list_servers(self):
        return list(self.servers.values())

    def start_server(self, server_id):
        self._call('start_server', server_id)
        self.servers[server_id].status = 'ACTIVE'
        return self.servers[server_id]

    def delete_server(self, server_id):
        self._call('delete_server', server_id)
        self.servers.pop(server_id, None)

    def reboot_server(self, server_id):
        self._call('reboot_server', server_id)
        return self.servers.setdefault(server_id, base.Server(
            id=server_id, status='ACTIVE'))

    def resize_server(self, server_id, flavor):
        self._call('resize_server', server_id, flavor['id'])
        return self.servers.setdefault(server_id, base.Server(
            id=server_id, status='ACTIVE'))
