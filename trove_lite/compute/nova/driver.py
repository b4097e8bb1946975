"""The nova compute driver: a server is a Nova server booted from the
datastore version's image, its data lives on a Cinder volume, a
Neutron security group opens the datastore port, an instance whose
access is_public gets a floating IP (floating_ips.py), and one created
with ``nics`` a port on that network (ports.py).

Everything is made in the service project (``[service_credentials]``), so
tenants see their databases, never the servers behind them. Each create
method removes what it made before it raises, because the workflow only
reverts steps that finished.

The volume is attached by a block device mapping at boot rather than by
an attach call afterwards: the disk is there when the guest first boots,
so cloud-init can format and mount it before the agent starts, there is
no attach to wait for and undo, and Nova detaches it when the server goes.
trove-lite still owns the volume (``delete_on_termination`` is false): it
is removed by the same steps that made it, never behind their back.
"""

import contextlib
import logging
import time

from cinderclient import exceptions as cinder_exceptions
from keystoneauth1 import exceptions as ks_exceptions
from novaclient import exceptions as nova_exceptions

from trove_lite.common import exceptions
from trove_lite.compute import base
from trove_lite.compute.nova import clients
from trove_lite.compute.nova import cloudinit
from trove_lite.compute.nova import floating_ips
from trove_lite.compute.nova import ports
from trove_lite.compute.nova import resizes
from trove_lite.compute.nova import security_groups
from trove_lite.compute.nova import volume_backups
from trove_lite.conf import CONF

LOG = logging.getLogger(__name__)

# Nova's statuses under the names the rest of trove-lite uses.
_SERVER_STATUS = {'SHUTOFF': 'SHUTDOWN'}
# A volume in one of these is (being) attached: Cinder refuses to delete
# it until Nova has let go after the server's deletion.
_ATTACHED = frozenset({'in-use', 'attaching', 'detaching', 'reserved'})


