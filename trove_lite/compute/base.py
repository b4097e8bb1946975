"""The compute driver boundary: servers and volumes, nothing else.

The taskmanager's workflows are identical for every driver; a driver only
makes, finds and removes servers and volumes.
"""

import abc
import dataclasses

from stevedore import driver as stevedore_driver
from stevedore import exception as stevedore_exceptions

from trove_lite.common import exceptions
from trove_lite.conf import CONF

DRIVER_NAMESPACE = 'trove_lite.compute.drivers'


@dataclasses.dataclass
class Server:
    """A server as the taskmanager sees it."""

    id: str
    status: str  # BUILD, ACTIVE, SHUTDOWN, ERROR (Nova's names)
    addresses: list = dataclasses.field(default_factory=list)
    fault: str | None = None
    instance_id: str | None = None  # the instance it was made for
    volume_id: str | None = None


@dataclasses.dataclass
class Volume:
    """A volume as the taskmanager sees it."""

    id: str
    instance_id: str | None = None  # the instance it was made for
    size: int | None = None  # GB


@dataclasses.dataclass
class GuestConfig:
    """What a guest agent needs to find its instance and the broker; the
    driver delivers it (a file in a sandbox, or cloud-init user data)."""

    instance_id: str
    datastore_manager: str
    datastore_version: str
    transport_url: str
    control_exchange: str
    conductor_queue: str
    report_interval: float
    log_debug: bool = False
    rpc_key: str | None = None
    #: The backup storage options ({section: {option: value}}, see
    #: conf.storage.guest_sections): the guest writes backups itself.
    storage: dict = dataclasses.field(default_factory=dict)
    #: Messaging options the guest must share with the control plane
    #: ({section: {option: value}}, see common.rpc.guest_sections).
    messaging: dict = dataclasses.field(default_factory=dict)
    #: The instance's project: a local guest reaches that project's
    #: backups only.
    project_id: str | None = None
    #: The instance is built from a backup (prepare restores it): the
    #: guest does not start a datastore it would stop at once.
    restore_pending: bool = False

    def sections(self):
        """The guest's config file as {section: {option: value}}."""
        storage = self.storage or {}
        return {
            **{section: options for section, options in storage.items()
               if section != 'DEFAULT' and options},
            **{section: options for section, options
               in (self.messaging or {}).items() if options},
            'DEFAULT': storage.get('DEFAULT', {}) | {
                'guest_id': self.instance_id,
                'datastore_manager': self.datastore_manager,
                'datastore_version': self.datastore_version,
                'transport_url': self.transport_url,
                'control_exchange': self.control_exchange,
                'conductor_queue': self.conductor_queue,
                'report_interval': str(self.report_interval),
                'debug': str(self.log_debug),
            } | ({'instance_rpc_encr_key': self.rpc_key}
                 if self.rpc_key else {}) | (
                {'restore_pending': 'True'} if self.restore_pending
                else {}),
        }


