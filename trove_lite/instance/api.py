"""The internal instance API the REST controllers call: resolve and check
a request against the catalogue, write rows, cast to the taskmanager."""

import dataclasses
import datetime
import logging

from oslo_utils import timeutils

from trove_lite import db
from trove_lite.catalogue import api as catalogue_api
from trove_lite.common import exceptions
from trove_lite.common import notifications
from trove_lite.common import objects
from trove_lite.common import policy
from trove_lite.conf import CONF
from trove_lite.db import retry
from trove_lite.db.repositories import backup_policies
from trove_lite.db.repositories import catalogue
from trove_lite.db.repositories import configurations
from trove_lite.db.repositories import instances
from trove_lite.instance import backup_policy
from trove_lite.instance import guest_waits
from trove_lite.instance import keys
from trove_lite.instance import network
from trove_lite.instance import placement
from trove_lite.instance import replication
from trove_lite.instance import restore
from trove_lite.quota import api as quota
from trove_lite.records import status as instance_status
from trove_lite.records.status import InstanceTasks
from trove_lite.rpcapi import guestagent as guest_rpcapi
from trove_lite.rpcapi import taskmanager as taskmanager_rpcapi

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class CreateRequest:
    """A validated create request (see api.validation)."""

    name: str
    flavor_ref: str
    volume_size: int | None = None
    volume_type: str | None = None
    datastore: dict = dataclasses.field(default_factory=dict)
    databases: list = dataclasses.field(default_factory=list)
    users: list = dataclasses.field(default_factory=list)
    availability_zone: str | None = None
    region_name: str | None = None
    configuration_id: str | None = None
    backup_id: str | None = None
    # A point-in-time restore: the source instance and the UTC second.
    restore_instance_id: str | None = None
    restore_time: datetime.datetime | None = None
    # A backup_policy.PolicyRequest, or None.
    backup_policy: object = None
    # New replicas of this instance, and how many (None: one).
    replica_of: str | None = None
    replica_count: int | None = None
    # trove-lite's automatic failover of a source (None: off).
    automatic_failover: bool | None = None
    # Trove's access (validated), or None; the nics asked for.
    access: dict | None = None
    nics: list = dataclasses.field(default_factory=list)


def volume_support(manager):
    """Whether a datastore manager's instances have a volume (a record
    without a version, hence without a manager, counts as mysql)."""
    group = getattr(CONF, manager or 'mysql', None)
    return True if group is None else group.volume_support


def flavor_dict(flavor):
    """A flavor as it travels to the taskmanager."""
    return {'id': flavor.id, 'name': flavor.name, 'ram': flavor.ram,
            'vcpus': flavor.vcpus, 'disk': flavor.disk,
            'ephemeral': flavor.ephemeral}


def create(context, request):
    """Check the request against the catalogue, write the rows, cast the
    build; returns the new instance's record. Nothing is written or sent
    unless every check passed. New replicas (``replica_of``): one row and
    one build each; the first is returned."""
    request.nics = network.check_nics(context, request)
    network.check_access(request.access)
    flavor = catalogue_api.get_flavor(request.flavor_ref)
    if flavor is None:
        raise exceptions.FlavorNotFound(uuid=request.flavor_ref)
    source = replication.check_new_replicas(context, request)
    if source is not None and not request.datastore:
        request.datastore = {'type': source.datastore_name,
                             'version': source.datastore_version_name}
    datastore, version = catalogue_api.resolve_datastore_version(
        request.datastore)
    if source is not None and version.id != source.datastore_version_id:
        raise exceptions.BadRequest(
            f'A replica runs the datastore version of its source '
            f'({source.datastore_version_name}).')
    if volume_support(version.manager):
        if request.volume_size is None:
            raise exceptions.VolumeSizeNotSpecified()
        if request.volume_size > CONF.max_accepted_volume_size:
            raise exceptions.VolumeQuotaExceeded(
                max_size=CONF.max_accepted_volume_size)
    elif request.volume_size is not None:
        raise exceptions.NotImplementedYet('Volume support is not enabled.')
    if request.configuration_id is not None:
        group = db.read(configurations.get, request.configuration_id,
                        context.project_id)
        if group.datastore_version_id != version.id:
            raise exceptions.ConfigurationDatastoreNotMatchInstance(
                config_datastore_version=group.datastore_version_id,
                instance_datastore_version=version.id)

    if request.backup_policy is not None and \
            version.manager not in DATA_MANAGERS:
        raise exceptions.DatastoreOperationUnsupported(
            manager=version.manager)
    backup_info = None
    if request.backup_id is not None:
        backup_info = restore.restore_info(
            context, request.backup_id, version, request.volume_size)
    elif request.restore_instance_id is not None:
        backup_info = backup_policy.restore_point_info(
            context, request.restore_instance_id, request.restore_time,
            version, request.volume_size)

    count = replication.count(request)
    usage = quota.instance_charge(context.project_id, flavor,
                                  request.volume_size, count)
    quota.prepare(usage)
    # The instances, their quota usage and the group they take: all or
    # none (QuotaExceeded, or the group deleted meanwhile, leaves no row).
    new = [keys.new_instance_key() for _number in range(count)]
    built = _write_instances(context, request, flavor, version, source,
                             usage, new)
    records = []
    for instance_id, key in built:
        # Read once: the build's spec and the answer (a build not sent
        # raises) show the row as written.
        records.append(db.read(instances.get, instance_id))
        _send_build(context, request, records[-1], key, flavor, datastore,
                    version, backup_info)
    return records[0]