class NovaDriver(base.ComputeDriver):
    """Servers in Nova, data volumes in Cinder, firewalls in Neutron."""

    resize_restarts_server = True

    def __init__(self):
        # Nothing is contacted yet: the session authenticates on first use.
        session = clients.make_session()
        self._nova = clients.nova(session)
        self._cinder = clients.cinder(session)
        self._volume_backups = volume_backups.VolumeBackups(
            self._cinder, _calling, _poll)
        self._resizes = resizes.Resizes(
            self._nova,
            clients.cinder(session, clients.VOLUME_EXTEND_API_VERSION),
            self._find, _calling, _poll)
        neutron = clients.neutron(session)
        self._security_groups = security_groups.SecurityGroups(
            neutron, CONF.nova_compute.status_poll_interval)
        self._floating_ips = floating_ips.FloatingIps(neutron)
        self._ports = ports.Ports(neutron)

    def guest_transport_url(self):
        return CONF.nova_compute.guest_transport_url or CONF.transport_url

    # --- security groups -------------------------------------------------

    @classmethod
    def one_network(cls):
        return False

    @classmethod
    def enforces_access(cls):
        return CONF.trove_security_groups_support

    def create_security_group(self, instance_id, port, allowed_cidrs=None):
        if not CONF.trove_security_groups_support:
            return None
        name = _security_group_name(instance_id)
        cidrs = allowed_cidrs or CONF.trove_security_group_rule_cidr
        with _calling('Neutron', f'security group {name}'):
            group_id = self._security_groups.create(name, port, cidrs)
        LOG.info('Security group %s (%s) opens port %s to %s for instance '
                 '%s', name, group_id, port, ', '.join(cidrs), instance_id)
        return group_id

    def update_access(self, instance_id, server_id, port, allowed_cidrs):
        """The rules of the instance's security group become those of
        ``allowed_cidrs`` (the default CIDRs when empty)."""
        if not CONF.trove_security_groups_support:
            return super().update_access(instance_id, server_id, port,
                                         allowed_cidrs)
        name = _security_group_name(instance_id)
        cidrs = allowed_cidrs or CONF.trove_security_group_rule_cidr
        with _calling('Neutron', f'security group {name}'):
            groups = self._security_groups.find(name)
            if not groups:
                raise exceptions.ComputeError(
                    reason=f'security group {name} of instance '
                           f'{instance_id} does not exist')
            for group_id in groups:
                self._security_groups.set_rules(group_id, name, port, cidrs)
        LOG.info('Security group %s opens port %s to %s', name, port,
                 ', '.join(cidrs))

    def gives_public_addresses(self):
        return bool(CONF.nova_compute.public_network)

    def set_public(self, instance_id, server_id, is_public):
        """A floating IP from ``[nova_compute] public_network`` on the
        server's port, or none; nothing without that network."""
        network_id = CONF.nova_compute.public_network
        if not network_id:
            return None
        if not is_public:
            self.release_public_addresses(instance_id)
            return None
        with _calling('Neutron', f'a public address for {instance_id}'):
            address = self._floating_ips.attach(
                instance_id, server_id, network_id,
                set(CONF.management_networks))
        LOG.info('Instance %s is public at %s', instance_id, address)
        return address

    def release_public_addresses(self, instance_id):
        if not CONF.nova_compute.public_network:
            return
        with _calling('Neutron', f'releasing the public address of '
                                 f'{instance_id}'):
            released = self._floating_ips.release(instance_id)
        if released:
            LOG.info('Floating IP %s of instance %s released',
                     ', '.join(released), instance_id)

    def delete_security_group(self, instance_id):
        if not CONF.trove_security_groups_support:
            return
        name = _security_group_name(instance_id)
        with _calling('Neutron', f'removing security group {name}'):
            for group_id in self._security_groups.find(name):
                self._security_groups.delete(group_id,
                                             CONF.server_delete_time_out)
                LOG.info('Security group %s (%s) deleted', name, group_id)

    # --- the port of a create's nics -----------------------------------

    @classmethod
    def checked_nics(cls, project_id, nics):
        """Each nic's network and subnet exist in Neutron, the subnet is
        on the network and the project may use it (the API asks before
        anything is written; it runs no driver, so this session is its
        own)."""
        found = ports.Ports(clients.neutron(clients.make_session()))
        with _calling('Neutron', 'the networks of nics'):
            return [found.resolve(project_id, nic) for nic in nics]

    def _create_port(self, instance_id, nics, security_group_id):
        """The port of the instance on the network its nics chose (with
        its security group), or None without nics."""
        if not nics:
            return None
        name = _port_name(instance_id)
        with _calling('Neutron', f'port {name}'):
            port_id = self._ports.create(name, nics[0], security_group_id)
        LOG.info('Port %s (%s) on network %s for instance %s', name, port_id,
                 nics[0]['network_id'], instance_id)
        return port_id

    @contextlib.contextmanager
    def _port_removed_on_error(self, port_id):
        try:
            yield
        except Exception:
            self._delete_port_quietly(port_id)
            raise

    def _delete_port_quietly(self, port_id):
        if port_id:
            self._delete_quietly(self._ports.delete, port_id)

    def delete_ports(self, instance_id):
        name = _port_name(instance_id)
        with _calling('Neutron', f'removing port {name}'):
            for port_id in self._ports.find(name):
                self._ports.delete(port_id)
                LOG.info('Port %s (%s) deleted', name, port_id)

    # --- volumes ---------------------------------------------------------

    def create_volume(self, instance_id, size_gb, volume_type=None,
                      snapshot=None):
        name = f'trove-{instance_id}'
        if snapshot is not None:
            _, backup_id = snapshot
            return self._volume_backups.restore(
                backup_id, name, size_gb, {'trove_instance_id': instance_id})
        with _calling('Cinder', f'volume {name}'):
            volume = self._cinder.volumes.create(
                size_gb, name=name,
                volume_type=volume_type or CONF.cinder_volume_type,
                metadata={'trove_instance_id': instance_id})
        try:
            self._wait_until_available(volume.id, name)
        except Exception:
            self._delete_quietly(self.delete_volume, volume.id)
            raise
        LOG.info('Volume %s (%s) of %s GB is available', name, volume.id,
                 size_gb)
        return volume.id

    def _wait_until_available(self, volume_id, name):
        def available(volume):
            if volume is None or volume.status == 'error':
                raise exceptions.ComputeError(
                    reason=f'volume {name} ({volume_id}) went to '
                           f'{"error" if volume else "nowhere"} in Cinder')
            return volume.status == 'available'

        with _calling('Cinder', f'volume {name}'):
            done, volume = _poll(
                lambda: self._find(self._cinder.volumes, volume_id),
                available, CONF.volume_time_out)
        if not done:
            raise exceptions.ComputeError(
                reason=f'volume {name} ({volume_id}) was still '
                       f'{volume.status} after {CONF.volume_time_out} s')

    def snapshot_volume(self, volume_id, backup_id, project_id, thaw):
        return self._volume_backups.take(volume_id, backup_id, project_id,
                                         thaw)

    def delete_volume_snapshot(self, backup_id, project_id):
        self._volume_backups.delete(backup_id)

    def extend_volume(self, volume_id, size_gb):
        self._resizes.extend_volume(volume_id, size_gb)

    def delete_volume(self, volume_id):
        with _calling('Cinder', f'removing volume {volume_id}'):
            # Nova releases a deleted server's volume asynchronously.
            _, volume = _poll(
                lambda: self._find(self._cinder.volumes, volume_id),
                lambda v: v is None or v.status not in _ATTACHED,
                CONF.volume_time_out)
            if volume is None or volume.status == 'deleting':
                return
            if self._volume_backups.retire(volume_id):
                return  # deleted with the last backup that pins it
            try:
                self._cinder.volumes.delete(volume_id)
            except cinder_exceptions.NotFound:
                return
            except cinder_exceptions.BadRequest as error:
                # Its state forbids a plain delete: stuck creating, or
                # never released. The service user is a cloud admin.
                LOG.warning('Volume %s cannot be deleted (%s); forcing it',
                            volume_id, error)
                self._cinder.volumes.force_delete(volume_id)
        LOG.info('Volume %s deleted', volume_id)

    # --- servers ---------------------------------------------------------

    def create_server(self, instance_id, name, flavor, image_id, volume_id,
                      guest_config, security_group_id=None,
                      availability_zone=None, allowed_cidrs=None, nics=None):
        if not image_id:
            raise exceptions.ServerBuildError(
                reason='the datastore version has no image to boot')
        volume = None
        block_devices = None
        if volume_id:
            volume = {'device': CONF.device_path,
                      'fstype': CONF.volume_fstype,
                      'mount_options': CONF.mount_options}
            block_devices = [{'uuid': volume_id, 'source_type': 'volume',
                              'destination_type': 'volume',
                              'boot_index': -1,
                              'delete_on_termination': False}]
        port_id = self._create_port(instance_id, nics, security_group_id)
        with self._port_removed_on_error(port_id), _calling(
                'Nova', f'server for instance {instance_id}',
                exceptions.ServerBuildError):
            server = self._nova.servers.create(
                name, image_id, flavor['id'],
                meta={'trove_instance_id': instance_id},
                userdata=cloudinit.user_data(guest_config, volume),
                key_name=CONF.nova_keypair,
                availability_zone=availability_zone,
                block_device_mapping_v2=block_devices,
                nics=_networks(port_id),
                security_groups=([security_group_id] if security_group_id
                                 else None),
                config_drive=CONF.use_nova_server_config_drive)
        try:
            active = self._wait_until_active(server.id)
        except Exception:
            self._delete_quietly(self.delete_server, server.id)
            self._delete_port_quietly(port_id)
            raise
        LOG.info('Server %s for instance %s is ACTIVE at %s', server.id,
                 instance_id, [a['address'] for a in active.addresses])
        return active

    def _wait_until_active(self, server_id):
        def active(server):
            if server is None:
                raise exceptions.ServerBuildError(
                    reason=f'server {server_id} disappeared while booting')
            if server.status == 'ERROR':
                fault = getattr(server, 'fault', None) or {}
                raise exceptions.ServerBuildError(
                    reason=f'server {server_id} went to ERROR: '
                           f'{fault.get("message", "Nova gave no reason")}')
            return server.status == 'ACTIVE'

        timeout = CONF.nova_compute.server_boot_timeout
        with _calling('Nova', f'server {server_id}',
                      exceptions.ServerBuildError):
            done, server = _poll(
                lambda: self._find(self._nova.servers, server_id),
                active, timeout)
        if not done:
            raise exceptions.ServerBuildError(
                reason=f'server {server_id} was still {server.status} '
                       f'after {timeout} s')
        return _server(server)

    def list_servers(self):
        with _calling('Nova', 'listing servers'):
            servers = self._nova.servers.list()
        return [_server(server) for server in servers
                if (getattr(server, 'metadata', None) or {}).get(
                    'trove_instance_id')]

    def list_volumes(self):
        with _calling('Cinder', 'listing volumes'):
            volumes = self._cinder.volumes.list()
        found = []
        for volume in volumes:
            instance_id = (getattr(volume, 'metadata', None) or {}).get(
                'trove_instance_id')
            # A retired volume is no orphan: backups' snapshots pin it.
            if instance_id and not volume_backups.is_retired(volume):
                found.append(base.Volume(id=volume.id,
                                         instance_id=instance_id,
                                         size=volume.size))
        return found

    def start_server(self, server_id):
        with _calling('Nova', f'starting server {server_id}'):
            self._nova.servers.start(server_id)
        return self._wait_until_active(server_id)

    def reboot_server(self, server_id):
        with _calling('Nova', f'rebooting server {server_id}'):
            self._nova.servers.reboot(server_id, reboot_type='HARD')
        return self._wait_until_active(server_id)

    def resize_server(self, server_id, flavor):
        return _server(self._resizes.resize_server(server_id, flavor['id']))

    def get_server(self, server_id):
        with _calling('Nova', f'server {server_id}'):
            server = self._find(self._nova.servers, server_id)
        return None if server is None else _server(server)

    def delete_server(self, server_id):
        """Delete the server and wait until it is gone, so its volume is
        released and its ports no longer hold its security group."""
        with _calling('Nova', f'removing server {server_id}'):
            try:
                self._nova.servers.delete(server_id)
            except nova_exceptions.NotFound:
                return
            done, _ = _poll(
                lambda: self._find(self._nova.servers, server_id),
                lambda s: s is None or s.status == 'DELETED',
                CONF.server_delete_time_out)
        if not done:
            raise exceptions.ComputeError(
                reason=f'server {server_id} was not deleted within '
                       f'{CONF.server_delete_time_out} s')
        LOG.info('Server %s deleted', server_id)

    # --- helpers -----------------------------------------------------------

    @staticmethod
    def _find(manager, resource_id):
        try:
            return manager.get(resource_id)
        except (nova_exceptions.NotFound, cinder_exceptions.NotFound):
            return None

    @staticmethod
    def _delete_quietly(delete, resource_id):
        """Undo a half-made resource without hiding the original error."""
        try:
            delete(resource_id)
        except Exception:
            LOG.exception('Could not remove %s after a failed create; it '
                          'is left behind', resource_id)


