"""The create workflow: security group, volume, server, prepare, wait.

Each step records on the instance's row what it made as soon as it made
it. A step that fails ends the workflow with its precise error task
status; the manager then fails the build through ``builds.fail``, whose
teardown path removes every resource the build may have made (recorded or
not), so no volume or server is left behind.
"""

import logging

from trove_lite import db
from trove_lite.common import broker_users
from trove_lite.common import exceptions
from trove_lite.common import objects
from trove_lite.common import rpc
from trove_lite.compute import base as compute_base
from trove_lite.conf import CONF
from trove_lite.conf import storage as storage_conf
from trove_lite.db.repositories import configurations
from trove_lite.db.repositories import instances
from trove_lite.instance import backup_policy
from trove_lite.instance import keys
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.storage import grants
from trove_lite.taskmanager import access
from trove_lite.taskmanager import builds
from trove_lite.taskmanager import replicas

LOG = logging.getLogger(__name__)


class BuildFailed(Exception):
    """A build step failed; carries the error task status to record."""

    def __init__(self, task, message):
        super().__init__(message)
        self.task = task
        self.message = message


def _record(flow, **values):
    """Record on the instance's row what a step made."""
    with db.transaction() as tx:
        instances.update(tx, flow.spec.instance_id, **values)


class Step:
    """One unit of the workflow; ``error_task`` is the instance's task
    when it fails."""

    error_task = InstanceTasks.BUILDING_ERROR_SERVER

    def execute(self, flow):
        raise NotImplementedError


class CreateSecurityGroup(Step):
    """Open the datastore's port to the instance (a no-op for drivers
    without a firewall)."""

    error_task = InstanceTasks.BUILDING_ERROR_SEC_GROUP

    def execute(self, flow):
        spec = flow.spec
        flow.security_group_id = flow.driver.create_security_group(
            spec.instance_id, getattr(CONF, spec.datastore_manager).port,
            allowed_cidrs=_allowed_cidrs(flow))


class CreateVolume(Step):
    error_task = InstanceTasks.BUILDING_ERROR_VOLUME

    def execute(self, flow):
        if not flow.spec.volume_size:
            return
        # A "cinder" backup is restored by making the volume from it.
        snapshot = (flow.spec.backup_info or {}).get('volume_snapshot')
        flow.volume_id = flow.driver.create_volume(
            flow.spec.instance_id, flow.spec.volume_size,
            flow.spec.volume_type,
            **({'snapshot': tuple(snapshot)} if snapshot else {}))
        _record(flow, volume_id=flow.volume_id)


class CreateBrokerUser(Step):
    """The guest's own broker user (common.broker_users); its URL goes
    only into the guest's config."""

    error_task = InstanceTasks.BUILDING_ERROR_SERVER

    def execute(self, flow):
        flow.transport_url = broker_users.guest_transport_url(
            flow.spec.instance_id, flow.driver.guest_transport_url())


def _project_of(instance_id):
    record = db.read(instances.find, instance_id)
    return record.tenant_id if record else None


def _stored_access(flow):
    record = db.read(instances.find, flow.spec.instance_id)
    return record.access if record else None


def _allowed_cidrs(flow):
    """The CIDRs the instance's stored access lets in (empty: all)."""
    return access.allowed_cidrs(_stored_access(flow))


class BootServer(Step):
    error_task = InstanceTasks.BUILDING_ERROR_SERVER

    def execute(self, flow):
        spec = flow.spec
        guest_config = compute_base.GuestConfig(
            instance_id=spec.instance_id,
            datastore_manager=spec.datastore_manager,
            datastore_version=spec.datastore_version,
            transport_url=flow.transport_url,
            control_exchange=broker_users.guest_exchange(spec.instance_id),
            conductor_queue=CONF.conductor_queue,
            report_interval=CONF.report_interval,
            log_debug=CONF.debug,
            rpc_key=keys.key_of(spec.instance_id),
            storage=storage_conf.guest_sections(CONF),
            messaging=rpc.guest_sections(),
            project_id=_project_of(spec.instance_id),
            # A replica restores its source's snapshot.
            restore_pending=bool(spec.backup_info
                                 or spec.replica_of is not None))
        server = flow.driver.create_server(
            spec.instance_id, spec.name, spec.flavor, spec.image_id,
            flow.volume_id, guest_config,
            security_group_id=flow.security_group_id,
            availability_zone=spec.availability_zone,
            allowed_cidrs=_allowed_cidrs(flow), nics=spec.nics)
        flow.server_id = server.id
        _record(flow, compute_instance_id=server.id,
                server_status=server.status, addresses=server.addresses)