class ComputeDriver(abc.ABC):
    """Makes and removes the resources behind an instance."""

    @classmethod
    def host_local(cls):
        """Whether a server lives on the host whose taskmanager made it,
        so that only this host's taskmanager can act on it (a hypervisor's
        VMs), rather than in a service every taskmanager reaches (Nova).
        Decides how requests are routed (rpcapi.taskmanager)."""
        return False

    @classmethod
    def capacity(cls):
        """How many servers this host runs at most; None: no limit."""
        return None

    @classmethod
    def enforces_access(cls):
        """Whether the driver limits who reaches an instance's datastore
        port to its access ``allowed_cidrs`` (else the API refuses them
        rather than ignore them)."""
        return False

    @classmethod
    def one_network(cls):
        """Whether every server gets the one network the driver has (a
        create's ``nics`` has nothing to choose from)."""
        return True

    @classmethod
    def checked_nics(cls, project_id, nics):
        """The validated ``nics`` of a create by ``project_id``, each
        with the network it is on, once the network service has them
        (BadRequest naming what it lacks); asked by the API before
        anything is written, of a driver that is not ``one_network``."""
        return nics

    #: How a guest quiesces its datastore for ``snapshot_volume``:
    #: ``lock`` (a block snapshot is point-in-time: holding writes is
    #: enough) or ``stop`` (a copy of files needs the server stopped).
    volume_snapshot_quiesce = 'lock'

    #: Whether ``resize_server`` restarts the server (a Nova resize moves
    #: it, powered off, to the new flavor): its guest then answers only
    #: once it has booted again.
    resize_restarts_server = False

    @abc.abstractmethod
    def create_volume(self, instance_id, size_gb, volume_type=None,
                      snapshot=None):
        """Create the data volume; return its id. ``snapshot``: the
        ``(project_id, backup_id)`` of a volume backup
        (``snapshot_volume``) whose data it starts with."""

    def snapshot_volume(self, volume_id, backup_id, project_id, thaw):
        """Keep a copy of the volume as backup ``backup_id`` of
        ``project_id``, where only that project's instances are made from
        it; call ``thaw()`` as soon as the point-in-time copy exists (the
        guest is quiesced until then). Returns the bytes it holds."""
        raise self.no_volume_snapshots()

    def no_volume_snapshots(self):
        """The error of a driver without volume snapshots."""
        return exceptions.NotImplementedYet(
            f'The {type(self).__name__} compute driver cannot snapshot '
            f'volumes ("cinder" backups).')

    def delete_volume_snapshot(self, backup_id, project_id):
        """Remove what ``snapshot_volume`` kept (or left half-made); a
        missing one is not an error."""
        return None

    @abc.abstractmethod
    def delete_volume(self, volume_id):
        """Remove a volume; a missing one is not an error."""

    def create_security_group(self, instance_id, port, allowed_cidrs=None):
        """Open the datastore ``port`` of the instance's server to
        ``allowed_cidrs`` (the deployment's default when empty); return the
        group's id, or None when the driver has no security groups."""
        return None

    def update_access(self, instance_id, server_id, port, allowed_cidrs):
        """Let only ``allowed_cidrs`` (everyone when empty) reach the
        datastore ``port`` of the instance's running server, without
        restarting it."""
        raise exceptions.NotImplementedYet(
            f'The {type(self).__name__} compute driver cannot limit access '
            f'to instances.')

    def gives_public_addresses(self):
        """Whether ``set_public`` gives servers public addresses (else an
        instance's is_public is only stored and shown)."""
        return False

    def set_public(self, instance_id, server_id, is_public):
        """Give the instance's server a public address when ``is_public``
        (Trove's access ``is_public``), else take it away; return the
        address given, or None."""
        return None

    def release_public_addresses(self, instance_id):
        """Give back the public addresses made for the instance, with or
        without its server; none is not an error."""
        return None

    def reconcile_access(self):
        """At start-up: bring the access rules in line with the servers
        (a driver whose rules live in a cloud has nothing to do)."""
        return None

    def delete_security_group(self, instance_id):
        """Remove the instance's security group; a missing one (or a
        driver without security groups) is not an error."""
        return None

    def guest_transport_url(self):
        """The broker URL written into guests, which may reach the broker
        at another address, or as another user, than the control plane."""
        return CONF.transport_url

    @abc.abstractmethod
    def create_server(self, instance_id, name, flavor, image_id, volume_id,
                      guest_config, security_group_id=None,
                      availability_zone=None, allowed_cidrs=None, nics=None):
        """Boot a server running a guest agent; return a Server. A driver
        without security groups limits its access to ``allowed_cidrs``
        (none: everyone) itself. ``nics`` (from ``checked_nics``) adds the
        server to a network the tenant chose; a ``one_network`` driver
        never gets any.

        A driver whose servers boot asynchronously returns once the server
        is ACTIVE; a server that fails to boot is removed again and the
        error raised (the workflow only undoes steps that finished).
        """

    @abc.abstractmethod
    def get_server(self, server_id):
        """The server, or None when it does not exist."""

    @abc.abstractmethod
    def list_volumes(self):
        """Every volume this driver made (Volumes), for finding
        orphans."""

    @abc.abstractmethod
    def list_servers(self):
        """Every server this driver made (Servers), for finding
        orphans."""

    @abc.abstractmethod
    def start_server(self, server_id):
        """Start a server that exists but is not running (its guest then
        resumes the datastore it was prepared for)."""

    @abc.abstractmethod
    def delete_server(self, server_id):
        """Stop and remove a server; a missing one is not an error."""

    def delete_ports(self, instance_id):
        """Remove the ports ``create_server`` made for the instance's
        ``nics`` once its server is gone; none (or a driver without
        ports) is not an error."""
        return None

    def keep_guest_log(self, server_id):
        """Keep the server's guest log where an operator finds it after
        the server is deleted, and return its last lines (for a failed
        build's fault details), or None when the driver cannot."""
        return None

    def reboot_server(self, server_id):
        """Stop a server whatever state its guest is in and boot it again
        (a hard reboot); return the Server, ACTIVE again."""
        raise exceptions.NotImplementedYet(
            f'The {type(self).__name__} compute driver cannot reboot '
            f'servers.')

    def resize_server(self, server_id, flavor):
        """Give a server another flavor (a dict like the create's); return
        the Server, ACTIVE again."""
        raise exceptions.NotImplementedYet(
            f'The {type(self).__name__} compute driver cannot resize '
            f'servers.')

    def extend_volume(self, volume_id, size_gb):
        """Grow a volume to ``size_gb``; the server using it sees the new
        size (its guest is then told through ``resize_fs``)."""
        raise exceptions.NotImplementedYet(
            f'The {type(self).__name__} compute driver cannot extend '
            f'volumes.')


def driver_class(name):
    """The class of the compute driver called ``name``, not instantiated
    (the API asks it how requests are routed)."""
    try:
        manager = stevedore_driver.DriverManager(
            DRIVER_NAMESPACE, name, invoke_on_load=False)
    except stevedore_exceptions.NoMatches:
        raise ValueError(f'Unknown compute driver {name!r}') from None
    return manager.driver


def load_driver(name):
    """The compute driver called ``name`` in config: the entry point
    ``name`` of the ``trove_lite.compute.drivers`` namespace (setup.cfg),
    so this boundary knows no driver and another package can add one."""
    try:
        manager = stevedore_driver.DriverManager(
            DRIVER_NAMESPACE, name, invoke_on_load=True)
    except stevedore_exceptions.NoMatches:
        raise ValueError(f'Unknown compute driver {name!r}') from None
    return manager.driver