def _poll(fetch, is_done, timeout):
    """Call ``fetch`` until ``is_done(value)``: ``(True, value)``, or
    ``(False, last value)`` once ``timeout`` passed (``is_done`` may raise
    to give up early)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if is_done(value):
            return True, value
        if time.monotonic() >= deadline:
            return False, value
        time.sleep(CONF.nova_compute.status_poll_interval)


@contextlib.contextmanager
def _calling(service, what, error_class=exceptions.ComputeError):
    """Turn a client library's error into ``error_class``, saying which
    service refused what, in the service's own words."""
    try:
        yield
    except (nova_exceptions.ClientException,
            cinder_exceptions.ClientException) as error:
        raise error_class(reason=f'{service} refused {what}: {error}') \
            from error
    except ks_exceptions.ClientException as error:
        raise error_class(reason=f'{what} failed, {service} could not be '
                                 f'used: {error}') from error


def _security_group_name(instance_id):
    return f'{CONF.trove_security_group_name_prefix}-{instance_id}'


def _port_name(instance_id):
    return f'trove-{instance_id}'


def _networks(port_id=None):
    """Nova's ``networks``: the instance's own port first (as in Trove,
    its network is the guest's first NIC) then the management networks,
    or the configured allocation when there are neither."""
    networks = [{'port-id': port_id}] if port_id else []
    networks += [{'net-id': network_id}
                 for network_id in CONF.management_networks]
    return networks or CONF.nova_compute.network_allocation


def _server(server):
    fault = getattr(server, 'fault', None) or {}
    metadata = getattr(server, 'metadata', None) or {}
    return base.Server(
        id=server.id, status=_SERVER_STATUS.get(server.status, server.status),
        addresses=_addresses(getattr(server, 'addresses', None) or {}),
        fault=fault.get('message'),
        instance_id=metadata.get('trove_instance_id'))


def _addresses(by_network):
    """Nova's ``{network: [{addr, version, OS-EXT-IPS:type}]}`` as Trove's
    address list (IPv4 only, floating addresses are public)."""
    addresses = []
    for network, entries in sorted(by_network.items()):
        for entry in entries:
            if entry.get('version') != 4:
                continue
            floating = entry.get('OS-EXT-IPS:type') == 'floating'
            addresses.append({'address': entry['addr'],
                              'type': 'public' if floating else 'private',
                              'network': network})
    return addresses