class AttachPublicAddress(Step):
    """An instance whose access is_public gets its public address (a
    no-op for drivers without them)."""

    error_task = InstanceTasks.BUILDING_ERROR_PORT

    def execute(self, flow):
        if not (flow.driver.gives_public_addresses()
                and access.is_public(_stored_access(flow))):
            return
        public = flow.driver.set_public(flow.spec.instance_id,
                                        flow.server_id, True)
        record = db.read(instances.find, flow.spec.instance_id)
        _record(flow, addresses=access.with_public_address(
            record.addresses, public))


class SnapshotSource(Step):
    """A replica: snapshot its source for it (replicas.take_snapshot)."""

    error_task = InstanceTasks.BUILDING_ERROR_REPLICA

    def execute(self, flow):
        if flow.spec.replica_of is None:
            return
        flow.snapshot = replicas.take_snapshot(flow.context, flow.claims,
                                               flow.spec)


class PrepareGuest(Step):
    """Declare the guest's queue, then cast ``prepare`` so the message
    waits there however long the guest takes to boot. The values of the
    instance's configuration group are read now, so a change to the group
    since the create request is not missed; the storage grants are made
    now, so they last from here."""

    error_task = InstanceTasks.BUILDING_ERROR_TIMEOUT_GA

    def execute(self, flow):
        spec = flow.spec
        backup_info = spec.backup_info if flow.snapshot is None \
            else flow.snapshot.backup_info
        if backup_info:
            backup_info = grants.for_restore(backup_info)
        binlog_archive = spec.binlog_archive
        if binlog_archive:
            binlog_archive = backup_policy.with_grant(binlog_archive,
                                                      spec.instance_id)
        flow.guest.declare_queue()
        flow.guest.prepare(flow.context, objects.PrepareRequest(
            memory_mb=spec.flavor['ram'], databases=spec.databases,
            users=keys.open_passwords(spec.instance_id, spec.users),
            config_overrides=db.read(configurations.values_of_instance,
                                     spec.instance_id),
            backup_info=backup_info, binlog_archive=binlog_archive,
            snapshot=None if flow.snapshot is None
            else flow.snapshot.replica_info))


class WaitForGuest(Step):
    """Wait for the guest's healthy heartbeat, up to ``usage_timeout``."""

    error_task = InstanceTasks.BUILDING_ERROR_TIMEOUT_GA

    def execute(self, flow):
        builds.wait_for_guest(flow.waiters, flow.spec.instance_id,
                              flow.timeout)


class CreateInstanceFlow:
    """The create flow: security group, volume, server, prepare, wait
    (doc/source/contributor/create-flow.rst tells it step by step)."""

    steps = (CreateSecurityGroup, CreateVolume, CreateBrokerUser,
             BootServer, AttachPublicAddress, SnapshotSource, PrepareGuest,
             WaitForGuest)

    def __init__(self, context, spec, driver, waiters, timeout,
                 claims=None):
        self.context = context
        self.spec = spec
        self.driver = driver
        self.waiters = waiters
        self.timeout = timeout
        self.guest = guest_rpcapi.API(spec.instance_id,
                                      keys.key_of(spec.instance_id))
        self.security_group_id = None
        self.volume_id = None
        self.transport_url = None
        self.server_id = None
        # The instance claims (a replica holds its source's for its
        # snapshot), and the snapshot a replica is built from.
        self.claims = claims
        self.snapshot = None

    def run(self):
        """Run the steps in order; raises BuildFailed at the first that
        fails."""
        for step_class in self.steps:
            try:
                step_class().execute(self)
            except Exception as error:
                LOG.warning('Create of %s failed at %s: %s',
                            self.spec.instance_id, step_class.__name__,
                            error, exc_info=not isinstance(
                                error, exceptions.TroveLiteError))
                raise BuildFailed(step_class.error_task, str(error)) \
                    from error