@retry.retry_on_deadlock
def _write_instances(context, request, flavor, version, source, usage, new):
    """Write the new instances' rows with their quota usage, all or none;
    their (id, key). Racing creates of one project can deadlock on
    the usage rows: InnoDB then rolled this one back whole, and it runs
    again."""
    built = []
    count = len(new)
    with db.transaction() as tx:
        # Placed before the quota rows are locked: the racing creates of
        # the project wait for this one's commit, not for its reads.
        hosts = placement.pick_hosts(tx, count)
        if request.configuration_id is not None:
            configurations.lock(tx, request.configuration_id)
        if source is not None:
            replication.lock_source(tx, source.id, count)
        quota.apply(tx, usage)
        for number, ((key, stored_key), host) in enumerate(
                zip(new, hosts, strict=True), 1):
            instance_id = instances.create(tx, {
                'host': host,
                # Trove numbers the replicas of one request.
                'name': request.name if count == 1
                else f'{request.name}-{number}',
                'tenant_id': context.project_id,
                'flavor_id': flavor.id,
                'datastore_version_id': version.id,
                'volume_size': request.volume_size,
                'volume_type': request.volume_type,
                'region_id': request.region_name or CONF.region,
                'configuration_id': request.configuration_id,
                'encrypted_key': stored_key,
                'slave_of_id': source.id if source is not None else None,
                'automatic_failover': request.automatic_failover,
                'access': request.access,
            })
            built.append((instance_id, key))
        if request.backup_policy is not None:
            backup_policy.add_to_new_instance(tx, instance_id,
                                              context.project_id,
                                              request.backup_policy)
    return built


def _send_build(context, request, instance, key, flavor, datastore,
                version, backup_info):
    """Cast the build of a new instance's row (its record); a cast that
    cannot be sent fails the build (503)."""
    spec = objects.InstanceSpec(
        instance_id=instance.id, name=instance.name,
        flavor=flavor_dict(flavor),
        datastore_manager=version.manager, datastore_version=version.name,
        datastore_version_id=version.id, image_id=version.image_id,
        volume_size=request.volume_size, volume_type=request.volume_type,
        databases=request.databases,
        users=keys.seal_passwords(key, request.users),
        availability_zone=request.availability_zone,
        backup_info=backup_info,
        binlog_archive=None if request.backup_policy is None else
        backup_policy.archive_settings(context.project_id),
        replica_of=instance.slave_of_id, nics=request.nics)
    with notifications.StartNotification(
            context, 'api', 'create', notifications.instance_payload(
                instance, datastore=datastore.name,
                datastore_version=version.name)):
        try:
            taskmanager_rpcapi.API(instance.host).create_instance(context,
                                                                  spec)
        except Exception as error:
            LOG.exception('Could not send create_instance for %s',
                          instance.id)
            with db.transaction() as tx:
                instances.add_fault(
                    tx, instance.id, 'The build request could not be sent '
                    'to the taskmanager.', details=str(error),
                    task=InstanceTasks.BUILDING_ERROR_SERVER)
            raise exceptions.ServiceUnavailable() from error


def set_backup_policy(context, record, request):
    """Set (a PolicyRequest) or remove (None) the backup policy of the
    instance (a record from get())."""
    if record.datastore_manager not in DATA_MANAGERS:
        raise exceptions.DatastoreOperationUnsupported(
            manager=record.datastore_manager)
    backup_policy.put(context, record, request)


def get(context, instance_id):
    """The instance as the caller may see it: one of the caller's
    project, or any project's for an admin (Trove's lookup); otherwise
    InstanceNotFound, so other projects' instances look absent."""
    return db.read(instances.get, instance_id,
                   policy.visible_projects(context, context.project_id))


def get_for_show(context, instance_id):
    """The instance as ``get`` finds it, with what its show adds
    (db.repositories.instances.Shown), in one read."""
    return db.read(instances.get_for_show, instance_id,
                   policy.visible_projects(context, context.project_id))


def list_page(context, limit, marker=None):
    """One page of the caller's project's instances ordered by id, plus
    whether another page follows."""
    return db.read(instances.list_page, context.project_id, limit, marker)


def rename(context, record, name):
    """Give the instance (a record from get()) a new name."""
    with db.transaction() as tx:
        instances.update(tx, record.id, name=name)


def delete(context, record):
    """Mark the instance (a record from get()) DELETING, free its quota
    usage and cast the delete. As in Trove, a delete is accepted while a
    restart or resize runs (not while building)."""
    instance_id = record.id
    if record.task == InstanceTasks.BUILDING:
        raise exceptions.UnprocessableEntity(
            f'Instance {instance_id} is not ready. (Status is BUILD).')
    if record.task == InstanceTasks.DELETING:
        return
    allowed = [t for t in InstanceTasks.all()
               if t not in (InstanceTasks.BUILDING, InstanceTasks.DELETING)]
    quota.prepare(quota.instance_release(
        record, catalogue_api.get_flavor(record.flavor_id)))
    with db.transaction() as tx:
        if not instances.set_task_if(tx, instance_id, allowed,
                                     InstanceTasks.DELETING):
            raise exceptions.UnprocessableEntity(
                f'Instance {instance_id} is not ready. (Status is BUILD).')
        # What is released is the record as it is under the lock the task
        # change took, not as read before: a resize recorded meanwhile is
        # released with it; one not recorded yet never will be (it records
        # only while RESIZING) and gives its own charge back.
        replication.check_no_replicas(tx, record)
        current = instances.get(tx, instance_id)
        quota.apply(tx, quota.instance_release(
            current, catalogue.get_flavor(tx, current.flavor_id)))
        # Its archive and automated backups stay for the retention.
        backup_policies.end(tx, instance_id)
    with notifications.StartNotification(
            context, 'api', 'delete', notifications.instance_payload(record)):
        taskmanager_rpcapi.API(record.host).delete_instance(context,
                                                            instance_id)


def service_status(record):
    """The guest's status as Trove judges it: failed once its heartbeats
    are older than ``agent_heartbeat_expiry``."""
    return instance_status.effective_service_status(
        record.task, record.service_status, record.service_status_updated,
        timeutils.utcnow(), CONF.agent_heartbeat_expiry)


# Datastore managers whose databases, users and root the API manages.
DATA_MANAGERS = ('mysql', 'mariadb')


def check_datastore_running(record):
    """Whether the instance's datastore can take database, user and root
    operations now (Trove's load_and_verify): 422 for another datastore or
    one that is not running."""
    if record.datastore_manager not in DATA_MANAGERS:
        raise exceptions.DatastoreOperationUnsupported(
            manager=record.datastore_manager)
    status = service_status(record)
    if status not in instance_status.DATASTORE_RUNNING:
        raise exceptions.DatastoreNotRunning(instance_id=record.id,
                                             status=status.description)


def guest(record):
    """The client of the guest of the instance ``record`` as an API
    request may call it: sealing with the instance's key, each call
    waiting at most ``api_guest_call_timeout`` and counted against the
    instance's project (see guest_waits)."""
    return guest_rpcapi.API(
        record.id, keys.key_of(record.id),
        max_wait=CONF.api_guest_call_timeout,
        admission=guest_waits.admission(record.tenant_id))


def running_guest(record):
    """The guest of an instance whose datastore runs (else 422, see
    check_datastore_running)."""
    check_datastore_running(record)
    return guest(record)


